//! Multipart uploads: limits checked before reading, files streamed, errors as problems.

use axum::extract::multipart::{Field, MultipartError};
use axum::extract::Multipart;
use axum::http::{header, HeaderMap, StatusCode};

use crate::error::AppError;

/// How much of a refused upload is still read, so the client gets to read the 413 instead
/// of a connection closed under it. Bodies declared larger are refused without reading.
const DRAIN_CAP: u64 = 16 * 1024 * 1024;

/// Refuses a body whose declared length is far over the limit, before reading it.
pub fn check_declared_length(headers: &HeaderMap, limit: u64) -> Result<(), AppError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(length) if length > limit + DRAIN_CAP => Err(AppError::too_large(limit)),
        _ => Ok(()),
    }
}

/// After refusing an upload, reads (and discards) what the client is still sending, up to
/// [`DRAIN_CAP`], then answers the refusal.
pub async fn refuse_after_draining(form: &mut Multipart, refusal: AppError) -> AppError {
    let mut drained = 0u64;
    while let Ok(Some(mut field)) = form.next_field().await {
        while let Ok(Some(chunk)) = field.chunk().await {
            drained += chunk.len() as u64;
            if drained > DRAIN_CAP {
                return refusal;
            }
        }
    }
    refusal
}

pub fn multipart_error(err: MultipartError) -> AppError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "El archivo supera el tamaño permitido.",
            "The file is over the allowed size.",
        );
    }
    AppError::bad_request(
        "multipart_invalid",
        format!("El formulario multipart no es válido: {}", err.body_text()),
        format!("The multipart form is not valid: {}", err.body_text()),
    )
}

impl From<MultipartError> for AppError {
    fn from(err: MultipartError) -> Self {
        multipart_error(err)
    }
}

/// The file name and declared content type of a file field.
pub fn describe(field: &Field<'_>) -> (String, Option<String>) {
    (
        field.file_name().unwrap_or("archivo").to_string(),
        field.content_type().map(str::to_string),
    )
}

pub fn missing_file(name: &str) -> AppError {
    AppError::invalid(
        name,
        "file_required",
        format!("Falta el archivo (campo '{name}')."),
        format!("The file is missing (field '{name}')."),
    )
}
