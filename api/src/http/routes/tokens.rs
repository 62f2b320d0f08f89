//! Personal API tokens for scripts: one's own, and (for `users.manage`) anyone's.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use relay_types::{ApiToken, CreateApiToken, CreatedApiToken};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::accounts::api_tokens;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::http::auth::{can, Authorized, ClientIp};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::responses::*;
use crate::http::AppState;
use crate::services::Services;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(list_user_tokens))
        .routes(routes!(revoke_user_token))
}

/// The caller's API tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = Vec<ApiToken>), Unauthorized))]
async fn list_tokens(
    State(state): State<Services>,
    user: CurrentUser,
) -> AppResult<Json<Vec<ApiToken>>> {
    Ok(Json(api_tokens::list_own(&state, &user).await?))
}

/// Create an API token for the caller, confirming their password. It expires after
/// `expires_in_days` (default `API_TOKEN_DEFAULT_DAYS`); only superusers may ask for none.
/// The secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens",
    request_body = CreateApiToken,
    responses((status = 201, body = CreatedApiToken), BadRequest, Unauthorized, Forbidden, Unsupported, Invalid, TooMany, Busy))]
async fn create_token(
    State(state): State<Services>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<CreateApiToken>,
) -> AppResult<(StatusCode, Json<CreatedApiToken>)> {
    let created = api_tokens::create_own(&state, &user, ip, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Revoke one of the caller's API tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = i64, Path, minimum = 1, description = "Token id")),
    responses((status = 204, description = "Revoked"), Unauthorized, NotFound))]
async fn revoke_token(
    State(state): State<Services>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    api_tokens::revoke_own(&state, &user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user's API tokens, for an administrator (a superuser's only for superusers).
#[utoipa::path(get, path = "/api/v1/users/{id}/tokens", tag = "users",
    params(("id" = i64, Path, minimum = 1, description = "User id")),
    responses((status = 200, body = Vec<ApiToken>), Unauthorized, Forbidden, NotFound))]
async fn list_user_tokens(
    State(state): State<Services>,
    by: Authorized<can::ManageUsers>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Vec<ApiToken>>> {
    Ok(Json(api_tokens::list_of(&state, &by, id).await?))
}

/// Revoke a user's API token, for an administrator (a superuser's only for superusers).
#[utoipa::path(delete, path = "/api/v1/users/{id}/tokens/{token_id}", tag = "users",
    params(("id" = i64, Path, minimum = 1, description = "User id"),
        ("token_id" = i64, Path, minimum = 1, description = "Token id")),
    responses((status = 204, description = "Revoked"), Unauthorized, Forbidden, NotFound))]
async fn revoke_user_token(
    State(state): State<Services>,
    by: Authorized<can::ManageUsers>,
    ApiPath((id, token_id)): ApiPath<(i64, i64)>,
) -> AppResult<StatusCode> {
    api_tokens::revoke_of(&state, &by, id, token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
