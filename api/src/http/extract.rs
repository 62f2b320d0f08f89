//! Request extractors whose failures answer problem+json naming the field at fault,
//! instead of axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{AppError, ErrorCode};

/// A JSON body of at most `LIMIT` bytes (413 past it, before anything is parsed); a
/// malformed or mistyped body is a 422 naming the field.
pub struct ApiJson<T, const LIMIT: usize = { super::JSON_BODY_LIMIT }>(pub T);

/// The bound of the small bodies of signing in and choosing a password: nothing larger
/// is read as JSON, so a stranger cannot make the server parse megabytes. Room for the
/// longest valid body even with every character escaped (`\uXXXX` pairs, 12 bytes each):
/// two passwords of 1,024 characters.
pub const SMALL_JSON_LIMIT: usize = 32 * 1024;

impl<S, T, const LIMIT: usize> FromRequest<S> for ApiJson<T, LIMIT>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                let ct = ct.to_ascii_lowercase();
                ct.starts_with("application/json")
                    || (ct.starts_with("application/") && ct.contains("+json"))
            });
        if !is_json {
            return Err(AppError::new(
                crate::error::ErrorKind::Unsupported,
                ErrorCode::JsonContentTypeRequired,
                "El cuerpo debe ser JSON (Content-Type: application/json).",
                "The body must be JSON (Content-Type: application/json).",
            ));
        }
        let bytes = read_limited(req.into_body(), LIMIT).await?;
        if has_escaped_nul(&bytes) {
            return Err(nul_refused());
        }
        parse_json(&bytes).map(ApiJson)
    }
}

/// The longest idempotency key (`client_request_id` or `Idempotency-Key`).
pub const MAX_IDEMPOTENCY_KEY: usize = 64;

/// The idempotency key of a create: the body's `client_request_id`, else the
/// `Idempotency-Key` header. Both, when given, hold at most 64 characters (422 otherwise).
pub fn idempotency_key(
    headers: &axum::http::HeaderMap,
    from_body: Option<String>,
) -> Result<Option<String>, AppError> {
    let too_long = |field: &str| {
        AppError::invalid(
            field,
            ErrorCode::ClientRequestIdTooLong,
            format!("{field} admite hasta {MAX_IDEMPOTENCY_KEY} caracteres."),
            format!("{field} takes at most {MAX_IDEMPOTENCY_KEY} characters."),
        )
    };
    let header = match headers.get("idempotency-key") {
        None => None,
        Some(value) => Some(value.to_str().map_err(|_| {
            AppError::bad_request(
                ErrorCode::IdempotencyKeyInvalid,
                "Idempotency-Key debe ser texto ASCII.",
                "Idempotency-Key must be ASCII text.",
            )
        })?),
    };
    if header.is_some_and(|h| h.chars().count() > MAX_IDEMPOTENCY_KEY) {
        return Err(too_long("Idempotency-Key"));
    }
    if from_body
        .as_deref()
        .is_some_and(|b| b.chars().count() > MAX_IDEMPOTENCY_KEY)
    {
        return Err(too_long("client_request_id"));
    }
    Ok(from_body
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .or_else(|| {
            header
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
        }))
}

/// Text with a NUL character cannot be stored (PostgreSQL refuses it): 400, never a 500.
pub fn nul_refused() -> AppError {
    AppError::bad_request(
        ErrorCode::TextNulChar,
        "El texto no puede contener el carácter NUL (\\u0000).",
        "Text cannot contain the NUL character (\\u0000).",
    )
}

/// Whether a JSON document has a `\u0000` escape (one not itself escaped, `\\u0000`).
/// A raw NUL byte is not valid JSON and the parser refuses it.
fn has_escaped_nul(json: &[u8]) -> bool {
    json.windows(6).enumerate().any(|(at, w)| {
        w == b"\\u0000" && json[..at].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 0
    })
}

/// How much of a refused body is still read, so the client gets to read the 413 rather
/// than a connection closed under it.
const DRAIN_CAP: usize = 16 * 1024 * 1024;

/// The body, up to `limit` bytes; past it a 413 (after draining a bounded overflow).
async fn read_limited(body: axum::body::Body, limit: usize) -> Result<Bytes, AppError> {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut buffer = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| {
            AppError::bad_request(
                ErrorCode::BodyUnreadable,
                "No se pudo leer el cuerpo de la petición.",
                "The request body could not be read.",
            )
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total += data.len();
        if total > limit {
            if total > limit + DRAIN_CAP {
                break;
            }
            continue;
        }
        buffer.extend_from_slice(&data);
    }
    if total > limit {
        return Err(AppError::too_large(limit as u64));
    }
    Ok(Bytes::from(buffer))
}

/// A JSON body: an object, read as JSON Schema reads numbers (`3.0` is the integer 3),
/// into `T`; a malformed or mistyped body is a 400/422 naming the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut document: serde_json::Value = serde_json::from_slice(bytes).map_err(|inner| {
        AppError::bad_request(
            ErrorCode::JsonInvalid,
            format!("El cuerpo no es un JSON válido: {inner}"),
            format!("The body is not valid JSON: {inner}"),
        )
    })?;
    if !document.is_object() {
        return Err(AppError::invalid(
            "body",
            ErrorCode::JsonObjectRequired,
            "El cuerpo debe ser un objeto JSON ({...}).",
            "The body must be a JSON object ({...}).",
        ));
    }
    integral_numbers_as_integers(&mut document);
    serde_path_to_error::deserialize(document).map_err(|err| {
        let inner = err.inner();
        let message = inner.to_string();
        let path = err.path().to_string();
        let field = if path == "." {
            missing_field(&message).unwrap_or_else(|| "body".to_string())
        } else {
            match missing_field(&message) {
                Some(leaf) => format!("{path}.{leaf}"),
                None => path,
            }
        };
        AppError::invalid(
            field.clone(),
            ErrorCode::FieldInvalid,
            format!("El campo '{field}' no es válido: {message}"),
            format!("Field '{field}' is invalid: {message}"),
        )
    })
}

/// `3.0` becomes `3`: JSON Schema counts it an integer, and so do we.
fn integral_numbers_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if !(n.is_i64() || n.is_u64()) => {
            if let Some(f) = n.as_f64() {
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    *value = serde_json::Value::from(f as i64);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        serde_json::Value::Object(members) => {
            members.values_mut().for_each(integral_numbers_as_integers)
        }
        _ => {}
    }
}

/// `missing field `password` at line 1 column 2` → `password`.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// Query-string parameters; a bad value is a 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        if url::form_urlencoded::parse(query.as_bytes())
            .any(|(name, value)| name.contains('\0') || value.contains('\0'))
        {
            return Err(nul_refused());
        }
        let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|err| {
                let message = err.inner().to_string();
                let field = match err.path().to_string() {
                    p if p == "." => missing_field(&message).unwrap_or_else(|| "query".into()),
                    p => p,
                };
                AppError::invalid(
                    field.clone(),
                    ErrorCode::QueryParameterInvalid,
                    format!("El parámetro '{field}' no es válido: {message}"),
                    format!("Query parameter '{field}' is invalid: {message}"),
                )
            })
    }
}

/// Path parameters; a malformed id is a 404 (there is no such resource).
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|_| AppError::not_found("Recurso no encontrado.", "Resource not found."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Login {
        username: String,
        password: String,
        inner: Option<Inner>,
    }

    #[derive(serde::Deserialize, Debug)]
    struct Inner {
        count: u32,
    }

    #[test]
    fn nul_escapes_are_found_unless_escaped_themselves() {
        assert!(has_escaped_nul(br#"{"a":"x\u0000y"}"#));
        assert!(has_escaped_nul(br#"{"a":"\\\u0000"}"#));
        assert!(!has_escaped_nul(br#"{"a":"\\u0000"}"#));
        assert!(!has_escaped_nul(br#"{"a":"u0000"}"#));
    }

    #[test]
    fn errors_name_the_field() {
        let err = parse_json::<Login>(br#"{"username":"a"}"#).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("password"));
        assert_eq!(err.kind, crate::error::ErrorKind::Invalid);

        let err = parse_json::<Login>(br#"{"username":"a","password":"b","inner":{"count":"x"}}"#)
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("inner.count"));

        let err = parse_json::<Login>(b"{not json").unwrap_err();
        assert_eq!(err.code, ErrorCode::JsonInvalid);
        assert_eq!(err.kind, crate::error::ErrorKind::BadRequest);

        let err = parse_json::<Login>(br#"["a","b"]"#).unwrap_err();
        assert_eq!(err.code, ErrorCode::JsonObjectRequired);
    }

    #[test]
    fn integral_numbers_read_as_integers() {
        let parsed: Inner = parse_json(br#"{"count": 7.0}"#).unwrap();
        assert_eq!(parsed.count, 7);
        assert!(parse_json::<Inner>(br#"{"count": 7.5}"#).is_err());
    }
}
