//! The configuration's rules, and `.env.example` kept in step with the code.

use secrecy::ExposeSecret;

use super::*;

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A key shaped like `openssl rand -base64 48` output.
pub(crate) const STRONG_KEY: &str = "q3Vx9LmT2pRk8sWd4FzN7bYc1HjG6uEa0oKiQw5XtZyB";
const KEY: (&str, &str) = ("SECRET_KEY", STRONG_KEY);

#[test]
fn weak_secret_keys_are_refused_outside_debug() {
    for weak in [
        "change-me-to-a-long-random-string",
        "short-but-random-9f3k",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "0123456789abcdef0123456789abcdef",
        "abababababababababababababababababababab",
    ] {
        let err = Config::from_vars(&vars(&[("SECRET_KEY", weak)])).unwrap_err();
        assert_eq!(err.variable, "SECRET_KEY", "{weak}");
        assert!(err.message.contains("openssl rand"), "{err}");
    }
    assert!(Config::from_vars(&vars(&[KEY])).is_ok());
    // Development keeps working with whatever key it is given.
    let dir = tempfile::tempdir().unwrap();
    assert!(Config::from_vars(&vars(&[
        ("DEBUG", "1"),
        ("SECRET_KEY", "dev"),
        ("DATA_DIR", dir.path().to_str().unwrap()),
    ]))
    .is_ok());
}

#[test]
fn plain_http_doppler_is_refused_outside_debug_unless_local() {
    let err = Config::from_vars(&vars(&[
        KEY,
        ("DOPPLER_RELAY_BASE_URL", "http://api.dopplerrelay.com/"),
    ]))
    .unwrap_err();
    assert_eq!(err.variable, "DOPPLER_RELAY_BASE_URL");
    for local in [
        "http://127.0.0.1:8025/",
        "http://localhost:9/",
        "http://[::1]:80/",
    ] {
        assert!(
            Config::from_vars(&vars(&[KEY, ("DOPPLER_RELAY_BASE_URL", local)])).is_ok(),
            "{local}"
        );
    }
    let err = Config::from_vars(&vars(&[
        KEY,
        ("DOPPLER_REPORT_FILE_HOSTS", "https://files.example.com/"),
    ]))
    .unwrap_err();
    assert_eq!(err.variable, "DOPPLER_REPORT_FILE_HOSTS");
}

#[test]
fn secret_key_is_required_outside_debug() {
    let err = Config::from_vars(&vars(&[])).unwrap_err();
    assert_eq!(err.variable, "SECRET_KEY");
}

#[test]
fn a_bad_value_names_its_variable() {
    for (name, value) in [
        ("DB_PORT", "five"),
        ("DEBUG", "maybe"),
        ("TIME_ZONE", "Mars/Olympus"),
        ("SEND_CONCURRENCY", "0"),
        ("DOPPLER_RELAY_AUTH_SCHEME", "Basic"),
        ("LOG_FORMAT", "xml"),
        ("BIND_ADDR", "nowhere"),
        ("DOPPLER_REPORTS_POLL_INITIAL_DELAY", "-1"),
        ("UPLOAD_MAX_BYTES", "lots"),
    ] {
        let err = Config::from_vars(&vars(&[KEY, (name, value)])).unwrap_err();
        assert_eq!(err.variable, name, "{err}");
    }
}

#[test]
fn postgres_from_db_variables_and_database_url_overrides() {
    let c = Config::from_vars(&vars(&[
        KEY,
        ("DB_HOST", "db.internal"),
        ("DB_NAME", "doppler_prod"),
        ("DB_USER", "doppler_user"),
        ("DB_PASSWORD", "p@ss word"),
    ]))
    .unwrap();
    assert_eq!(c.database_url.kind(), DatabaseKind::Postgres);
    assert_eq!(
        c.database_url.expose(),
        "postgres://doppler_user:p%40ss+word@db.internal:5432/doppler_prod"
    );
    assert!(!format!("{:?}", c.database_url).contains("p%40ss"));

    let c = Config::from_vars(&vars(&[
        KEY,
        ("DATABASE_URL", "sqlite::memory:"),
        ("DB_HOST", "x"),
    ]))
    .unwrap();
    assert_eq!(c.database_url.kind(), DatabaseKind::Sqlite);
}

#[test]
fn debug_defaults_to_sqlite_under_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let c = Config::from_vars(&vars(&[
        ("DEBUG", "1"),
        ("DATA_DIR", dir.path().to_str().unwrap()),
    ]))
    .unwrap();
    assert_eq!(c.database_url.kind(), DatabaseKind::Sqlite);
    assert!(c.database_url.expose().contains("relay-console.sqlite3"));
    // The generated development key is kept for the next start.
    let again = Config::from_vars(&vars(&[
        ("DEBUG", "1"),
        ("DATA_DIR", dir.path().to_str().unwrap()),
    ]))
    .unwrap();
    assert_eq!(
        c.secret_key.expose_secret(),
        again.secret_key.expose_secret()
    );
}

#[test]
fn analytics_database_from_its_variables() {
    let c = Config::from_vars(&vars(&[
        KEY,
        ("ANALYTICS_DB_NAME", "analytics"),
        ("ANALYTICS_DB_SSLMODE", "disable"),
    ]))
    .unwrap();
    let url = c.analytics_database_url.unwrap();
    assert!(
        url.expose().ends_with("/analytics?sslmode=disable"),
        "{}",
        url.expose()
    );
    let c = Config::from_vars(&vars(&[KEY])).unwrap();
    assert!(c.analytics_database_url.is_none());
}

/// Names passed to the readers, taken from the configuration's own source.
fn variables_read_by_the_code() -> std::collections::BTreeSet<String> {
    let code = [
        include_str!("mod.rs"),
        include_str!("database.rs"),
        include_str!("secret_key.rs"),
    ]
    .concat();
    let mut names = std::collections::BTreeSet::new();
    for piece in code.split('"').skip(1).step_by(2) {
        let is_name = piece.len() > 2
            && piece.chars().all(|c| c.is_ascii_uppercase() || c == '_')
            && piece.contains('_') | matches!(piece, "DEBUG");
        if is_name {
            names.insert(piece.to_string());
        }
    }
    names
}

/// The variables set in an env file (`KEY=value` lines).
fn variables_of(file: &str) -> std::collections::BTreeSet<String> {
    file.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_string()))
        .collect()
}

const ENV_EXAMPLE: &str = include_str!("../../../.env.example");
/// The last section of `.env.example`: read by `infra/backup.sh`, not by the server.
const BACKUP_SECTION: &str = "# --- Backups";

#[test]
fn env_example_documents_exactly_the_variables_the_code_reads() {
    let (example, backup_section) = ENV_EXAMPLE
        .split_once(BACKUP_SECTION)
        .expect("the backup section of .env.example");
    let documented = variables_of(example);
    let read = variables_read_by_the_code();
    assert_eq!(
        documented, read,
        "documented (left) vs read by config.rs (right)"
    );
    for name in [
        "SECRET_KEY",
        "USE_SQLITE",
        "ANALYTICS_DB_SSLMODE",
        "REPORTS_ADMIN_VISIBLE",
        "LOG_FORMAT",
    ] {
        assert!(read.contains(name), "{name}");
    }
    let backup_script = include_str!("../../../infra/backup.sh");
    for name in variables_of(backup_section) {
        assert!(
            backup_script.contains(&format!("${{{name}")),
            "{name} is documented for infra/backup.sh, which does not read it"
        );
    }
    // Every documented comment line precedes its variable.
    for (i, line) in ENV_EXAMPLE.lines().enumerate() {
        if line.contains('=') && !line.starts_with('#') {
            let previous = ENV_EXAMPLE.lines().nth(i.saturating_sub(1)).unwrap_or("");
            assert!(
                previous.starts_with('#') || previous.contains('='),
                "variable on line {} has a comment",
                i + 1
            );
        }
    }
}

#[test]
fn the_example_file_is_a_valid_configuration() {
    let vars: HashMap<String, String> = ENV_EXAMPLE
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            l.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect();
    // The example leaves SECRET_KEY empty on purpose: a copied file must not start.
    assert_eq!(vars["SECRET_KEY"], "");
    assert_eq!(Config::from_vars(&vars).unwrap_err().variable, "SECRET_KEY");
    let mut vars = vars;
    vars.insert("SECRET_KEY".into(), STRONG_KEY.into());
    let config = Config::from_vars(&vars).unwrap();
    assert_eq!(config.database_url.kind(), DatabaseKind::Postgres);
    assert!(config.analytics_database_url.is_none());
}

/// The production template and both deployment guides name only variables that
/// `.env.example` documents (and so the code reads).
#[test]
fn deployment_files_name_only_documented_variables() {
    let mut documented = variables_of(ENV_EXAMPLE);
    // Read by the log filter (observability.rs), named in .env.example beside LOG_FORMAT.
    assert!(ENV_EXAMPLE.contains("RUST_LOG="));
    documented.insert("RUST_LOG".to_string());
    let production = variables_of(include_str!("../../../infra/env.production"));
    let unknown: Vec<_> = production.difference(&documented).collect();
    assert!(unknown.is_empty(), "infra/env.production sets {unknown:?}");
    for (guide, text) in [
        ("DEPLOY.md", include_str!("../../../infra/DEPLOY.md")),
        ("DEPLOY.en.md", include_str!("../../../infra/DEPLOY.en.md")),
    ] {
        let named: std::collections::BTreeSet<&str> = text
            .split(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .filter(|word| word.len() > 3 && word.contains('_') && !word.starts_with('_'))
            .filter(|word| word.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
            .collect();
        let unknown: Vec<_> = named
            .iter()
            .filter(|word| !documented.contains(**word) && !NOT_SETTINGS.contains(word))
            .collect();
        assert!(
            unknown.is_empty(),
            "{guide} names {unknown:?}, not in .env.example"
        );
        assert!(
            named.contains("SECRET_KEY") && named.contains("ALLOWED_HOSTS"),
            "{guide}"
        );
    }
}

/// Upper-case words of the guides that are not settings.
const NOT_SETTINGS: &[&str] = &["ON_ERROR_STOP"];

#[test]
fn hosts_are_matched_without_port() {
    let c = Config::from_vars(&vars(&[
        KEY,
        ("ALLOWED_HOSTS", "app1.example.com, localhost"),
    ]))
    .unwrap();
    assert!(c.host_allowed("app1.example.com:443"));
    assert!(c.host_allowed("LOCALHOST:8080"));
    assert!(!c.host_allowed("evil.example.com"));
}

#[test]
fn database_passwords_never_show_in_what_is_logged() {
    let url = DatabaseUrl::new(
        "postgres://relay:s3cr%40t@db.example.com:5432/relay?sslmode=require&password=hunter22&sslpassword=keypass",
    );
    let shown = url.redacted();
    for secret in ["s3cr", "hunter22", "keypass"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("sslmode=require"), "{shown}");
    assert!(shown.contains("db.example.com"), "{shown}");
    let driver_error = "error connecting to postgres://relay:s3cr%40t@db.example.com:5432/relay?sslmode=require&password=hunter22&sslpassword=keypass: password 'hunter22' or 's3cr@t' refused";
    let cleaned = url.redact_in(driver_error);
    for secret in ["s3cr", "hunter22", "keypass"] {
        assert!(!cleaned.contains(secret), "{cleaned}");
    }
    assert!(!format!("{url:?}").contains("hunter22"));
}

#[test]
fn the_development_key_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    Config::from_vars(&vars(&[("DEBUG", "1"), ("DATA_DIR", data)])).unwrap();
    let path = dir.path().join(".secret_key");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // One an older version left open is closed at the next start.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    Config::from_vars(&vars(&[("DEBUG", "1"), ("DATA_DIR", data)])).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}
