//! Attachments: uploaded once, referenced by id from sends and messages ("Adjuntos").

use relay_types::{Attachment, Page};
use web_sys::FormData;

use super::{delete, get, post, query, ApiResult, Body};

pub async fn upload_file(file: &web_sys::File) -> ApiResult<Attachment> {
    let form = FormData::new().map_err(|_| super::ApiError::network())?;
    let _ = form.append_with_blob_and_filename("file", file, &file.name());
    post("/api/v1/attachments", Body::Form(form)).await
}

pub async fn list(page: u64) -> ApiResult<Page<Attachment>> {
    get(&format!(
        "/api/v1/attachments{}",
        query(&[
            ("page", page.max(1).to_string()),
            ("page_size", "20".into())
        ])
    ))
    .await
}

/// Every attachment the user may pick (the newest 100).
pub async fn choices() -> ApiResult<Page<Attachment>> {
    get("/api/v1/attachments?page_size=100").await
}

pub async fn one(id: i64) -> ApiResult<Attachment> {
    get(&format!("/api/v1/attachments/{id}")).await
}

pub async fn download(attachment: &Attachment) -> ApiResult<()> {
    super::download(
        format!("/api/v1/attachments/{}/download", attachment.id),
        attachment.name.clone(),
        // As the server serves it: a file to save, never a page the browser would open.
        "application/octet-stream",
    )
    .await
}

/// Refused (409) while a send or a message uses it.
pub async fn remove(id: i64) -> ApiResult<()> {
    delete(&format!("/api/v1/attachments/{id}")).await
}
