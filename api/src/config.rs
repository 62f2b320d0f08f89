//! Every environment variable Relay Console reads, parsed once at start-up.
//!
//! A `.env` file in the working directory is loaded first when present (variables already
//! in the process environment win). A value that does not parse stops start-up with an
//! error naming the variable, so a typo never turns into a silent default.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono_tz::Tz;
use secrecy::{ExposeSecret, SecretString};

/// A configuration value that could not be used; names the variable.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: String,
    pub message: String,
}

impl ConfigError {
    fn new(variable: &str, message: impl Into<String>) -> Self {
        Self {
            variable: variable.to_string(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

/// A database URL (it may hold a password, so it is kept secret).
#[derive(Clone)]
pub struct DatabaseUrl(SecretString);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(SecretString::from(url.into()))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn kind(&self) -> DatabaseKind {
        if self.expose().starts_with("sqlite:") {
            DatabaseKind::Sqlite
        } else {
            DatabaseKind::Postgres
        }
    }

    /// The URL with any password replaced, for logs.
    pub fn redacted(&self) -> String {
        match url::Url::parse(self.expose()) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                url.to_string()
            }
            _ => self.expose().to_string(),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindAddr {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// How the Doppler API key is presented: `Authorization: {scheme} {key}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthScheme {
    Bearer,
    Token,
}

impl AuthScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthScheme::Bearer => "Bearer",
            AuthScheme::Token => "token",
        }
    }
}

#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Absent when no Doppler account is configured (`just run` then starts the simulator).
    pub api_key: Option<SecretString>,
    pub account_id: i64,
    pub from_email: String,
    pub from_name: String,
    pub base_url: url::Url,
    pub auth_scheme: AuthScheme,
    /// Per-request timeout of the message and template calls.
    pub timeout: Duration,
    /// How long the template list is cached for every process.
    pub template_cache_ttl: Duration,
}

#[derive(Debug, Clone)]
pub struct ReportsConfig {
    /// The only hosts a report file link may point at (HTTPS; loopback too in DEBUG).
    pub file_hosts: Vec<String>,
    /// A report file larger than this is refused while downloading.
    pub max_download_bytes: u64,
    /// Per-request timeout of the reports API calls.
    pub timeout: Duration,
    pub poll_initial_delay: Duration,
    pub poll_max_delay: Duration,
    pub poll_total_timeout: Duration,
    pub timer_enabled: bool,
    pub timer_interval: Duration,
    pub admin_visible: bool,
    pub post_send_delay: Duration,
    pub manual_refresh_delay: Duration,
}

#[derive(Debug, Clone)]
pub struct SendingConfig {
    pub scheduler_enabled: bool,
    pub scheduler_interval: Duration,
    pub concurrency: usize,
    /// Sends per second; 0 means no per-second limit.
    pub rate_per_second: u32,
    /// Sends per hour; 0 means no hourly limit.
    pub rate_per_hour: u32,
}

#[derive(Debug, Clone)]
pub struct LimitsConfig {
    pub upload_max_bytes: u64,
    pub import_max_rows: u64,
    pub attachment_max_bytes: u64,
    /// The files one message (single or per bulk-send recipient) carries, together.
    pub message_attachments_max_bytes: u64,
}

/// The longest an API token may live (and the bound of `expires_in_days`).
pub const MAX_API_TOKEN_DAYS: u32 = 3650;

#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// Lifetime of an API token created without `expires_in_days`.
    pub api_token_default_days: u32,
    /// Password hashes computed at once (each takes ~19 MB and a core for a moment).
    pub hash_concurrency: usize,
}

#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// Jobs one process runs at once.
    pub workers: usize,
    /// How long a claimed job stays owned without a heartbeat.
    pub lease: Duration,
    /// Whether `serve` runs the job workers and timers (off for an API-only process).
    pub enabled: bool,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub debug: bool,
    pub secret_key: SecretString,
    /// Host names accepted in the `Host` header; `*` accepts any.
    pub allowed_hosts: Vec<String>,
    pub database_url: DatabaseUrl,
    pub analytics_database_url: Option<DatabaseUrl>,
    pub data_dir: PathBuf,
    pub bind_addr: BindAddr,
    pub static_dir: Option<PathBuf>,
    pub time_zone: Tz,
    pub log_format: LogFormat,
    pub relay: RelayConfig,
    pub reports: ReportsConfig,
    pub sending: SendingConfig,
    pub limits: LimitsConfig,
    pub auth: AuthConfig,
    pub jobs: JobsConfig,
}

/// Reads typed values out of a set of variables, naming the variable on failure.
struct Vars<'a>(&'a HashMap<String, String>);

impl Vars<'_> {
    /// The trimmed value, `None` when unset or blank.
    fn raw(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    fn string(&self, name: &str, default: &str) -> String {
        self.raw(name).unwrap_or(default).to_string()
    }

    fn parse<T: FromStr>(&self, name: &str, default: T, what: &str) -> Result<T, ConfigError> {
        match self.raw(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| ConfigError::new(name, format!("expected {what}, got '{v}'"))),
        }
    }

    fn bool(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.raw(name) {
            None => Ok(default),
            Some(v) => parse_bool(v).ok_or_else(|| {
                ConfigError::new(
                    name,
                    format!("expected true/false (1/0, yes/no, on/off), got '{v}'"),
                )
            }),
        }
    }

    fn seconds(&self, name: &str, default: u64) -> Result<Duration, ConfigError> {
        let value: f64 = self.parse(name, default as f64, "a number of seconds")?;
        if !(value.is_finite() && value >= 0.0) {
            return Err(ConfigError::new(name, "must be zero or more seconds"));
        }
        Ok(Duration::from_secs_f64(value))
    }

    fn minutes(&self, name: &str, default: u64) -> Result<Duration, ConfigError> {
        let value: f64 = self.parse(name, default as f64, "a number of minutes")?;
        if !(value.is_finite() && value >= 0.0) {
            return Err(ConfigError::new(name, "must be zero or more minutes"));
        }
        Ok(Duration::from_secs_f64(value * 60.0))
    }

    fn positive<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + Default,
    {
        let value = self.parse(name, default, "a positive whole number")?;
        if value <= T::default() {
            return Err(ConfigError::new(name, "must be greater than zero"));
        }
        Ok(value)
    }
}

pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "y" | "t" => Some(true),
        "0" | "false" | "no" | "off" | "n" | "f" => Some(false),
        _ => None,
    }
}

impl Config {
    /// Reads `.env` (when present) and the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        if let Err(err) = dotenvy::dotenv() {
            if !err.not_found() {
                return Err(ConfigError::new(".env", err.to_string()));
            }
        }
        let vars: HashMap<String, String> = std::env::vars().collect();
        Self::from_vars(&vars)
    }

    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let v = Vars(vars);
        let debug = v.bool("DEBUG", false)?;
        let data_dir = PathBuf::from(v.string("DATA_DIR", "./data"));

        let secret_key = match v.raw("SECRET_KEY") {
            Some(key) if debug => SecretString::from(key.to_string()),
            Some(key) => {
                check_secret_key(key).map_err(|why| ConfigError::new("SECRET_KEY", why))?;
                SecretString::from(key.to_string())
            }
            None if debug => development_secret_key(&data_dir)?,
            None => {
                return Err(ConfigError::new(
                    "SECRET_KEY",
                    "is required when DEBUG is off (it signs the access tokens)",
                ))
            }
        };

        let allowed_hosts: Vec<String> = v
            .string("ALLOWED_HOSTS", "127.0.0.1,localhost")
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();

        let database_url = database_url(&v, debug, &data_dir)?;
        let analytics_database_url = analytics_database_url(&v)?;

        let bind_addr = match v.string("BIND_ADDR", "127.0.0.1:8080") {
            s if s.starts_with("unix:") => BindAddr::Unix(PathBuf::from(&s["unix:".len()..])),
            s => BindAddr::Tcp(s.parse().map_err(|_| {
                ConfigError::new(
                    "BIND_ADDR",
                    format!("expected host:port or unix:/path/to.sock, got '{s}'"),
                )
            })?),
        };

        let time_zone: Tz = v.parse(
            "TIME_ZONE",
            chrono_tz::America::Guayaquil,
            "an IANA time zone such as America/Guayaquil",
        )?;

        let log_format = match v.string("LOG_FORMAT", "text").to_ascii_lowercase().as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError::new(
                    "LOG_FORMAT",
                    format!("expected text or json, got '{other}'"),
                ))
            }
        };

        let base_url = {
            let raw = v.string("DOPPLER_RELAY_BASE_URL", "https://api.dopplerrelay.com/");
            let with_slash = if raw.ends_with('/') {
                raw.clone()
            } else {
                format!("{raw}/")
            };
            let url = url::Url::parse(&with_slash).map_err(|e| {
                ConfigError::new(
                    "DOPPLER_RELAY_BASE_URL",
                    format!("not a URL ({e}): '{raw}'"),
                )
            })?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(ConfigError::new(
                    "DOPPLER_RELAY_BASE_URL",
                    "must be an http or https URL",
                ));
            }
            // The API key travels with every call: only over TLS, except to this machine
            // (the simulator) or in development.
            if url.scheme() == "http" && !debug && !is_loopback_host(&url) {
                return Err(ConfigError::new(
                    "DOPPLER_RELAY_BASE_URL",
                    "must use https (plain http is accepted only for 127.0.0.1/localhost or with DEBUG)",
                ));
            }
            url
        };
        let auth_scheme = match v
            .string("DOPPLER_RELAY_AUTH_SCHEME", "Bearer")
            .to_ascii_lowercase()
            .as_str()
        {
            "bearer" => AuthScheme::Bearer,
            "token" => AuthScheme::Token,
            other => {
                return Err(ConfigError::new(
                    "DOPPLER_RELAY_AUTH_SCHEME",
                    format!("expected Bearer or token, got '{other}'"),
                ))
            }
        };
        let from_email = v.string("DOPPLER_RELAY_FROM_EMAIL", "");
        if !from_email.is_empty() && !from_email.contains('@') {
            return Err(ConfigError::new(
                "DOPPLER_RELAY_FROM_EMAIL",
                format!("not an e-mail address: '{from_email}'"),
            ));
        }
        let relay = RelayConfig {
            api_key: v
                .raw("DOPPLER_RELAY_API_KEY")
                .map(|k| SecretString::from(k.to_string())),
            account_id: v.parse("DOPPLER_RELAY_ACCOUNT_ID", 0i64, "a whole number")?,
            from_email,
            from_name: v.string("DOPPLER_RELAY_FROM_NAME", ""),
            base_url,
            auth_scheme,
            timeout: v.seconds("DOPPLER_RELAY_TIMEOUT", 30)?,
            template_cache_ttl: v.seconds("TEMPLATE_CACHE_TTL", 300)?,
        };

        let file_hosts: Vec<String> = v
            .string("DOPPLER_REPORT_FILE_HOSTS", "files.dopplerrelay.com")
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        if let Some(bad) = file_hosts
            .iter()
            .find(|h| h.contains(['/', ':', '*', ' ']) || !h.contains('.'))
        {
            return Err(ConfigError::new(
                "DOPPLER_REPORT_FILE_HOSTS",
                format!("expected exact host names such as files.dopplerrelay.com, got '{bad}'"),
            ));
        }
        let reports = ReportsConfig {
            file_hosts,
            max_download_bytes: v
                .positive("DOPPLER_REPORT_MAX_BYTES", 2 * 1024 * 1024 * 1024u64)?,
            timeout: v.seconds("DOPPLER_REPORTS_TIMEOUT", 30)?,
            poll_initial_delay: v.seconds("DOPPLER_REPORTS_POLL_INITIAL_DELAY", 2)?,
            poll_max_delay: v.seconds("DOPPLER_REPORTS_POLL_MAX_DELAY", 15)?,
            poll_total_timeout: v.seconds("DOPPLER_REPORTS_POLL_TOTAL_TIMEOUT", 900)?,
            timer_enabled: v.bool("REPORTS_TIMER_ENABLED", true)?,
            timer_interval: v.minutes("REPORTS_TIMER_INTERVAL", 15)?,
            admin_visible: v.bool("REPORTS_ADMIN_VISIBLE", false)?,
            post_send_delay: v.minutes("POST_SEND_REPORT_DELAY_MIN", 15)?,
            manual_refresh_delay: v.minutes("MANUAL_REPORT_REFRESH_MIN", 30)?,
        };
        if reports.timer_enabled && reports.timer_interval.is_zero() {
            return Err(ConfigError::new(
                "REPORTS_TIMER_INTERVAL",
                "must be greater than zero when REPORTS_TIMER_ENABLED is on",
            ));
        }

        let sending = SendingConfig {
            scheduler_enabled: v.bool("BULK_SCHEDULER_ENABLED", true)?,
            scheduler_interval: v.minutes("BULK_SCHEDULER_INTERVAL_MIN", 2)?,
            concurrency: v.positive("SEND_CONCURRENCY", 8usize)?,
            rate_per_second: v.parse(
                "SEND_RATE_PER_SECOND",
                20u32,
                "a whole number (0 = no limit)",
            )?,
            rate_per_hour: v.parse("SEND_RATE_PER_HOUR", 0u32, "a whole number (0 = no limit)")?,
        };
        if sending.scheduler_enabled && sending.scheduler_interval.is_zero() {
            return Err(ConfigError::new(
                "BULK_SCHEDULER_INTERVAL_MIN",
                "must be greater than zero when BULK_SCHEDULER_ENABLED is on",
            ));
        }

        let limits = LimitsConfig {
            upload_max_bytes: v.positive("UPLOAD_MAX_BYTES", 50 * 1024 * 1024u64)?,
            import_max_rows: v.positive("IMPORT_MAX_ROWS", 250_000u64)?,
            attachment_max_bytes: v.positive("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024u64)?,
            message_attachments_max_bytes: v
                .positive("MESSAGE_ATTACHMENTS_MAX_BYTES", 25 * 1024 * 1024u64)?,
        };

        let auth = AuthConfig {
            access_token_ttl: Duration::from_secs(v.positive("ACCESS_TOKEN_TTL_SECONDS", 900u64)?),
            refresh_token_ttl: Duration::from_secs(
                v.positive("REFRESH_TOKEN_TTL_DAYS", 14u64)? * 86_400,
            ),
            api_token_default_days: v.positive("API_TOKEN_DEFAULT_DAYS", 90u32)?,
            hash_concurrency: v.positive("PASSWORD_HASH_CONCURRENCY", 4usize)?,
        };
        if auth.api_token_default_days > MAX_API_TOKEN_DAYS {
            return Err(ConfigError::new(
                "API_TOKEN_DEFAULT_DAYS",
                format!("must be at most {MAX_API_TOKEN_DAYS} days"),
            ));
        }

        let jobs = JobsConfig {
            workers: v.positive("JOB_WORKERS", 4usize)?,
            lease: Duration::from_secs(v.positive("JOB_LEASE_SECONDS", 60u64)?),
            enabled: v.bool("JOBS_ENABLED", true)?,
        };

        Ok(Config {
            debug,
            secret_key,
            allowed_hosts,
            database_url,
            analytics_database_url,
            data_dir,
            bind_addr,
            static_dir: v.raw("STATIC_DIR").map(PathBuf::from),
            time_zone,
            log_format,
            relay,
            reports,
            sending,
            limits,
            auth,
            jobs,
        })
    }

    /// Whether a request's `Host` header names this deployment.
    pub fn host_allowed(&self, host: &str) -> bool {
        let name = host_name(host);
        self.allowed_hosts.iter().any(|allowed| {
            allowed == "*"
                || *allowed == name
                || (allowed.starts_with('.') && name.ends_with(allowed.as_str()))
        })
    }
}

/// `example.com:8080` → `example.com`, `[::1]:80` → `::1`.
fn host_name(host: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default().to_string();
    }
    host.rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map(|(name, _)| name.to_string())
        .unwrap_or(host)
}

fn database_url(v: &Vars, debug: bool, data_dir: &Path) -> Result<DatabaseUrl, ConfigError> {
    if let Some(url) = v.raw("DATABASE_URL") {
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::new(
                "DATABASE_URL",
                "expected a sqlite: or postgres:// URL",
            ));
        }
        return Ok(DatabaseUrl::new(url));
    }
    if v.bool("USE_SQLITE", debug)? {
        let path = data_dir.join("relay-console.sqlite3");
        return Ok(DatabaseUrl::new(format!(
            "sqlite://{}?mode=rwc",
            path.display()
        )));
    }
    let port: u16 = v.parse("DB_PORT", 5432, "a port number")?;
    Ok(DatabaseUrl::new(postgres_url(
        &v.string("DB_HOST", "127.0.0.1"),
        port,
        &v.string("DB_NAME", "relay_app"),
        &v.string("DB_USER", "relay_user"),
        v.raw("DB_PASSWORD").unwrap_or(""),
        None,
    )))
}

fn analytics_database_url(v: &Vars) -> Result<Option<DatabaseUrl>, ConfigError> {
    if let Some(url) = v.raw("ANALYTICS_DATABASE_URL") {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(ConfigError::new(
                "ANALYTICS_DATABASE_URL",
                "expected a postgres:// URL (the analytics database is PostgreSQL)",
            ));
        }
        return Ok(Some(DatabaseUrl::new(url)));
    }
    let Some(name) = v.raw("ANALYTICS_DB_NAME") else {
        if v.raw("ANALYTICS_DB_HOST").is_some() {
            return Err(ConfigError::new(
                "ANALYTICS_DB_NAME",
                "is required when ANALYTICS_DB_HOST is set",
            ));
        }
        return Ok(None);
    };
    let sslmode = v.string("ANALYTICS_DB_SSLMODE", "require");
    if ![
        "disable",
        "allow",
        "prefer",
        "require",
        "verify-ca",
        "verify-full",
    ]
    .contains(&sslmode.as_str())
    {
        return Err(ConfigError::new(
            "ANALYTICS_DB_SSLMODE",
            format!("expected disable, prefer, require, verify-ca or verify-full, got '{sslmode}'"),
        ));
    }
    Ok(Some(DatabaseUrl::new(postgres_url(
        &v.string("ANALYTICS_DB_HOST", "127.0.0.1"),
        v.parse("ANALYTICS_DB_PORT", 5432, "a port number")?,
        name,
        &v.string("ANALYTICS_DB_USER", "postgres"),
        v.raw("ANALYTICS_DB_PASSWORD").unwrap_or(""),
        Some(&sslmode),
    ))))
}

fn postgres_url(
    host: &str,
    port: u16,
    name: &str,
    user: &str,
    password: &str,
    sslmode: Option<&str>,
) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let auth = if password.is_empty() {
        enc(user)
    } else {
        format!("{}:{}", enc(user), enc(password))
    };
    let mut url = format!("postgres://{auth}@{host}:{port}/{}", enc(name));
    if let Some(mode) = sslmode {
        url.push_str(&format!("?sslmode={mode}"));
    }
    url
}

/// Whether a URL points at this machine (the simulator in development and tests).
pub fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Values published in our own example files: anyone who read them could sign tokens.
const EXAMPLE_SECRET_KEYS: [&str; 3] =
    ["change-me-to-a-long-random-string", "change-me", "changeme"];

/// Why a `SECRET_KEY` cannot protect a production deployment, if it cannot.
fn check_secret_key(key: &str) -> Result<(), String> {
    const HINT: &str = "generate one with `openssl rand -base64 48`";
    if EXAMPLE_SECRET_KEYS
        .iter()
        .any(|example| key.eq_ignore_ascii_case(example))
    {
        return Err(format!("is the placeholder from the example file; {HINT}"));
    }
    if key.len() < 32 {
        return Err(format!(
            "must be at least 32 bytes long (it has {}); {HINT}",
            key.len()
        ));
    }
    if estimated_entropy_bits(key) < 128.0 || has_short_period(key) {
        return Err(format!(
            "is too predictable (repeated or few distinct characters); {HINT}"
        ));
    }
    Ok(())
}

/// Shannon entropy of the key's characters times its length: a rough upper bound of its
/// unpredictability (48 random base64 characters give about 280 bits).
fn estimated_entropy_bits(key: &str) -> f64 {
    let mut counts: HashMap<char, usize> = HashMap::new();
    for c in key.chars() {
        *counts.entry(c).or_default() += 1;
    }
    let n = key.chars().count() as f64;
    let per_char: f64 = counts
        .values()
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum();
    per_char * n
}

/// A key that is one short piece repeated (`abcabcabc…`, `0123…f0123…f`).
fn has_short_period(key: &str) -> bool {
    let bytes = key.as_bytes();
    (1..=bytes.len() / 2).any(|period| {
        bytes.len().is_multiple_of(period) && bytes.chunks(period).all(|c| c == &bytes[..period])
    })
}

/// In DEBUG without `SECRET_KEY`, a random key kept in the data directory so sessions
/// survive restarts of a development server.
fn development_secret_key(data_dir: &Path) -> Result<SecretString, ConfigError> {
    use rand::Rng;
    let path = data_dir.join(".secret_key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if existing.trim().len() >= 16 {
            return Ok(SecretString::from(existing.trim().to_string()));
        }
    }
    let key: String = rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(48)
        .map(char::from)
        .collect();
    std::fs::create_dir_all(data_dir)
        .and_then(|_| std::fs::write(&path, &key))
        .map_err(|e| {
            ConfigError::new("DATA_DIR", format!("cannot write {}: {e}", path.display()))
        })?;
    Ok(SecretString::from(key))
}

#[cfg(test)]
pub(crate) mod tests {
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

    /// Names passed to the readers above, taken from this file's own source.
    fn variables_read_by_the_code() -> std::collections::BTreeSet<String> {
        let source = include_str!("config.rs");
        let code = source.split("#[cfg(test)]").next().unwrap();
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

    #[test]
    fn env_example_documents_exactly_the_variables_the_code_reads() {
        let example = include_str!("../../.env.example");
        let documented: std::collections::BTreeSet<String> = example
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_string()))
            .collect();
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
        // Every documented comment line precedes its variable.
        for (i, line) in example.lines().enumerate() {
            if line.contains('=') && !line.starts_with('#') {
                let previous = example.lines().nth(i.saturating_sub(1)).unwrap_or("");
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
        let vars: HashMap<String, String> = include_str!("../../.env.example")
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
}
