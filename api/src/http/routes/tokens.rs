//! Personal API tokens for scripts: one's own, and (for `users.manage`) anyone's.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use relay_types::{ApiToken, AuditAction, CreateApiToken, CreatedApiToken};
use secrecy::SecretString;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::accounts::{privileges, users};
use crate::audit::{self, Target};
use crate::auth::{login, tokens, CurrentUser};
use crate::error::{AppError, AppResult};
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
    let items = tokens::list_api_tokens(&state.db, user.id).await?;
    Ok(Json(items.into_iter().map(ApiToken::from).collect()))
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
    let expires_at =
        tokens::api_token_expiry(&state.config, user.is_superuser, body.expires_in_days)?;
    let account = users::find(&state.db, user.id).await?;
    login::confirm_password(
        &state.db,
        &state.hasher,
        &account,
        SecretString::from(body.password),
        ip,
    )
    .await?;
    let (model, secret) =
        tokens::create_api_token(&state.db, user.id, &body.name, expires_at).await?;
    audit::record(
        &state.db.conn,
        &user.actor(),
        AuditAction::TokensCreate,
        Some(Target::new("api_token", model.id)),
        json!({ "name": model.name, "expires_at": model.expires_at }),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiToken {
            token: model.into(),
            secret,
        }),
    ))
}

fn token_not_found() -> AppError {
    AppError::not_found("Token no encontrado.", "Token not found.")
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
    if !tokens::revoke_api_token(&state.db, user.id, id).await? {
        return Err(token_not_found());
    }
    audit::record(
        &state.db.conn,
        &user.actor(),
        AuditAction::TokensRevoke,
        Some(Target::new("api_token", id)),
        json!({}),
    )
    .await?;
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
    let target = users::find(&state.db, id).await?;
    privileges::check_may_manage(&by, &target)?;
    let items = tokens::list_api_tokens(&state.db, id).await?;
    Ok(Json(items.into_iter().map(ApiToken::from).collect()))
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
    let target = users::find(&state.db, id).await?;
    privileges::check_may_change_credentials(&state.db, &by, &target).await?;
    if !tokens::revoke_api_token(&state.db, id, token_id).await? {
        return Err(token_not_found());
    }
    audit::record(
        &state.db.conn,
        &by.actor(),
        AuditAction::TokensRevoke,
        Some(Target::new("api_token", token_id)),
        json!({ "user_id": id }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
