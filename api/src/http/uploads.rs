//! Multipart uploads: limits checked before reading, files streamed, errors as problems.

use axum::extract::multipart::{Field, MultipartError};
use axum::extract::Multipart;
use axum::http::{header, HeaderMap, StatusCode};

use crate::error::{AppError, ErrorCode, ErrorKind};

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
            ErrorKind::TooLarge,
            ErrorCode::PayloadTooLarge,
            "El archivo supera el tamaño permitido.",
            "The file is over the allowed size.",
        );
    }
    AppError::bad_request(
        ErrorCode::MultipartInvalid,
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
        ErrorCode::FileRequired,
        format!("Falta el archivo (campo '{name}')."),
        format!("The file is missing (field '{name}')."),
    )
}

/// Most bytes one text field of a multipart form may hold.
pub const TEXT_FIELD_MAX_BYTES: usize = 64 * 1024;
/// Most fields one multipart form may have.
pub const MAX_FIELDS: usize = 50;
/// The longest e-mail column name a form may give.
pub const EMAIL_COLUMN_MAX_CHARS: usize = 1000;

/// A text field read whole, refused past [`TEXT_FIELD_MAX_BYTES`].
async fn bounded_text(mut field: Field<'_>, name: &str) -> Result<String, AppError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        if bytes.len() + chunk.len() > TEXT_FIELD_MAX_BYTES {
            return Err(AppError::new(
                ErrorKind::TooLarge,
                ErrorCode::FormFieldTooLarge,
                format!(
                    "El campo '{name}' supera {} KB.",
                    TEXT_FIELD_MAX_BYTES / 1024
                ),
                format!("Field '{name}' is over {} KB.", TEXT_FIELD_MAX_BYTES / 1024),
            )
            .field(name)
            .with("limit_bytes", TEXT_FIELD_MAX_BYTES as u64));
        }
        bytes.extend_from_slice(&chunk);
    }
    if bytes.contains(&0) {
        return Err(crate::http::extract::nul_refused().field(name));
    }
    String::from_utf8(bytes).map_err(|_| {
        AppError::invalid(
            name,
            ErrorCode::FormFieldNotUtf8,
            format!("El campo '{name}' no es texto UTF-8."),
            format!("Field '{name}' is not UTF-8 text."),
        )
    })
}

pub use crate::storage::SpooledFile;

/// A multipart form whose one file is spooled to disk and whose other fields are text.
pub struct UploadForm {
    fields: std::collections::HashMap<String, Vec<String>>,
    pub file: Option<SpooledFile>,
}

impl UploadForm {
    /// Reads the form, spooling the field `file_field` under `DATA_DIR` (at most `limit`
    /// bytes); any field not in `fields` (nor the file) is refused, naming it.
    pub async fn read(
        mut form: Multipart,
        file_field: &str,
        fields_allowed: &[&str],
        config: &crate::config::Config,
        limit: u64,
    ) -> Result<UploadForm, AppError> {
        let mut fields: std::collections::HashMap<String, Vec<String>> =
            std::collections::HashMap::new();
        let mut file = None;
        let mut count = 0usize;
        while let Some(field) = form.next_field().await? {
            count += 1;
            if count > MAX_FIELDS {
                let refusal = AppError::new(
                    ErrorKind::TooLarge,
                    ErrorCode::FormTooManyFields,
                    format!("El formulario admite hasta {MAX_FIELDS} campos."),
                    format!("The form takes at most {MAX_FIELDS} fields."),
                );
                return Err(refuse_after_draining(&mut form, refusal).await);
            }
            let name = field.name().unwrap_or_default().to_string();
            if name != file_field && !fields_allowed.contains(&name.as_str()) {
                let refusal = AppError::invalid(
                    name.clone(),
                    ErrorCode::FormFieldUnknown,
                    format!("El formulario no tiene un campo '{name}'."),
                    format!("The form has no field '{name}'."),
                );
                return Err(refuse_after_draining(&mut form, refusal).await);
            }
            if name == file_field {
                let (file_name, content_type) = describe(&field);
                let path = crate::storage::spool_path(config);
                let spool = crate::storage::Spooled(path.clone());
                let mut chunks = field;
                match crate::storage::write_limited(&path, &mut chunks, limit).await {
                    Ok((size, sha256)) => {
                        file = Some(SpooledFile {
                            spool,
                            name: crate::attachments::display_name(&file_name),
                            content_type,
                            size,
                            sha256,
                        })
                    }
                    Err(refusal) => {
                        let refusal = if refusal.kind == ErrorKind::TooLarge {
                            refusal.field(file_field)
                        } else {
                            refusal
                        };
                        return Err(refuse_after_draining(&mut form, refusal).await);
                    }
                }
            } else {
                let value = match bounded_text(field, &name).await {
                    Ok(value) => value,
                    Err(refusal) => return Err(refuse_after_draining(&mut form, refusal).await),
                };
                fields.entry(name).or_default().push(value);
            }
        }
        Ok(UploadForm { fields, file })
    }

    /// A text field exactly as sent, when present.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .and_then(|v| v.last())
            .map(String::as_str)
    }

    /// A text field as sent; `None` when absent or empty.
    pub fn text(&self, name: &str) -> Option<String> {
        self.raw(name).filter(|s| !s.is_empty()).map(str::to_string)
    }

    /// A boolean field: `true` or `false`, as the OpenAPI document's `boolean` says.
    pub fn flag(&self, name: &str) -> Result<bool, AppError> {
        match self.text(name).map(|v| v.to_ascii_lowercase()).as_deref() {
            None => Ok(false),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(other) => Err(AppError::invalid(
                name,
                ErrorCode::FieldInvalid,
                format!("El campo '{name}' debe ser true o false, no '{other}'."),
                format!("Field '{name}' must be true or false, not '{other}'."),
            )),
        }
    }

    /// `{"variable": "column"}` as a JSON object.
    pub fn mapping(&self) -> Result<std::collections::BTreeMap<String, String>, AppError> {
        match self.text("mapping") {
            None => Ok(Default::default()),
            Some(raw) => serde_json::from_str(&raw).map_err(|_| {
                AppError::invalid(
                    "mapping",
                    ErrorCode::MappingInvalid,
                    "mapping debe ser un objeto JSON {\"variable\": \"columna\"}.",
                    "mapping must be a JSON object {\"variable\": \"column\"}.",
                )
            }),
        }
    }

    /// The operator's e-mail column, at most [`EMAIL_COLUMN_MAX_CHARS`] characters.
    pub fn email_column(&self) -> Result<Option<String>, AppError> {
        match self.text("email_column") {
            Some(name) if name.chars().count() > EMAIL_COLUMN_MAX_CHARS => Err(AppError::invalid(
                "email_column",
                ErrorCode::FieldTooLong,
                format!("email_column admite hasta {EMAIL_COLUMN_MAX_CHARS} caracteres."),
                format!("email_column takes at most {EMAIL_COLUMN_MAX_CHARS} characters."),
            )
            .with("limit_chars", EMAIL_COLUMN_MAX_CHARS)),
            other => Ok(other),
        }
    }

    /// Ids given as repeated fields, a comma list, or a JSON array.
    pub fn ids(&self, name: &str) -> Result<Vec<i64>, AppError> {
        let mut ids = Vec::new();
        for raw in self.fields.get(name).into_iter().flatten() {
            let raw = raw.trim();
            if raw.is_empty() {
                continue;
            }
            let parsed: Result<Vec<i64>, _> = if raw.starts_with('[') {
                serde_json::from_str(raw).map_err(|_| ())
            } else {
                raw.split(',')
                    .map(|p| p.trim().parse::<i64>().map_err(|_| ()))
                    .collect()
            };
            ids.extend(parsed.map_err(|_| {
                AppError::invalid(
                    name,
                    ErrorCode::FieldInvalid,
                    format!("'{name}' debe ser una lista de ids."),
                    format!("'{name}' must be a list of ids."),
                )
            })?);
        }
        Ok(ids)
    }
}
