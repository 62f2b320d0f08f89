//! Which databases to use: the default one (SQLite under `DATA_DIR`, or PostgreSQL from
//! `DB_*`, or `DATABASE_URL`) and the optional analytics PostgreSQL. URLs may carry a
//! password, so they are kept secret and shown redacted.

use std::path::Path;

use secrecy::{ExposeSecret, SecretString};

use super::vars::Vars;
use super::ConfigError;

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

    /// The URL with every password replaced (the user's, and `password=` or `sslpassword=`
    /// in the query), for logs and errors.
    pub fn redacted(&self) -> String {
        match url::Url::parse(self.expose()) {
            Ok(mut url) => {
                if url.password().is_some() {
                    let _ = url.set_password(Some("***"));
                }
                let pairs: Vec<(String, String)> = url
                    .query_pairs()
                    .map(|(k, v)| {
                        let hidden = k.to_ascii_lowercase().contains("password");
                        (
                            k.into_owned(),
                            if hidden { "***".into() } else { v.into_owned() },
                        )
                    })
                    .collect();
                if !pairs.is_empty() {
                    url.query_pairs_mut().clear().extend_pairs(pairs);
                }
                url.to_string()
            }
            // Not a URL after all: nothing in it can be told apart from a password.
            Err(_) => "***".to_string(),
        }
    }

    /// `text` (a driver's error, say) with every password of this URL replaced.
    pub fn redact_in(&self, text: &str) -> String {
        let Ok(url) = url::Url::parse(self.expose()) else {
            return text.replace(self.expose(), "***");
        };
        let mut secrets: Vec<String> = url
            .query_pairs()
            .filter(|(k, _)| k.to_ascii_lowercase().contains("password"))
            .map(|(_, v)| v.into_owned())
            .collect();
        if let Some(password) = url.password() {
            secrets.push(password.to_string());
            if let Ok(decoded) = urlencoding_decode(password) {
                secrets.push(decoded);
            }
        }
        let mut text = text.replace(self.expose(), &self.redacted());
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            text = text.replace(secret.as_str(), "***");
        }
        text
    }
}

fn urlencoding_decode(text: &str) -> Result<String, std::string::FromUtf8Error> {
    String::from_utf8(
        url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned().into_bytes())
            .unwrap_or_default(),
    )
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

pub fn database_url(v: &Vars, debug: bool, data_dir: &Path) -> Result<DatabaseUrl, ConfigError> {
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

pub fn analytics_database_url(v: &Vars) -> Result<Option<DatabaseUrl>, ConfigError> {
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
