//! Users, groups and the permission catalogue (for `users.manage`).

use gloo_net::http::Method;
use relay_types::{
    CreateGroup, CreateUser, Group, Page, PermissionInfo, SetGroups, UpdateGroup, UpdateUser, User,
};

use super::{decode, get, post, query, send, ApiResult, Body};

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
    decode(
        send(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            &[],
            &Body::json(body),
        )
        .await?,
    )
    .await
}

pub async fn set_groups(id: i64, group_ids: Vec<i64>) -> ApiResult<User> {
    let body = SetGroups { group_ids };
    decode(
        send(
            Method::PUT,
            &format!("/api/v1/users/{id}/groups"),
            &[],
            &Body::json(&body),
        )
        .await?,
    )
    .await
}

pub async fn groups() -> ApiResult<Vec<Group>> {
    get("/api/v1/groups").await
}

pub async fn create_group(body: &CreateGroup) -> ApiResult<Group> {
    post("/api/v1/groups", Body::json(body)).await
}

pub async fn update_group(id: i64, body: &UpdateGroup) -> ApiResult<Group> {
    decode(
        send(
            Method::PATCH,
            &format!("/api/v1/groups/{id}"),
            &[],
            &Body::json(body),
        )
        .await?,
    )
    .await
}

pub async fn delete_group(id: i64) -> ApiResult<()> {
    send(
        Method::DELETE,
        &format!("/api/v1/groups/{id}"),
        &[],
        &Body::Empty,
    )
    .await?;
    Ok(())
}

pub async fn permissions() -> ApiResult<Vec<PermissionInfo>> {
    get("/api/v1/permissions").await
}
