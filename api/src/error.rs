//! `AppError` → RFC 9457 problem+json.
//!
//! Every error carries a stable machine `code` and a message in Spanish and English. The
//! handler's answer holds both; [`render_problems`] picks the language from the request's
//! `Accept-Language` (Spanish by default) and adds the request path and id. Errors from
//! outside our handlers (unknown route, wrong method, body too large) get the same shape.
//! Internal errors are logged with their cause and answered without it.

use std::borrow::Cow;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use relay_types::Problem;
use serde_json::{Map, Value};

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Es,
    En,
}

impl Lang {
    /// The preferred of Spanish and English in an `Accept-Language` header; Spanish when
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

    pub fn from_headers(headers: &HeaderMap) -> Lang {
        Lang::from_accept_language(
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        )
    }
}

/// An error answer: status, stable code, message in both languages, and optional facts.
/// Boxed, so that `Result<T, AppError>` stays one pointer wide on the happy path.
#[derive(Debug)]
pub struct AppError(Box<ErrorDetails>);

#[derive(Debug)]
pub struct ErrorDetails {
    pub status: StatusCode,
    pub code: Cow<'static, str>,
    pub es: String,
    pub en: String,
    pub field: Option<String>,
    pub extra: Map<String, Value>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
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

impl AppError {
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        es: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self(Box::new(ErrorDetails {
            status,
            code: code.into(),
            es: es.into(),
            en: en.into(),
            field: None,
            extra: Map::new(),
            headers: Vec::new(),
            source: None,
        }))
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.0.field = Some(field.into());
        self
    }

    /// Adds a top-level member to the problem. The RFC 9457 members (and ours) are reserved.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
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
        debug_assert!(
            !RESERVED.contains(&key),
            "'{key}' is a reserved problem member"
        );
        if !RESERVED.contains(&key) {
            self.0.extra.insert(key.to_string(), value.into());
        }
        self
    }

    pub fn header(mut self, name: HeaderName, value: impl ToString) -> Self {
        if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
            self.0.headers.push((name, value));
        }
        self
    }

    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Es => &self.es,
            Lang::En => &self.en,
        }
    }

    pub fn bad_request(code: &'static str, es: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, es, en)
    }

    /// 422 naming the field at fault.
    pub fn invalid(
        field: impl Into<String>,
        code: &'static str,
        es: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, es, en).field(field)
    }

    pub fn unauthorized(code: &'static str, es: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, es, en).header(header::WWW_AUTHENTICATE, "Bearer")
    }

    pub fn forbidden(permission: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "permission_denied",
            format!("No tienes permiso para esta acción (se requiere '{permission}')."),
            format!("You do not have permission for this action ('{permission}' is required)."),
        )
        .with("permission", permission)
    }

    /// 404 with whole phrases ("Plantilla no encontrada.", "Template not found.").
    pub fn not_found(es: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", es, en)
    }

    /// 404 for something the request names (in `field`) that does not exist: a referenced
    /// sender, attachment, template or group.
    pub fn missing(
        field: &str,
        code: &'static str,
        es: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, es, en).field(field)
    }

    pub fn conflict(code: &'static str, es: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, es, en)
    }

    pub fn too_large(limit_bytes: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
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
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Error interno del servidor. El incidente quedó registrado.",
            "Internal server error. The incident was logged.",
        );
        err.0.source = Some(source.into());
        err
    }

    /// 502 for a failure of an upstream service such as Doppler Relay.
    pub fn upstream(code: &'static str, es: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, code, es, en)
    }

    pub fn to_problem(&self, lang: Lang) -> Problem {
        Problem {
            kind: if self.status == StatusCode::INTERNAL_SERVER_ERROR {
                "about:blank".to_string()
            } else {
                format!("urn:relay-console:problem:{}", self.code)
            },
            title: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            status: self.status.as_u16(),
            detail: self.message(lang).to_string(),
            code: self.code.to_string(),
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

/// What a handler's error leaves on its response for [`render_problems`] to localise.
#[derive(Debug, Clone)]
struct ProblemSource {
    problem_es: Problem,
    problem_en: Problem,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            match &self.source {
                Some(source) => {
                    tracing::error!(code = %self.code, error = format!("{source:#}"), "request failed")
                }
                None => tracing::error!(code = %self.code, message = %self.en, "request failed"),
            }
        }
        let source = ProblemSource {
            problem_es: self.to_problem(Lang::Es),
            problem_en: self.to_problem(Lang::En),
        };
        let mut response = problem_response(&source.problem_es);
        *response.status_mut() = self.status;
        for (name, value) in self.0.headers {
            response.headers_mut().insert(name, value);
        }
        response.extensions_mut().insert(source);
        response
    }
}

fn problem_response(problem: &Problem) -> Response {
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() =
        StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

/// Errors raised outside our handlers, by status.
fn generic_error(status: StatusCode) -> AppError {
    match status {
        StatusCode::NOT_FOUND => AppError::new(
            status,
            "not_found",
            "El recurso solicitado no existe.",
            "The requested resource does not exist.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => AppError::new(
            status,
            "method_not_allowed",
            "Método HTTP no permitido para este recurso.",
            "HTTP method not allowed for this resource.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => AppError::new(
            status,
            "payload_too_large",
            "El cuerpo de la petición es demasiado grande.",
            "The request body is too large.",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::new(
            status,
            "unsupported_media_type",
            "Tipo de contenido no soportado.",
            "Unsupported content type.",
        ),
        StatusCode::REQUEST_TIMEOUT => AppError::new(
            status,
            "request_timeout",
            "La petición tardó demasiado.",
            "The request took too long.",
        ),
        s if s.is_server_error() => AppError::new(
            status,
            "internal_error",
            "Error interno del servidor. El incidente quedó registrado.",
            "Internal server error. The incident was logged.",
        ),
        _ => AppError::new(
            status,
            "bad_request",
            "Petición inválida.",
            "Invalid request.",
        ),
    }
}

/// Middleware: every error answer leaves as problem+json in the client's language, with
/// the request path and id.
pub async fn render_problems(request: Request, next: Next) -> Response {
    let lang = Lang::from_headers(request.headers());
    let instance = request.uri().path().to_string();
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let mut problem = match response.extensions().get::<ProblemSource>() {
        Some(source) => match lang {
            Lang::Es => source.problem_es.clone(),
            Lang::En => source.problem_en.clone(),
        },
        None => generic_error(status).to_problem(lang),
    };
    problem.instance = Some(instance);
    problem.request_id = request_id;
    let (parts, _) = response.into_parts();
    let mut rendered = problem_response(&problem);
    *rendered.status_mut() = parts.status;
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rendered.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rendered
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
