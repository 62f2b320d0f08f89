//! Users, groups and the permission catalogue (for `users.manage`).

use relay_types::{
    CreateGroup, CreateUser, Group, Page, PermissionInfo, UpdateGroup, UpdateUser, User,
};

use super::{delete, get, patch, post, query, ApiResult, Body};

pub async fn list(q: &str) -> ApiResult<Page<User>> {
    get(&format!(
        "/api/v1/users{}",
        query(&[("q", q.to_string()), ("page_size", "100".into())])
    ))
    .await
}

pub async fn create(body: &CreateUser) -> ApiResult<User> {
    post("/api/v1/users", Body::json(body)).await
}

pub async fn update(id: i64, body: &UpdateUser) -> ApiResult<User> {
    patch(&format!("/api/v1/users/{id}"), Body::json(body)).await
}

pub async fn groups() -> ApiResult<Vec<Group>> {
    get("/api/v1/groups").await
}

pub async fn create_group(body: &CreateGroup) -> ApiResult<Group> {
    post("/api/v1/groups", Body::json(body)).await
}

pub async fn update_group(id: i64, body: &UpdateGroup) -> ApiResult<Group> {
    patch(&format!("/api/v1/groups/{id}"), Body::json(body)).await
}

pub async fn delete_group(id: i64) -> ApiResult<()> {
    delete(&format!("/api/v1/groups/{id}")).await
}

pub async fn permissions() -> ApiResult<Vec<PermissionInfo>> {
    get("/api/v1/permissions").await
}

/// A user's API tokens, for an administrator to see and revoke.
pub async fn tokens(id: i64) -> ApiResult<Vec<relay_types::ApiToken>> {
    get(&format!("/api/v1/users/{id}/tokens")).await
}

pub async fn revoke_token(id: i64, token_id: i64) -> ApiResult<()> {
    delete(&format!("/api/v1/users/{id}/tokens/{token_id}")).await
}

/// A user as stored now (an edit starts from it, not from a list read earlier).
pub async fn one(id: i64) -> ApiResult<User> {
    get(&format!("/api/v1/users/{id}")).await
}
