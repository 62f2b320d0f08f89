//! User administration (`users.manage`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use relay_types::{CreateUser, Page, PermissionInfo, SetGroups, SetPermissions, UpdateUser, User};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::accounts::users::{self, UserFilter};
use crate::auth::Permission;
use crate::error::AppResult;
use crate::http::auth::{can, Authorized};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::responses::*;
use crate::http::AppState;
use crate::pagination::PageParams;
use crate::services::Services;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(set_user_groups))
        .routes(routes!(set_user_permissions))
        .routes(routes!(list_permissions))
}

/// List users (search by name or e-mail, filter by state or group).
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    params(UserFilter, PageParams),
    responses((status = 200, body = Page<User>), Unauthorized, Forbidden, Invalid))]
async fn list_users(
    State(state): State<Services>,
    _: Authorized<can::ManageUsers>,
    ApiQuery(filter): ApiQuery<UserFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Page<User>>> {
    Ok(Json(users::list(&state.db, &filter, page.into()).await?))
}

/// Create a user, optionally with groups and direct permissions.
#[utoipa::path(post, path = "/api/v1/users", tag = "users",
    request_body = CreateUser,
    responses((status = 201, body = User), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Invalid, Busy))]
async fn create_user(
    State(state): State<Services>,
    user: Authorized<can::ManageUsers>,
    ApiJson(body): ApiJson<CreateUser>,
) -> AppResult<(StatusCode, Json<User>)> {
    Ok((
        StatusCode::CREATED,
        Json(users::create(&state.db, &state.hasher, Some(&user), body).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = User), Unauthorized, Forbidden, NotFound))]
async fn get_user(
    State(state): State<Services>,
    _: Authorized<can::ManageUsers>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<User>> {
    Ok(Json(users::get(&state.db, id).await?))
}

/// Change a user. A new password or deactivation signs out their sessions. Another user's
/// password or e-mail changes only for an administrator holding every permission that user
/// holds (a superuser's only for a superuser); a password set this way must be replaced by
/// its owner at the next sign-in, and the owner is told by e-mail. One's own password needs
/// `current_password` and counts as a sign-in attempt (429 while throttled). `group_ids` and
/// `permissions`, when given, replace the user's groups and direct permissions in the same
/// change: everything is saved, or (on any refusal) nothing.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = i64, Path, description = "User id")),
    request_body = UpdateUser,
    responses((status = 200, body = User), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Invalid, TooMany, Busy))]
async fn update_user(
    State(state): State<Services>,
    user: Authorized<can::ManageUsers>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> AppResult<Json<User>> {
    Ok(Json(users::update(&state, &user, id, body).await?))
}

/// Replace the user's group memberships.
#[utoipa::path(put, path = "/api/v1/users/{id}/groups", tag = "users",
    params(("id" = i64, Path, description = "User id")),
    request_body = SetGroups,
    responses((status = 200, body = User), BadRequest, Unauthorized, Forbidden, NotFound, Invalid))]
async fn set_user_groups(
    State(state): State<Services>,
    user: Authorized<can::ManageUsers>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SetGroups>,
) -> AppResult<Json<User>> {
    Ok(Json(
        users::set_groups(&state.db, &user, id, body.group_ids).await?,
    ))
}

/// Replace the user's direct permissions.
#[utoipa::path(put, path = "/api/v1/users/{id}/permissions", tag = "users",
    params(("id" = i64, Path, description = "User id")),
    request_body = SetPermissions,
    responses((status = 200, body = User), BadRequest, Unauthorized, Forbidden, NotFound, Invalid))]
async fn set_user_permissions(
    State(state): State<Services>,
    user: Authorized<can::ManageUsers>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SetPermissions>,
) -> AppResult<Json<User>> {
    Ok(Json(
        users::set_permissions(&state.db, &user, id, body.permissions).await?,
    ))
}

/// Every permission that can be given to a user or group.
#[utoipa::path(get, path = "/api/v1/permissions", tag = "users",
    responses((status = 200, body = Vec<PermissionInfo>), Unauthorized, Forbidden))]
async fn list_permissions(_: Authorized<can::ManageUsers>) -> AppResult<Json<Vec<PermissionInfo>>> {
    Ok(Json(
        Permission::ALL
            .iter()
            .map(|p| {
                let (es, en) = crate::auth::permission::descriptions(*p);
                PermissionInfo {
                    code: *p,
                    description_es: es.into(),
                    description_en: en.into(),
                }
            })
            .collect(),
    ))
}
