//! CSV preview: what the importer would conclude, nothing stored.

use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::HeaderMap;
use axum::Json;
use relay_types::{CsvPreview, CsvProblem};
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::http::auth::{can, Authorized};
use crate::http::responses::*;
use crate::http::uploads::{self, UploadForm};
use crate::http::AppState;
use crate::recipients::{self, rows::RowRules};
use crate::services::Services;
use crate::templates;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(preview_csv).layer(DefaultBodyLimit::disable()))
}

/// The multipart form of a preview.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct PreviewForm {
    /// The recipient CSV (at most `UPLOAD_MAX_BYTES`).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Check the rows against this template's variables.
    #[schema(min_length = 1, max_length = 100, nullable = false)]
    template_id: Option<String>,
    /// `{"variable": "column"}`.
    #[schema(nullable = false)]
    mapping: Option<std::collections::BTreeMap<String, String>>,
    /// Make unknown top-level domains (`gmail.comm`) invalid rather than a warning.
    #[schema(nullable = false)]
    reject_suspicious: Option<bool>,
    /// The column holding the addresses; when absent, the column named like one (`email`,
    /// `correo`...), else the one whose values look like addresses (`email_candidates`).
    #[schema(min_length = 1, max_length = 1000, nullable = false)]
    email_column: Option<String>,
}

impl PreviewForm {
    const FIELDS: &'static [&'static str] = &[
        "template_id",
        "mapping",
        "reject_suspicious",
        "email_column",
    ];
}

/// Reads a recipient CSV as an import would (encoding, delimiter, e-mail column, a verdict
/// per row) and answers the counts and the first 10 rows. A file that cannot be imported
/// is answered too, with `problem` saying why. Stores nothing.
#[utoipa::path(post, path = "/api/v1/csv/preview", tag = "bulk_sends",
    request_body(content = PreviewForm, content_type = "multipart/form-data"),
    responses((status = 200, body = CsvPreview), BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, Invalid, Upstream))]
async fn preview_csv(
    State(state): State<Services>,
    _: Authorized<can::ViewBulkSends>,
    headers: HeaderMap,
    form: Multipart,
) -> AppResult<Json<CsvPreview>> {
    let limit = state.config.limits.upload_max_bytes;
    uploads::check_declared_length(&headers, limit)?;
    let form = UploadForm::read(form, "file", PreviewForm::FIELDS, &state.config, limit).await?;
    if form.raw("template_id").is_some_and(str::is_empty) {
        return Err(AppError::invalid(
            "template_id",
            ErrorCode::TemplateRequired,
            "template_id no puede ir vacío (omítelo para no comprobar variables).",
            "template_id cannot be empty (leave it out to skip the variable check).",
        ));
    }
    let file = form
        .file
        .as_ref()
        .ok_or_else(|| uploads::missing_file("file"))?;
    let template_variables = match form.text("template_id") {
        Some(id) => {
            templates::detail(&state.db, &state.relay, &state.config, &id)
                .await?
                .variables
        }
        None => Vec::new(),
    };
    let rules = RowRules {
        required: template_variables.clone(),
        reject_suspicious: form.flag("reject_suspicious")?,
        max_rows: state.config.limits.import_max_rows,
        email_column: form.email_column()?,
    };
    let preview = match recipients::preview(
        file.spool.0.clone(),
        form.mapping()?,
        rules,
        template_variables,
    )
    .await
    {
        Ok(preview) => preview,
        // A file that cannot be imported is a preview's answer too: what is wrong with it.
        Err(err) if err.is_about_the_file() => {
            let problem = err.into_problem("file");
            let columns = problem
                .extra
                .get("headers")
                .and_then(|h| serde_json::from_value(h.clone()).ok())
                .unwrap_or_default();
            CsvPreview {
                problem: Some(CsvProblem {
                    code: problem.code.to_string(),
                    message: problem
                        .message(crate::http::problem::lang_of(&headers))
                        .to_string(),
                    field: problem.field.clone().unwrap_or_else(|| "file".into()),
                }),
                headers: columns,
                ..CsvPreview::default()
            }
        }
        Err(err) => return Err(err.into_problem("file")),
    };
    Ok(Json(preview))
}
