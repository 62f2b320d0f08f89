//! Signing in and out, refreshing, and "who am I".

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{AppendHeaders, IntoResponse};
use axum::Json;
use relay_types::{
    ChangePassword, LoginRequest, LogoutRequest, Me, RefreshRequest, TokenResponse, UiSettings,
};
use secrecy::SecretString;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::accounts::{passwords, users};
use crate::auth::{login, CurrentUser};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::http::auth::ClientIp;
use crate::http::extract::{parse_json, ApiJson, SMALL_JSON_LIMIT};
use crate::http::responses::*;
use crate::http::AppState;
use crate::services::Services;

pub fn public_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh_session).layer(DefaultBodyLimit::max(SMALL_JSON_LIMIT)))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(logout).layer(DefaultBodyLimit::max(SMALL_JSON_LIMIT)))
        .routes(routes!(get_me))
        .routes(routes!(change_password))
}

/// The cookie a browser's session keeps its refresh token in: unreadable by scripts, sent
/// only to the auth endpoints, never cross-site.
const REFRESH_COOKIE: &str = "relay_refresh";

fn refresh_cookie(token: &str, max_age_seconds: u64) -> HeaderValue {
    let cookie = format!(
        "{REFRESH_COOKIE}={token}; Path=/api/v1/auth; Max-Age={max_age_seconds}; HttpOnly; Secure; SameSite=Strict"
    );
    HeaderValue::from_str(&cookie).unwrap_or(HeaderValue::from_static(""))
}

fn cleared_cookie() -> HeaderValue {
    refresh_cookie("", 0)
}

/// The refresh token in the request's session cookie.
fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == REFRESH_COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_string())
}

/// Moves the refresh token of `tokens` into the session cookie.
fn into_cookie(
    mut tokens: TokenResponse,
    config: &crate::config::Config,
) -> (
    AppendHeaders<[(header::HeaderName, HeaderValue); 1]>,
    Json<TokenResponse>,
) {
    let token = tokens.refresh_token.take().unwrap_or_default();
    let cookie = refresh_cookie(&token, config.auth.refresh_token_ttl.as_secs());
    (AppendHeaders([(header::SET_COOKIE, cookie)]), Json(tokens))
}

/// Sign in with username and password. Repeated failures are slowed down (429 with
/// `Retry-After`): per address and username, per address, and per username for clients
/// the account does not know (a browser with a valid session cookie of the account, or an
/// address it signed in from recently, passes the last). With `session_cookie` (the browser
/// app) the refresh token is set as an `HttpOnly` cookie instead of being returned. The body
/// takes at most 32 KB. When `password_change_required` is true, only
/// `POST /api/v1/auth/password`, `GET /api/v1/auth/me` and sign-out work until a new
/// password is chosen.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(()),
    request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), BadRequest, Unauthorized, TooLarge, Invalid, TooMany, Busy))]
async fn login(
    State(state): State<Services>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest, SMALL_JSON_LIMIT>,
) -> AppResult<axum::response::Response> {
    let (_, tokens) = login::login(
        &state.db,
        &state.config,
        &state.hasher,
        &body.username,
        SecretString::from(body.password),
        ip,
        cookie_token(&headers).as_deref(),
    )
    .await?;
    Ok(if body.session_cookie {
        into_cookie(tokens, &state.config).into_response()
    } else {
        Json(tokens).into_response()
    })
}

/// Trade a refresh token for a new pair. Each refresh token works once; presenting a
/// spent one signs out that whole session, its access tokens included. Without a body, the
/// session cookie's token is used and its successor set in the cookie; such a request must
/// come from this site's own pages (`Origin` naming an allowed host, else 403), besides the
/// cookie's `SameSite=Strict`. The body takes at most 32 KB.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", security(()),
    request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), BadRequest, Unauthorized, Forbidden, TooLarge, Invalid))]
async fn refresh_session(
    State(state): State<Services>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<axum::response::Response> {
    let presented = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        parse_json::<RefreshRequest>(&body)?.refresh_token
    };
    let (token, from_cookie) = match presented {
        Some(token) => (token, false),
        None => (
            cookie_token(&headers).ok_or_else(|| {
                AppError::unauthorized(
                    ErrorCode::AuthRefreshMissing,
                    "Falta el token de renovación: inicia sesión de nuevo.",
                    "The refresh token is missing: sign in again.",
                )
            })?,
            true,
        ),
    };
    if from_cookie {
        check_same_origin(&state, &headers)?;
    }
    if token.chars().count() > 200 {
        return Err(too_long_refresh_token());
    }
    let tokens = login::refresh(&state.db, &state.config, token.trim(), ip).await?;
    if from_cookie {
        Ok(into_cookie(tokens, &state.config).into_response())
    } else {
        Ok(Json(tokens).into_response())
    }
}

/// A browser's cookie-carried request must come from our own pages: its `Origin` (which
/// every browser sends with a `POST` from script) names the host the request was sent to,
/// and one `ALLOWED_HOSTS` allows. Ports are not compared: behind nginx the `Host` the API
/// sees has none.
fn check_same_origin(state: &Services, headers: &HeaderMap) -> AppResult<()> {
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| url::Url::parse(v).ok())
        .and_then(|u| {
            u.host_str()
                .map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase())
        });
    let raw_host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let host = raw_host
        .and_then(|h| url::Url::parse(&format!("http://{h}")).ok())
        .and_then(|u| {
            u.host_str()
                .map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase())
        });
    let same = match (origin, host, raw_host) {
        (Some(origin), Some(host), Some(raw)) => origin == host && state.config.host_allowed(raw),
        _ => false,
    };
    if same {
        Ok(())
    } else {
        Err(AppError::new(
            crate::error::ErrorKind::Forbidden,
            ErrorCode::AuthOriginRefused,
            "La sesión solo se renueva desde las páginas de este sitio.",
            "The session is renewed only from this site's own pages.",
        ))
    }
}

fn too_long_refresh_token() -> AppError {
    AppError::invalid(
        "refresh_token",
        ErrorCode::RefreshTokenInvalid,
        "refresh_token admite hasta 200 caracteres.",
        "refresh_token takes at most 200 characters.",
    )
}

/// Sign out: revokes the session of the given refresh token (or of the session cookie), or
/// every session of the user without either; the session cookie is cleared.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    request_body = LogoutRequest,
    responses((status = 204, description = "Signed out"), BadRequest, Unauthorized, TooLarge, Invalid))]
async fn logout(
    State(state): State<Services>,
    user: CurrentUser,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<impl IntoResponse> {
    let in_body = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        parse_json::<LogoutRequest>(&body)?.refresh_token
    };
    let presented = in_body.or_else(|| cookie_token(&headers));
    if presented.as_ref().is_some_and(|t| t.chars().count() > 200) {
        return Err(too_long_refresh_token());
    }
    login::sign_out(&state.db, &user, presented.as_deref()).await?;
    Ok((
        StatusCode::NO_CONTENT,
        AppendHeaders([(header::SET_COOKIE, cleared_cookie())]),
    ))
}

/// Choose a new password, confirming the current one (a sign-in attempt for the throttle:
/// 429 while it waits). Needed after an administrator set the password, open to everyone
/// always. Every other session and API token of the account ends; the answer is this
/// session's new pair (with `session_cookie`, the refresh token goes into the cookie).
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth",
    request_body = ChangePassword,
    responses((status = 200, body = TokenResponse), BadRequest, Unauthorized, Forbidden, TooLarge, Invalid, TooMany, Busy))]
async fn change_password(
    State(state): State<Services>,
    user: CurrentUser,
    ApiJson(body): ApiJson<ChangePassword, SMALL_JSON_LIMIT>,
) -> AppResult<axum::response::Response> {
    let session_cookie = body.session_cookie;
    let tokens = passwords::change_own(&state, &user, body).await?;
    Ok(if session_cookie {
        into_cookie(tokens, &state.config).into_response()
    } else {
        Json(tokens).into_response()
    })
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
