//! Request extractors whose failures answer problem+json naming the field at fault,
//! instead of axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// A JSON body; a malformed or mistyped body is a 422 naming the field.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
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
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "json_content_type_required",
                "El cuerpo debe ser JSON (Content-Type: application/json).",
                "The body must be JSON (Content-Type: application/json).",
            ));
        }
        let bytes = read_limited(req.into_body(), crate::app::JSON_BODY_LIMIT).await?;
        parse_json(&bytes).map(ApiJson)
    }
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
                "body_unreadable",
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

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let inner = err.inner();
        if inner.is_syntax() || inner.is_eof() {
            return AppError::bad_request(
                "json_invalid",
                format!("El cuerpo no es un JSON válido: {inner}"),
                format!("The body is not valid JSON: {inner}"),
            );
        }
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
            "field_invalid",
            format!("El campo '{field}' no es válido: {message}"),
            format!("Field '{field}' is invalid: {message}"),
        )
    })
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
                    "query_parameter_invalid",
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
    #[allow(dead_code)]
    struct Inner {
        count: u32,
    }

    #[test]
    fn errors_name_the_field() {
        let err = parse_json::<Login>(br#"{"username":"a"}"#).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("password"));
        assert_eq!(err.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);

        let err = parse_json::<Login>(br#"{"username":"a","password":"b","inner":{"count":"x"}}"#)
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("inner.count"));

        let err = parse_json::<Login>(b"{not json").unwrap_err();
        assert_eq!(err.code, "json_invalid");
        assert_eq!(err.status, axum::http::StatusCode::BAD_REQUEST);
    }
}
