//! Errors as HTTP answers: each [`ErrorKind`] has one status code, and every error answer is
//! RFC 9457 problem+json in the client's language.
//!
//! A handler's error leaves both languages on its response; [`render_problems`] picks one
//! from the request's `Accept-Language` (Spanish by default) and adds the request path and
//! id. Errors from outside our handlers (unknown route, wrong method, body too large) get
//! the same shape. Internal errors are logged with their cause and answered without it.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use relay_types::Problem;

use crate::error::{AppError, ErrorCode, ErrorKind, Lang};

pub const PROBLEM_JSON: &str = "application/problem+json";

pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::Unsupported => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Upstream => StatusCode::BAD_GATEWAY,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::from_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

fn problem(err: &AppError, status: StatusCode, lang: Lang) -> Problem {
    err.to_problem(
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error"),
        lang,
    )
}

/// What a handler's error leaves on its response for [`render_problems`] to localise.
#[derive(Debug, Clone)]
struct ProblemSource {
    problem_es: Problem,
    problem_en: Problem,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = status_of(self.kind);
        if status.is_server_error() && self.kind != ErrorKind::Unavailable {
            match &self.source {
                Some(source) => {
                    tracing::error!(code = %self.code, error = format!("{source:#}"), "request failed")
                }
                None => tracing::error!(code = %self.code, message = %self.en, "request failed"),
            }
        }
        let source = ProblemSource {
            problem_es: problem(&self, status, Lang::Es),
            problem_en: problem(&self, status, Lang::En),
        };
        let mut response = problem_response(&source.problem_es);
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.kind == ErrorKind::Unauthorized {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        // A refused upload may leave part of its body unread, so the connection cannot carry
        // another request: saying so keeps a client from sending its next one into a closing
        // connection (it failed as "incomplete message" instead of being sent anew).
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
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
fn generic_problem(status: StatusCode, lang: Lang) -> Problem {
    let (code, es, en) = match status {
        StatusCode::NOT_FOUND => (
            ErrorCode::NotFound,
            "El recurso solicitado no existe.",
            "The requested resource does not exist.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            ErrorCode::MethodNotAllowed,
            "Método HTTP no permitido para este recurso.",
            "HTTP method not allowed for this resource.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            ErrorCode::PayloadTooLarge,
            "El cuerpo de la petición es demasiado grande.",
            "The request body is too large.",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            ErrorCode::UnsupportedMediaType,
            "Tipo de contenido no soportado.",
            "Unsupported content type.",
        ),
        StatusCode::REQUEST_TIMEOUT => (
            ErrorCode::RequestTimeout,
            "La petición tardó demasiado.",
            "The request took too long.",
        ),
        s if s.is_server_error() => (
            ErrorCode::InternalError,
            "Error interno del servidor. El incidente quedó registrado.",
            "Internal server error. The incident was logged.",
        ),
        _ => (
            ErrorCode::BadRequest,
            "Petición inválida.",
            "Invalid request.",
        ),
    };
    let kind = if status.is_server_error() {
        ErrorKind::Internal
    } else {
        ErrorKind::BadRequest
    };
    problem(&AppError::new(kind, code, es, en), status, lang)
}

/// Middleware: every error answer leaves as problem+json in the client's language, with
/// the request path and id.
pub async fn render_problems(request: Request, next: Next) -> Response {
    let lang = lang_of(request.headers());
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
        None => generic_problem(status, lang),
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

/// The answer for a path no route serves.
pub async fn not_found() -> AppError {
    AppError::new(
        ErrorKind::NotFound,
        ErrorCode::NotFound,
        "El recurso solicitado no existe.",
        "The requested resource does not exist.",
    )
}
