//! Attachments: upload, list, download, delete.

use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use relay_types::{Attachment, Page};
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::attachments;
use crate::error::AppResult;
use crate::http::auth::{can, Authorized};
use crate::http::downloads::file_response;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::responses::*;
use crate::http::uploads::{self, UploadForm};
use crate::http::AppState;
use crate::pagination::PageParams;
use crate::services::Services;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        // Uploads are streamed with their own, configured limit.
        .routes(routes!(upload_attachment).layer(DefaultBodyLimit::disable()))
        .routes(routes!(list_attachments))
        .routes(routes!(get_attachment, delete_attachment))
        .routes(routes!(download_attachment))
}

/// The multipart form of an upload.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct AttachmentUpload {
    /// The file (not empty, at most `ATTACHMENT_MAX_BYTES`).
    #[schema(value_type = String, format = Binary, min_length = 1)]
    file: Vec<u8>,
}

/// A file's bytes, for the OpenAPI document.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
struct BinaryFile(Vec<u8>);

/// Upload an attachment (multipart field `file`). Over `ATTACHMENT_MAX_BYTES` is a 413
/// naming the limit; nothing is kept.
#[utoipa::path(post, path = "/api/v1/attachments", tag = "attachments",
    request_body(content = AttachmentUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = Attachment), BadRequest, Unauthorized, Forbidden, TooLarge, Invalid))]
async fn upload_attachment(
    State(state): State<Services>,
    user: Authorized<can::UseAttachments>,
    headers: HeaderMap,
    form: Multipart,
) -> AppResult<(StatusCode, Json<Attachment>)> {
    let limit = state.config.limits.attachment_max_bytes;
    uploads::check_declared_length(&headers, limit)?;
    let form = UploadForm::read(form, "file", &[], &state.config, limit).await?;
    let file = form.file.ok_or_else(|| uploads::missing_file("file"))?;
    let saved = attachments::save(&state.db, &state.config, &user, file).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

#[utoipa::path(get, path = "/api/v1/attachments", tag = "attachments",
    params(PageParams),
    responses((status = 200, body = Page<Attachment>), Unauthorized, Forbidden, Invalid))]
async fn list_attachments(
    State(state): State<Services>,
    user: Authorized<can::ReadAttachments>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Page<Attachment>>> {
    Ok(Json(
        attachments::list(&state.db, &user, page.into()).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "attachments",
    params(("id" = i64, Path, description = "Attachment id")),
    responses((status = 200, body = Attachment), Unauthorized, Forbidden, NotFound))]
async fn get_attachment(
    State(state): State<Services>,
    user: Authorized<can::ReadAttachments>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Attachment>> {
    Ok(Json(attachments::get(&state.db, &user, id).await?))
}

/// The file, with its original name and content type.
#[utoipa::path(get, path = "/api/v1/attachments/{id}/download", tag = "attachments",
    params(("id" = i64, Path, description = "Attachment id")),
    responses((status = 200, description = "The file, as `application/octet-stream` (its original type is in the attachment's `content_type`)", content_type = "application/octet-stream", body = inline(BinaryFile)), Unauthorized, Forbidden, NotFound))]
async fn download_attachment(
    State(state): State<Services>,
    user: Authorized<can::ReadAttachments>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Response> {
    let (model, file) = attachments::open(&state.db, &state.config, &user, id).await?;
    // Always as bytes to save: a file someone uploaded is never shown inline by the browser.
    file_response(
        file,
        "application/octet-stream",
        &model.original_name,
        Some(model.size_bytes as u64),
    )
}

/// Delete an attachment no send uses (409 otherwise).
#[utoipa::path(delete, path = "/api/v1/attachments/{id}", tag = "attachments",
    params(("id" = i64, Path, description = "Attachment id")),
    responses((status = 204, description = "Deleted"), Unauthorized, Forbidden, NotFound, Conflict))]
async fn delete_attachment(
    State(state): State<Services>,
    user: Authorized<can::UseAttachments>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    attachments::delete(&state.db, &state.config, &user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
