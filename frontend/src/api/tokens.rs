//! Personal API tokens: for scripts, shown once, revocable.

use gloo_net::http::Method;
use relay_types::{ApiToken, CreateApiToken, CreatedApiToken};

use super::{get, post, send, ApiResult, Body};

pub async fn mine() -> ApiResult<Vec<ApiToken>> {
    get("/api/v1/tokens").await
}

pub async fn create(body: &CreateApiToken) -> ApiResult<CreatedApiToken> {
    post("/api/v1/tokens", Body::json(body)).await
}

pub async fn revoke(id: i64) -> ApiResult<()> {
    send(
        Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
        &[],
        &Body::Empty,
    )
    .await?;
    Ok(())
}
