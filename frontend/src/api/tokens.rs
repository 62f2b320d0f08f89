//! Personal API tokens: for scripts, shown once, revocable.

use relay_types::{ApiToken, CreateApiToken, CreatedApiToken};

use super::{delete, get, post, ApiResult, Body};

pub async fn mine() -> ApiResult<Vec<ApiToken>> {
    get("/api/v1/tokens").await
}

pub async fn create(body: &CreateApiToken) -> ApiResult<CreatedApiToken> {
    post("/api/v1/tokens", Body::json(body)).await
}

pub async fn revoke(id: i64) -> ApiResult<()> {
    delete(&format!("/api/v1/tokens/{id}")).await
}
