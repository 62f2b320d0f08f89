//! Every environment variable Relay Console reads, parsed once at start-up.
//!
//! A `.env` file in the working directory is loaded first when present (variables already
//! in the process environment win). A value that does not parse stops start-up with an
//! error naming the variable, so a typo never turns into a silent default.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

mod database;
mod secret_key;
mod vars;

pub use database::{DatabaseKind, DatabaseUrl};

use database::{analytics_database_url, database_url};
use secret_key::{check_secret_key, development_secret_key};
use vars::Vars;

use chrono_tz::Tz;
use secrecy::SecretString;

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
    /// The scheme this one is not (Doppler takes both: docs/doppler.md).
    pub fn other(self) -> AuthScheme {
        match self {
            AuthScheme::Bearer => AuthScheme::Token,
            AuthScheme::Token => AuthScheme::Bearer,
        }
    }

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
    /// After a 402 that does not say when the quota resets, when a send may resume.
    pub quota_retry: Duration,
}

#[derive(Debug, Clone)]
pub struct ReportsConfig {
    /// Hosts a report file link is further restricted to (`relay::file_link`); empty: any
    /// public HTTPS host.
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
    /// How long a client may take to send a request's headers, and to send each next part of
    /// its body, before the connection is closed (slow clients cannot hold connections).
    pub http_read_timeout: Duration,
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

impl Config {
    /// Reads `.env` (when present) and the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        if let Err(err) = dotenvy::dotenv() {
            if !err.not_found() {
                // systemd's EnvironmentFile= takes `NAME=two words`; this reader (and so the
                // commands run by hand) needs the quotes that both accept.
                return Err(ConfigError::new(
                    ".env",
                    format!(
                        "{err} (a value with spaces goes in double quotes: NAME=\"two words\")"
                    ),
                ));
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
            quota_retry: v.minutes("DOPPLER_QUOTA_RETRY_MIN", 60)?,
        };

        let file_hosts: Vec<String> = v
            .string("DOPPLER_REPORT_FILE_HOSTS", "")
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
            http_read_timeout: Duration::from_secs(v.positive("HTTP_READ_TIMEOUT", 30u64)?),
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
    /// Midnight of a local day (`TIME_ZONE`), in UTC.
    pub fn local_midnight(&self, day: chrono::NaiveDate) -> chrono::DateTime<chrono::Utc> {
        day.and_hms_opt(0, 0, 0)
            .and_then(|naive| naive.and_local_timezone(self.time_zone).earliest())
            .map(|at| at.with_timezone(&chrono::Utc))
            .unwrap_or_else(|| day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
    }

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

/// Whether a URL points at this machine (the simulator in development and tests).
pub fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
pub(crate) mod tests;
