//! Every request the SPA makes. Authenticated calls send the access token and, when it
//! has expired, trade the refresh token for a new pair once before giving up.

use gloo_net::http::{Request, RequestBuilder, Response};
use relay_types::{LoginRequest, LogoutRequest, Me, Problem, RefreshRequest, TokenResponse};
use serde::de::DeserializeOwned;

use crate::session;

/// An error to show to the user: the API's problem detail, or a network failure.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub detail: String,
}

impl ApiError {
    fn network(err: impl std::fmt::Display) -> ApiError {
        ApiError {
            status: 0,
            code: "network_error".into(),
            detail: format!("No se pudo contactar al servidor ({err})."),
        }
    }
}

const LANGUAGE: &str = "es-EC,es;q=0.9,en;q=0.5";

async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    let status = response.status();
    if (200..300).contains(&status) {
        return response.json::<T>().await.map_err(ApiError::network);
    }
    match response.json::<Problem>().await {
        Ok(problem) => Err(ApiError {
            status,
            code: problem.code,
            detail: problem.detail,
        }),
        Err(_) => Err(ApiError {
            status,
            code: "unexpected_response".into(),
            detail: format!("Respuesta inesperada del servidor (HTTP {status})."),
        }),
    }
}

pub async fn login(username: String, password: String) -> Result<TokenResponse, ApiError> {
    let response = Request::post("/api/v1/auth/login")
        .header("Accept-Language", LANGUAGE)
        .json(&LoginRequest { username, password })
        .map_err(ApiError::network)?
        .send()
        .await
        .map_err(ApiError::network)?;
    decode(response).await
}

async fn refresh() -> bool {
    let Some(refresh_token) = session::refresh_token() else {
        return false;
    };
    let Ok(request) = Request::post("/api/v1/auth/refresh").json(&RefreshRequest { refresh_token })
    else {
        return false;
    };
    match request.send().await {
        Ok(response) if response.ok() => match response.json::<TokenResponse>().await {
            Ok(tokens) => {
                session::store_tokens(&tokens);
                true
            }
            Err(_) => false,
        },
        _ => false,
    }
}

/// Sends an authenticated request built by `build`, refreshing the session once on 401.
async fn authed<T: DeserializeOwned>(build: impl Fn() -> RequestBuilder) -> Result<T, ApiError> {
    for attempt in 0..2 {
        let mut builder = build().header("Accept-Language", LANGUAGE);
        if let Some(token) = session::access_token() {
            builder = builder.header("Authorization", &format!("Bearer {token}"));
        }
        let response = builder.send().await.map_err(ApiError::network)?;
        if response.status() == 401 && attempt == 0 && refresh().await {
            continue;
        }
        return decode(response).await;
    }
    unreachable!("the loop returns on its second pass")
}

pub async fn me() -> Result<Me, ApiError> {
    authed(|| Request::get("/api/v1/auth/me")).await
}

pub async fn logout() {
    if let Some(token) = session::access_token() {
        let body = LogoutRequest {
            refresh_token: session::refresh_token(),
        };
        if let Ok(request) = Request::post("/api/v1/auth/logout")
            .header("Authorization", &format!("Bearer {token}"))
            .json(&body)
        {
            // The local sign-out happens whatever the network answers.
            let _ = request.send().await;
        }
    }
    session::clear_tokens();
}
