//! Signing in and out, refreshing, and "who am I".

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use relay_types::{LoginRequest, LogoutRequest, Me, RefreshRequest, TokenResponse, UiSettings};
use secrecy::SecretString;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::accounts::users;
use crate::audit::{self, Target};
use crate::auth::{login, tokens, CurrentUser};
use crate::error::{AppError, AppResult};
use crate::http::auth::ClientIp;
use crate::http::extract::{parse_json, ApiJson};
use crate::http::responses::*;
use crate::http::AppState;
use crate::services::Services;

pub fn public_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh_session))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(logout))
        .routes(routes!(get_me))
}

/// Sign in with username and password. Repeated failures for one user or address are
/// slowed down (429 with `Retry-After`).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(()),
    request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), BadRequest, Unauthorized, Invalid, TooMany, Busy))]
async fn login(
    State(state): State<Services>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LoginRequest>,
) -> AppResult<Json<TokenResponse>> {
    let (_, tokens) = login::login(
        &state.db,
        &state.config,
        &state.hasher,
        &body.username,
        SecretString::from(body.password),
        ip,
    )
    .await?;
    Ok(Json(tokens))
}

/// Trade a refresh token for a new pair. Each refresh token works once; presenting a
/// spent one signs out that whole session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", security(()),
    request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), BadRequest, Unauthorized, Invalid))]
async fn refresh_session(
    State(state): State<Services>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> AppResult<Json<TokenResponse>> {
    match tokens::rotate_refresh_token(&state.db, &state.config, body.refresh_token.trim()).await? {
        tokens::RefreshOutcome::Rotated { tokens, .. } => Ok(Json(tokens)),
        tokens::RefreshOutcome::Reused { user_id } => {
            let actor = audit::Actor {
                user_id: Some(user_id),
                username: String::new(),
                ip,
            };
            audit::record(
                &state.db.conn,
                &actor,
                "auth.refresh_reused",
                Some(Target::new("user", user_id)),
                json!({}),
            )
            .await?;
            Err(AppError::unauthorized(
                "auth_refresh_reused",
                "Este token de renovación ya fue usado; la sesión se cerró por seguridad.",
                "This refresh token was already used; the session was closed for safety.",
            ))
        }
    }
}

/// Sign out: revokes the session of the given refresh token, or every session without one.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    request_body = LogoutRequest,
    responses((status = 204, description = "Signed out"), BadRequest, Unauthorized, Invalid))]
async fn logout(
    State(state): State<Services>,
    user: CurrentUser,
    body: axum::body::Bytes,
) -> AppResult<StatusCode> {
    // The body is optional: without it every session of the user ends.
    let presented = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let token = parse_json::<LogoutRequest>(&body)?.refresh_token;
        if token.as_ref().is_some_and(|t| t.chars().count() > 200) {
            return Err(crate::error::AppError::invalid(
                "refresh_token",
                "refresh_token_invalid",
                "refresh_token admite hasta 200 caracteres.",
                "refresh_token takes at most 200 characters.",
            ));
        }
        token
    };
    tokens::revoke_sessions(&state.db, user.id, presented.as_deref()).await?;
    audit::record(
        &state.db.conn,
        &user.actor(),
        "auth.logout",
        Some(Target::new("user", user.id)),
        json!({}),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user, their groups and effective permissions, and UI settings.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = Me), Unauthorized))]
async fn get_me(State(state): State<Services>, user: CurrentUser) -> AppResult<Json<Me>> {
    let profile = users::get(&state.db, user.id).await?;
    Ok(Json(Me {
        groups: profile.groups.clone(),
        user: profile,
        permissions: user.permission_codes(),
        ui: UiSettings {
            time_zone: state.config.time_zone.name().to_string(),
            reports_admin_visible: state.config.reports.admin_visible,
            analytics_available: state.config.analytics_database_url.is_some(),
        },
    }))
}
