//! Signing in and out. The browser keeps the refresh token in an HTTP-only cookie the API
//! sets; this code only ever sees the short-lived access token.

use gloo_net::http::{Method, Request};
use relay_types::{ChangePassword, LoginRequest, Me, TokenResponse};

use super::{check, decode, get, send, set_access_token, ApiResult, Body};

pub async fn login(username: String, password: String) -> ApiResult<Me> {
    let body = LoginRequest {
        username,
        password,
        session_cookie: true,
    };
    let response = send(Method::POST, "/api/v1/auth/login", &[], &Body::json(&body)).await?;
    let tokens: TokenResponse = decode(response).await?;
    set_access_token(Some(tokens.access_token));
    me().await
}

/// A new password, confirmed by the current one. Every other session ends; this one goes on
/// with the new tokens the answer carries (the refresh token in the cookie).
pub async fn change_password(current_password: String, new_password: String) -> ApiResult<Me> {
    let body = ChangePassword {
        current_password,
        new_password,
        session_cookie: true,
    };
    let tokens: TokenResponse = super::post("/api/v1/auth/password", Body::json(&body)).await?;
    set_access_token(Some(tokens.access_token));
    me().await
}

pub async fn me() -> ApiResult<Me> {
    get("/api/v1/auth/me").await
}

/// Revokes the session's refresh family and clears the cookie. Only once the server
/// confirms does the app forget the session: a sign-out that did not reach the server
/// would leave the cookie able to sign the same user in again.
pub async fn logout() -> ApiResult<()> {
    send(Method::POST, "/api/v1/auth/logout", &[], &Body::Empty).await?;
    set_access_token(None);
    Ok(())
}

/// What the start-up check found.
pub enum Resumed {
    SignedIn(Me),
    SignedOut,
    Offline,
}

/// A session left by an earlier visit (the refresh cookie), or none.
pub async fn resume() -> Resumed {
    match super::refresh().await {
        super::Refreshed::Yes => match me().await {
            Ok(me) => Resumed::SignedIn(me),
            Err(err) if err.is_network() => Resumed::Offline,
            Err(_) => Resumed::SignedOut,
        },
        super::Refreshed::Refused => Resumed::SignedOut,
        super::Refreshed::Offline => Resumed::Offline,
    }
}

/// Whether the API answers at all (the offline banner's retry).
pub async fn ping() -> bool {
    match Request::get("/healthz").send().await {
        Ok(response) => check(response).await.is_ok(),
        Err(_) => false,
    }
}
