//! Personal API tokens for scripts.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use relay_types::{ApiToken, CreateApiToken, CreatedApiToken};
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::problems::*;
use crate::app::AppState;
use crate::audit::{self, Target};
use crate::auth::{tokens, CurrentUser};
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiPath};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
}

/// The caller's API tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = Vec<ApiToken>), Unauthorized))]
async fn list(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Vec<ApiToken>>> {
    let items = tokens::list_api_tokens(&state.db, user.id).await?;
    Ok(Json(items.into_iter().map(ApiToken::from).collect()))
}

/// Create an API token for the caller. The secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens",
    request_body = CreateApiToken,
    responses((status = 201, body = CreatedApiToken), BadRequest, Unauthorized, Invalid))]
async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<CreateApiToken>,
) -> AppResult<(StatusCode, Json<CreatedApiToken>)> {
    let (model, secret) =
        tokens::create_api_token(&state.db, user.id, &body.name, body.expires_in_days).await?;
    audit::record(
        &state.db.conn,
        &user.actor(),
        "tokens.create",
        Some(Target::new("api_token", model.id)),
        json!({ "name": model.name }),
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

/// Revoke one of the caller's API tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"), Unauthorized, NotFound))]
async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    if !tokens::revoke_api_token(&state.db, user.id, id).await? {
        return Err(AppError::not_found(
            "Token no encontrado.",
            "Token not found.",
        ));
    }
    audit::record(
        &state.db.conn,
        &user.actor(),
        "tokens.revoke",
        Some(Target::new("api_token", id)),
        json!({}),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
