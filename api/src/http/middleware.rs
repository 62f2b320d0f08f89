//! Middlewares every request passes: metrics, the `ALLOWED_HOSTS` check and the security
//! headers.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, ErrorCode};
use crate::services::Services;

/// The method as a metric label: the standard ones by name, anything else (hyper accepts
/// any token as a method) as `other`, so no client can add label values without end.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// Middleware: counts requests by route and status and times them. Every label has a
/// bounded set of values: the method (above), the matched route or `unmatched`, and the
/// status code our own answers carry.
pub async fn track_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let elapsed = started.elapsed().as_secs_f64();
    metrics::counter!("http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(elapsed);
    response
}

/// Middleware: answers 400 to a `Host` that `ALLOWED_HOSTS` does not name.
pub async fn check_host(State(state): State<Services>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().host())
        .unwrap_or("");
    if !state.config.host_allowed(host) {
        tracing::warn!(host, "request for a host not in ALLOWED_HOSTS");
        return AppError::bad_request(
            ErrorCode::HostNotAllowed,
            format!("El host '{host}' no está en ALLOWED_HOSTS."),
            format!("Host '{host}' is not in ALLOWED_HOSTS."),
        )
        .into_response();
    }
    next.run(request).await
}

/// What the SPA and the API may load: our own files and the WASM they compile; no inline
/// script, no framing. Inline *styles* are allowed because an e-mail template previewed in
/// a sandboxed `srcdoc` frame inherits this policy and e-mail HTML is styled inline; for
/// the same preview, images may come from any HTTPS host.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; connect-src 'self'; font-src 'self'; \
object-src 'none'; base-uri 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'none'";

/// Middleware: the security headers every answer carries, so that a deployment without
/// our nginx is still protected. HSTS only when the request reached our proxy over HTTPS.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let over_https = super::auth::from_trusted_proxy(&request)
        && request
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|proto| proto.eq_ignore_ascii_case("https"));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name: header::HeaderName, value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, header::HeaderValue::from_static(value));
        }
    };
    set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "no-referrer");
    set(header::X_FRAME_OPTIONS, "DENY");
    // Tokens, personal data and live figures: no cache keeps them. Files that may be cached
    // (the SPA's hashed assets, index.html) say so themselves.
    set(header::CACHE_CONTROL, "no-store");
    if over_https {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    response
}
