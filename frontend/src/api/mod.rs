//! Every request the SPA makes goes through [`send`]: the access token (kept in memory only)
//! as a bearer, `Accept-Language` from the chosen language, one silent refresh through the
//! HTTP-only cookie on a 401, and the API's problem detail turned into an [`ApiError`].
//! One file per resource beside this one.

pub mod attachments;
pub mod audit;
pub mod auth;
pub mod bulk_sends;
pub mod csv;
pub mod jobs;
pub mod messages;
pub mod reports;
pub mod senders;
pub mod system;
pub mod templates;
pub mod tokens;
pub mod users;

use std::cell::RefCell;

use futures::future::{FutureExt, LocalBoxFuture, Shared};
use gloo_net::http::{Method, Request, RequestBuilder, Response};
use relay_types::{Problem, TokenResponse};
use serde::de::DeserializeOwned;

use crate::state::i18n;

/// An error to show to the user: the API's problem (its `detail` is already in the user's
/// language), or the network failing.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// 0 when the server could not be reached.
    pub status: u16,
    pub code: String,
    pub detail: String,
    /// The request field at fault, for validation errors.
    pub field: Option<String>,
}

impl ApiError {
    fn network() -> ApiError {
        ApiError {
            status: 0,
            code: "network_error".into(),
            detail: i18n::t().offline.into(),
            field: None,
        }
    }

    pub fn is_network(&self) -> bool {
        self.status == 0
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

type Listener<T> = RefCell<Option<Box<dyn Fn(T)>>>;

/// The refresh in flight, shared by every request that met a 401 meanwhile.
type SharedRefresh = Shared<LocalBoxFuture<'static, Refreshed>>;

thread_local! {
    static ACCESS_TOKEN: RefCell<Option<String>> = const { RefCell::new(None) };
    static REFRESHING: RefCell<Option<SharedRefresh>> = const { RefCell::new(None) };
    static ON_NETWORK: Listener<bool> = const { RefCell::new(None) };
    static ON_EXPIRED: Listener<()> = const { RefCell::new(None) };
}

pub fn set_access_token(token: Option<String>) {
    ACCESS_TOKEN.with(|t| *t.borrow_mut() = token);
}

fn access_token() -> Option<String> {
    ACCESS_TOKEN.with(|t| t.borrow().clone())
}

/// Tells the shell whether the API answered (the "sin conexión" banner).
pub fn on_network(callback: impl Fn(bool) + 'static) {
    ON_NETWORK.with(|c| *c.borrow_mut() = Some(Box::new(callback)));
}

/// Tells the shell that the session is gone (refresh refused).
pub fn on_expired(callback: impl Fn() + 'static) {
    ON_EXPIRED.with(|c| *c.borrow_mut() = Some(Box::new(move |()| callback())));
}

fn report_network(reachable: bool) {
    ON_NETWORK.with(|c| {
        if let Some(callback) = c.borrow().as_ref() {
            callback(reachable);
        }
    });
}

fn report_expired() {
    ON_EXPIRED.with(|c| {
        if let Some(callback) = c.borrow().as_ref() {
            callback(());
        }
    });
}

fn with_language(builder: RequestBuilder) -> RequestBuilder {
    builder.header("Accept-Language", i18n::current().code())
}

/// How trading the refresh cookie went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refreshed {
    /// A new access token is in memory.
    Yes,
    /// The server refused the cookie (absent, expired, revoked): the session is over.
    Refused,
    /// The server could not be reached: the session may well be alive.
    Offline,
}

/// Trades the refresh cookie for a new access token. Callers in this tab share one
/// exchange, and tabs take turns (the cookie rotates, and presenting the old one twice
/// would end the session); the slot is cleared by the exchange itself, so a later caller
/// starts a fresh one.
pub async fn refresh() -> Refreshed {
    let shared = REFRESHING.with(|r| {
        r.borrow_mut()
            .get_or_insert_with(|| {
                async {
                    let outcome = exchange_cookie_across_tabs().await;
                    REFRESHING.with(|r| *r.borrow_mut() = None);
                    outcome
                }
                .boxed_local()
                .shared()
            })
            .clone()
    });
    shared.await
}

/// Runs the exchange under the browser's `relay-console-refresh` lock, so two tabs never
/// present the same cookie: the second waits, then sends the cookie the first one got.
/// Without Web Locks (old browsers) it runs as is.
async fn exchange_cookie_across_tabs() -> Refreshed {
    use wasm_bindgen::{JsCast, JsValue};
    let Some(window) = web_sys::window() else {
        return exchange_cookie().await;
    };
    let locks = js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("locks"))
        .ok()
        .filter(|locks| !locks.is_undefined());
    let request = locks.as_ref().and_then(|locks| {
        js_sys::Reflect::get(locks, &JsValue::from_str("request"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    });
    let (Some(locks), Some(request)) = (locks, request) else {
        return exchange_cookie().await;
    };
    let under_lock = wasm_bindgen::closure::Closure::once_into_js(move |_lock: JsValue| {
        wasm_bindgen_futures::future_to_promise(async move {
            Ok(JsValue::from_f64(match exchange_cookie().await {
                Refreshed::Yes => 0.0,
                Refreshed::Refused => 1.0,
                Refreshed::Offline => 2.0,
            }))
        })
    });
    let Ok(promise) = request
        .call2(
            &locks,
            &JsValue::from_str("relay-console-refresh"),
            &under_lock,
        )
        .and_then(|p| p.dyn_into::<js_sys::Promise>())
    else {
        return exchange_cookie().await;
    };
    let answer = wasm_bindgen_futures::JsFuture::from(promise).await.ok();
    match answer.and_then(|v| v.as_f64()).map(|v| v as i32) {
        Some(0) => Refreshed::Yes,
        Some(1) => Refreshed::Refused,
        _ => Refreshed::Offline,
    }
}

async fn exchange_cookie() -> Refreshed {
    let Ok(response) = with_language(Request::post("/api/v1/auth/refresh"))
        .send()
        .await
    else {
        report_network(false);
        return Refreshed::Offline;
    };
    report_network(true);
    if response.status() >= 500 {
        return Refreshed::Offline;
    }
    if !response.ok() {
        return Refreshed::Refused;
    }
    match response.json::<TokenResponse>().await {
        Ok(tokens) => {
            set_access_token(Some(tokens.access_token));
            Refreshed::Yes
        }
        Err(_) => Refreshed::Offline,
    }
}

/// What a request carries.
pub enum Body {
    Empty,
    Json(String),
    Form(web_sys::FormData),
}

impl Body {
    pub fn json<T: serde::Serialize>(value: &T) -> Body {
        // Serialising our own request types cannot fail; if it did, the API would answer 400.
        Body::Json(serde_json::to_string(value).unwrap_or_default())
    }
}

/// Sends a request with the session; on a 401 refreshes once and retries.
pub async fn send(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: &Body,
) -> ApiResult<Response> {
    // Signing in and refreshing answer 401 for their own reasons: never refresh for them.
    let may_refresh = url != "/api/v1/auth/login" && url != "/api/v1/auth/refresh";
    for attempt in 0..2 {
        let mut builder = with_language(RequestBuilder::new(url).method(method.clone()));
        let used = access_token();
        if let Some(token) = &used {
            builder = builder.header("Authorization", &format!("Bearer {token}"));
        }
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        let request = match body {
            Body::Empty => builder.build(),
            Body::Json(text) => builder
                .header("Content-Type", "application/json")
                .body(text.clone()),
            Body::Form(form) => builder.body(form.clone()),
        };
        let Ok(request) = request else {
            return Err(ApiError::network());
        };
        let Ok(response) = request.send().await else {
            report_network(false);
            return Err(ApiError::network());
        };
        report_network(true);
        if response.status() == 401 && attempt == 0 && may_refresh {
            // Another request may have refreshed meanwhile: then just try again.
            if access_token() != used {
                continue;
            }
            match refresh().await {
                Refreshed::Yes => continue,
                Refreshed::Offline => return Err(ApiError::network()),
                Refreshed::Refused => {
                    set_access_token(None);
                    report_expired();
                }
            }
        }
        return check(response).await;
    }
    Err(ApiError::network())
}

/// A success passes; anything else becomes the problem the API wrote.
pub async fn check(response: Response) -> ApiResult<Response> {
    let status = response.status();
    if (200..300).contains(&status) {
        return Ok(response);
    }
    let text = response.text().await.unwrap_or_default();
    Err(match parse::<Problem>(status, &text) {
        Ok(problem) => ApiError {
            status,
            code: problem.code,
            detail: problem.detail,
            field: problem.field,
        },
        Err(unexpected) => unexpected,
    })
}

/// The body of a successful answer decoded as `T`. Reading the body is the same code for
/// every type; only the parsing is generic (a smaller SPA).
pub async fn decode<T: DeserializeOwned>(response: Response) -> ApiResult<T> {
    let (status, text) = body_text(response).await?;
    parse(status, &text)
}

async fn body_text(response: Response) -> ApiResult<(u16, String)> {
    let status = response.status();
    match response.text().await {
        Ok(text) => Ok((status, text)),
        Err(_) => Err(unexpected(status)),
    }
}

/// The answer's text for a request without extra headers. Boxed: the request's code is
/// one copy behind a pointer, not a copy inside every typed caller.
fn answer(
    method: Method,
    url: &str,
    body: Body,
) -> LocalBoxFuture<'static, ApiResult<(u16, String)>> {
    let url = url.to_string();
    async move { body_text(send(method, &url, &[], &body).await?).await }.boxed_local()
}

fn parse<T: DeserializeOwned>(status: u16, text: &str) -> ApiResult<T> {
    serde_json::from_str(text).map_err(|_| unexpected(status))
}

fn unexpected(status: u16) -> ApiError {
    ApiError {
        status,
        code: "unexpected_response".into(),
        detail: (i18n::t().unexpected_response)(status),
        field: None,
    }
}

pub async fn get<T: DeserializeOwned>(url: &str) -> ApiResult<T> {
    let (status, text) = answer(Method::GET, url, Body::Empty).await?;
    parse(status, &text)
}

pub async fn post<T: DeserializeOwned>(url: &str, body: Body) -> ApiResult<T> {
    let (status, text) = answer(Method::POST, url, body).await?;
    parse(status, &text)
}

pub async fn patch<T: DeserializeOwned>(url: &str, body: Body) -> ApiResult<T> {
    let (status, text) = answer(Method::PATCH, url, body).await?;
    parse(status, &text)
}

pub async fn put<T: DeserializeOwned>(url: &str, body: Body) -> ApiResult<T> {
    let (status, text) = answer(Method::PUT, url, body).await?;
    parse(status, &text)
}

/// A request answered 204 (deletions, revocations).
pub async fn delete(url: &str) -> ApiResult<()> {
    send(Method::DELETE, url, &[], &Body::Empty).await?;
    Ok(())
}

/// A query string from pairs, leaving out empty values.
/// A typed filter as the query spells it (none: no filter).
pub fn spelled<T: std::fmt::Display>(value: &Option<T>) -> String {
    value.as_ref().map(T::to_string).unwrap_or_default()
}

pub fn query(pairs: &[(&str, String)]) -> String {
    let encoded: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", js_sys::encode_uri_component(v)))
        .collect();
    if encoded.is_empty() {
        String::new()
    } else {
        format!("?{}", encoded.join("&"))
    }
}

/// Downloads an authenticated file: fetched with the session, handed to the browser as a
/// blob link (a plain link could not carry the bearer token).
pub async fn download(url: String, file_name: String, mime: &str) -> ApiResult<()> {
    let response = send(Method::GET, &url, &[], &Body::Empty).await?;
    let bytes = response.binary().await.map_err(|_| ApiError::network())?;
    crate::state::browser::save_bytes(&bytes, &file_name, mime);
    Ok(())
}
