//! Attachments: upload, list, download, delete.

use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use relay_types::{Attachment, Page};
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::downloads::file_response;
use super::problems::*;
use super::uploads;
use crate::app::AppState;
use crate::attachments;
use crate::auth::{can, Authorized};
use crate::error::AppResult;
use crate::extract::{ApiPath, ApiQuery};
use crate::pagination::PageParams;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        // Uploads are streamed with their own, configured limit.
        .routes(routes!(upload).layer(DefaultBodyLimit::disable()))
        .routes(routes!(list))
        .routes(routes!(get, delete))
        .routes(routes!(download))
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
struct AttachmentUpload {
    /// The file (at most `ATTACHMENT_MAX_BYTES`).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Upload an attachment (multipart field `file`). Over `ATTACHMENT_MAX_BYTES` is a 413
/// naming the limit; nothing is kept.
#[utoipa::path(post, path = "/api/v1/attachments", tag = "attachments",
    request_body(content = AttachmentUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = Attachment), BadRequest, Unauthorized, Forbidden, TooLarge, Invalid))]
async fn upload(
    State(state): State<AppState>,
    user: Authorized<can::UseAttachments>,
    headers: HeaderMap,
    mut form: Multipart,
) -> AppResult<(StatusCode, Json<Attachment>)> {
    uploads::check_declared_length(&headers, state.config.limits.attachment_max_bytes)?;
    while let Some(field) = form.next_field().await? {
        if field.name() != Some("file") {
            continue;
        }
        let (name, content_type) = uploads::describe(&field);
        return match attachments::save(
            &state.db,
            &state.config,
            &user,
            &name,
            content_type.as_deref(),
            field,
        )
        .await
        {
            Ok(saved) => Ok((StatusCode::CREATED, Json(saved))),
            Err(refusal) => Err(uploads::refuse_after_draining(&mut form, refusal).await),
        };
    }
    Err(uploads::missing_file("file"))
}

#[utoipa::path(get, path = "/api/v1/attachments", tag = "attachments",
    params(PageParams),
    responses((status = 200, body = Page<Attachment>), Unauthorized, Forbidden, Invalid))]
async fn list(
    State(state): State<AppState>,
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
async fn get(
    State(state): State<AppState>,
    user: Authorized<can::ReadAttachments>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Attachment>> {
    Ok(Json(attachments::get(&state.db, &user, id).await?))
}

/// The file, with its original name and content type.
#[utoipa::path(get, path = "/api/v1/attachments/{id}/download", tag = "attachments",
    params(("id" = i64, Path, description = "Attachment id")),
    responses((status = 200, description = "The file", content_type = "application/octet-stream", body = Vec<u8>), Unauthorized, Forbidden, NotFound))]
async fn download(
    State(state): State<AppState>,
    user: Authorized<can::ReadAttachments>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Response> {
    let (model, file) = attachments::open(&state.db, &state.config, &user, id).await?;
    file_response(
        file,
        &model.content_type,
        &model.original_name,
        Some(model.size_bytes as u64),
    )
}

/// Delete an attachment no send uses (409 otherwise).
#[utoipa::path(delete, path = "/api/v1/attachments/{id}", tag = "attachments",
    params(("id" = i64, Path, description = "Attachment id")),
    responses((status = 204, description = "Deleted"), Unauthorized, Forbidden, NotFound, Conflict))]
async fn delete(
    State(state): State<AppState>,
    user: Authorized<can::UseAttachments>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    attachments::delete(&state.db, &state.config, &user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
