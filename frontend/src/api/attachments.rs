//! Attachments a send can carry (uploaded once, referenced by id).

use relay_types::Attachment;
use web_sys::FormData;

use super::{post, ApiResult, Body};

pub async fn upload(form: FormData) -> ApiResult<Attachment> {
    post("/api/v1/attachments", Body::Form(form)).await
}
