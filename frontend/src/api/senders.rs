//! Sender identities the user may send from.

use relay_types::SenderList;

use super::{get, ApiResult};

pub async fn usable() -> ApiResult<SenderList> {
    get("/api/v1/senders?active=true&page_size=100").await
}

/// "Mi remitente": the user's own identity and what their sends use.
pub async fn mine() -> ApiResult<relay_types::MySender> {
    get("/api/v1/senders/me").await
}

pub async fn set_mine(body: &relay_types::SetMySender) -> ApiResult<relay_types::MySender> {
    super::send(
        gloo_net::http::Method::PUT,
        "/api/v1/senders/me",
        &[],
        &super::Body::json(body),
    )
    .await
    .map(|_| ())?;
    mine().await
}
