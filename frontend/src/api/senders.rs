//! Sender identities the user may send from.

use relay_types::SenderList;

use super::{get, ApiResult};

pub async fn usable() -> ApiResult<SenderList> {
    get("/api/v1/senders?active=true&page_size=100").await
}
