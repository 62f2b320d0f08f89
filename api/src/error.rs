//! The domain's error: what went wrong, in words for people and a code for programs.
//!
//! Every error carries a [`ErrorKind`], a stable machine `code` and a message in Spanish
//! and English, optionally the request field at fault and further facts. It knows nothing
//! of HTTP: `http::problem` turns kinds into status codes and errors into RFC 9457
//! problem+json. Internal errors keep their cause for the log; it is never answered.

pub use relay_types::ErrorCode;
use relay_types::Problem;
use serde_json::{Map, Value};

/// What kind of failure an error is; the HTTP layer maps each to one status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request cannot be read at all (malformed JSON, an unreadable form).
    BadRequest,
    /// The request is readable but a value breaks a rule (names its field).
    Invalid,
    /// No valid credentials.
    Unauthorized,
    /// Valid credentials without the right to do this.
    Forbidden,
    /// The thing asked for, or named in the request, does not exist (or is not visible).
    NotFound,
    /// The thing is not in a state that allows this (already sent, not ready, ...).
    Conflict,
    /// A file or body over its limit.
    TooLarge,
    /// A content type the operation does not read.
    Unsupported,
    /// Too many attempts; try again after `retry_after` seconds.
    RateLimited,
    /// Busy for a moment; try again after `retry_after` seconds.
    Unavailable,
    /// Doppler Relay (or another service we call) failed.
    Upstream,
    /// Our own fault; logged with its cause.
    Internal,
}

impl ErrorKind {
    /// Whether the request itself is at fault, so that trying again unchanged cannot help
    /// (as opposed to a busy moment, an upstream failure or our own fault).
    pub fn is_permanent(self) -> bool {
        !matches!(
            self,
            ErrorKind::RateLimited
                | ErrorKind::Unavailable
                | ErrorKind::Upstream
                | ErrorKind::Internal
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Es,
    En,
}

impl Lang {
    /// The preferred of Spanish and English in an `Accept-Language` value; Spanish when
    /// neither is named.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::Es;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("en") => Lang::En,
                Some("es") => Lang::Es,
                _ => continue,
            };
            if best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, lang));
            }
        }
        best.map(|(_, lang)| lang).unwrap_or(Lang::Es)
    }
}

/// An error: kind, stable code, message in both languages, and optional facts. Boxed, so
/// that `Result<T, AppError>` stays one pointer wide on the happy path.
#[derive(Debug)]
pub struct AppError(Box<ErrorDetails>);

#[derive(Debug)]
pub struct ErrorDetails {
    pub kind: ErrorKind,
    pub code: ErrorCode,
    pub es: String,
    pub en: String,
    pub field: Option<String>,
    pub extra: Map<String, Value>,
    /// Seconds after which trying again may succeed (rate limits, a busy moment).
    pub retry_after: Option<u64>,
    /// The cause of an internal error; logged, never answered.
    pub source: Option<anyhow::Error>,
}

pub type AppResult<T> = Result<T, AppError>;

impl std::ops::Deref for AppError {
    type Target = ErrorDetails;

    fn deref(&self) -> &ErrorDetails {
        &self.0
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.en, self.code)?;
        if let Some(source) = &self.source {
            write!(f, ": {source:#}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AppError {}

/// The RFC 9457 members, and ours, that [`AppError::with`] may not overwrite.
const RESERVED: [&str; 8] = [
    "type",
    "title",
    "status",
    "detail",
    "code",
    "instance",
    "request_id",
    "field",
];

impl AppError {
    pub fn new(
        kind: ErrorKind,
        code: ErrorCode,
        es: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self(Box::new(ErrorDetails {
            kind,
            code,
            es: es.into(),
            en: en.into(),
            field: None,
            extra: Map::new(),
            retry_after: None,
            source: None,
        }))
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.0.field = Some(field.into());
        self
    }

    /// Adds a top-level member to the problem. The RFC 9457 members (and ours) are reserved.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        debug_assert!(
            !RESERVED.contains(&key),
            "'{key}' is a reserved problem member"
        );
        if !RESERVED.contains(&key) {
            self.0.extra.insert(key.to_string(), value.into());
        }
        self
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.0.retry_after = Some(seconds);
        self
    }

    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Es => &self.es,
            Lang::En => &self.en,
        }
    }

    pub fn bad_request(code: ErrorCode, es: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, code, es, en)
    }

    /// A rule broken by the value of `field`.
    pub fn invalid(
        field: impl Into<String>,
        code: ErrorCode,
        es: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self::new(ErrorKind::Invalid, code, es, en).field(field)
    }

    pub fn unauthorized(code: ErrorCode, es: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthorized, code, es, en)
    }

    /// Refused for lack of `permission`.
    pub fn forbidden(permission: &str) -> Self {
        Self::new(
            ErrorKind::Forbidden,
            ErrorCode::PermissionDenied,
            format!("No tienes permiso para esta acción (se requiere '{permission}')."),
            format!("You do not have permission for this action ('{permission}' is required)."),
        )
        .with("permission", permission)
    }

    /// Refused for a reason other than a missing permission, with its own code.
    pub fn refused(code: ErrorCode, es: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, code, es, en)
    }

    /// Not found, with whole phrases ("Plantilla no encontrada.", "Template not found.").
    pub fn not_found(es: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, ErrorCode::NotFound, es, en)
    }

    /// Something the request names (in `field`) that does not exist: a referenced sender,
    /// attachment, template or group.
    pub fn missing(
        field: &str,
        code: ErrorCode,
        es: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self::new(ErrorKind::NotFound, code, es, en).field(field)
    }

    pub fn conflict(code: ErrorCode, es: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, code, es, en)
    }

    pub fn too_large(limit_bytes: u64) -> Self {
        Self::new(
            ErrorKind::TooLarge,
            ErrorCode::PayloadTooLarge,
            format!(
                "El archivo o cuerpo supera el límite de {} ({limit_bytes} bytes).",
                human_bytes(limit_bytes)
            ),
            format!(
                "The file or body exceeds the limit of {} ({limit_bytes} bytes).",
                human_bytes(limit_bytes)
            ),
        )
        .with("limit_bytes", limit_bytes)
    }

    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut err = Self::new(
            ErrorKind::Internal,
            ErrorCode::InternalError,
            "Error interno del servidor. El incidente quedó registrado.",
            "Internal server error. The incident was logged.",
        );
        err.0.source = Some(source.into());
        err
    }

    /// A failure of an upstream service such as Doppler Relay.
    pub fn upstream(code: ErrorCode, es: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(ErrorKind::Upstream, code, es, en)
    }

    /// The problem document in `lang`, given the status the HTTP layer chose for the kind.
    pub fn to_problem(&self, status: u16, title: &str, lang: Lang) -> Problem {
        Problem {
            kind: if self.kind == ErrorKind::Internal {
                "about:blank".to_string()
            } else {
                format!("urn:relay-console:problem:{}", self.code.as_str())
            },
            title: title.to_string(),
            status,
            detail: self.message(lang).to_string(),
            code: self.code.as_str().to_string(),
            instance: None,
            request_id: None,
            field: self.field.clone(),
            extra: self.extra.clone(),
        }
    }
}

pub fn human_bytes(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MB", bytes / MIB)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        AppError::internal(err)
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        AppError::internal(err)
    }
}

impl From<std::io::Error> for AppError {
    fn from(err: std::io::Error) -> Self {
        AppError::internal(err)
    }
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        AppError::internal(err)
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(err: tokio::task::JoinError) -> Self {
        AppError::internal(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_known_language() {
        assert_eq!(Lang::from_accept_language(None), Lang::Es);
        assert_eq!(Lang::from_accept_language(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(
            Lang::from_accept_language(Some("es-EC,es;q=0.9,en;q=0.8")),
            Lang::Es
        );
        assert_eq!(
            Lang::from_accept_language(Some("fr-FR, en;q=0.5")),
            Lang::En
        );
        assert_eq!(Lang::from_accept_language(Some("de")), Lang::Es);
        assert_eq!(
            Lang::from_accept_language(Some("es;q=0.2, en;q=0.7")),
            Lang::En
        );
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_bytes(50 * 1024 * 1024), "50 MB");
        assert_eq!(human_bytes(2048), "2 KB");
        assert_eq!(human_bytes(1000), "1000 bytes");
    }
}
