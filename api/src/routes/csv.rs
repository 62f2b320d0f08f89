//! CSV preview: what the importer would conclude, nothing stored.

use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::HeaderMap;
use axum::Json;
use relay_types::CsvPreview;
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::problems::*;
use super::uploads::{self, UploadForm};
use crate::app::AppState;
use crate::auth::{can, Authorized};
use crate::error::AppResult;
use crate::recipients::{self, rows::RowRules};
use crate::templates;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(preview).layer(DefaultBodyLimit::disable()))
}

/// The multipart form of a preview.
#[derive(ToSchema)]
#[allow(dead_code)]
struct PreviewForm {
    /// The recipient CSV (at most `UPLOAD_MAX_BYTES`).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Check the rows against this template's variables.
    template_id: Option<String>,
    /// `{"variable": "column"}` as JSON.
    mapping: Option<String>,
    /// Make unknown top-level domains (`gmail.comm`) invalid rather than a warning.
    reject_suspicious: Option<bool>,
}

/// Reads a recipient CSV as an import would (encoding, delimiter, e-mail column, a verdict
/// per row) and answers the counts and the first 10 rows. Stores nothing.
#[utoipa::path(post, path = "/api/v1/csv/preview", tag = "bulk_sends",
    request_body(content = PreviewForm, content_type = "multipart/form-data"),
    responses((status = 200, body = CsvPreview), BadRequest, Unauthorized, Forbidden, TooLarge, Invalid, Upstream))]
async fn preview(
    State(state): State<AppState>,
    _: Authorized<can::ViewBulkSends>,
    headers: HeaderMap,
    form: Multipart,
) -> AppResult<Json<CsvPreview>> {
    let limit = state.config.limits.upload_max_bytes;
    uploads::check_declared_length(&headers, limit)?;
    let form = UploadForm::read(form, "file", &state.config, limit).await?;
    let file = form
        .file
        .as_ref()
        .ok_or_else(|| uploads::missing_file("file"))?;
    let template_variables = match form.text("template_id") {
        Some(id) => {
            templates::detail(&state.relay, &state.config, &id)
                .await?
                .variables
        }
        None => Vec::new(),
    };
    let rules = RowRules {
        required: template_variables.clone(),
        reject_suspicious: form.flag("reject_suspicious")?,
        max_rows: state.config.limits.import_max_rows,
    };
    let preview = recipients::preview(&file.spool.0, &form.mapping()?, rules, template_variables)
        .await
        .map_err(|e| e.into_problem("file"))?;
    Ok(Json(preview))
}
