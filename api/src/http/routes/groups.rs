//! Group administration (`users.manage`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use relay_types::{CreateGroup, Group, UpdateGroup};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::accounts::groups;
use crate::error::AppResult;
use crate::http::auth::{can, Authorized};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::responses::*;
use crate::http::AppState;
use crate::services::Services;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_groups, create_group))
        .routes(routes!(get_group, update_group, delete_group))
}

#[utoipa::path(get, path = "/api/v1/groups", tag = "groups",
    responses((status = 200, body = Vec<Group>), Unauthorized, Forbidden))]
async fn list_groups(
    State(state): State<Services>,
    _: Authorized<can::ManageUsers>,
) -> AppResult<Json<Vec<Group>>> {
    Ok(Json(groups::list(&state.db).await?))
}

#[utoipa::path(post, path = "/api/v1/groups", tag = "groups",
    request_body = CreateGroup,
    responses((status = 201, body = Group), BadRequest, Unauthorized, Forbidden, Conflict, Invalid))]
async fn create_group(
    State(state): State<Services>,
    user: Authorized<can::ManageUsers>,
    ApiJson(body): ApiJson<CreateGroup>,
) -> AppResult<(StatusCode, Json<Group>)> {
    Ok((
        StatusCode::CREATED,
        Json(groups::create(&state.db, &user, body).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/groups/{id}", tag = "groups",
    params(("id" = i64, Path, description = "Group id")),
    responses((status = 200, body = Group), Unauthorized, Forbidden, NotFound))]
async fn get_group(
    State(state): State<Services>,
    _: Authorized<can::ManageUsers>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Group>> {
    Ok(Json(groups::get(&state.db, id).await?))
}

/// Rename a group or replace its permissions.
#[utoipa::path(patch, path = "/api/v1/groups/{id}", tag = "groups",
    params(("id" = i64, Path, description = "Group id")),
    request_body = UpdateGroup,
    responses((status = 200, body = Group), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Invalid))]
async fn update_group(
    State(state): State<Services>,
    user: Authorized<can::ManageUsers>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UpdateGroup>,
) -> AppResult<Json<Group>> {
    Ok(Json(groups::update(&state.db, &user, id, body).await?))
}

/// Delete a group; its members lose the permissions it gave.
#[utoipa::path(delete, path = "/api/v1/groups/{id}", tag = "groups",
    params(("id" = i64, Path, description = "Group id")),
    responses((status = 204, description = "Deleted"), Unauthorized, Forbidden, NotFound))]
async fn delete_group(
    State(state): State<Services>,
    user: Authorized<can::ManageUsers>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    groups::delete(&state.db, &user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
