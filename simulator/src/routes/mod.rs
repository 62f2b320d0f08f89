//! The simulated Doppler Relay endpoints and the `/_sim` control endpoints.

mod control;
mod messages;
mod report_requests;
mod status;
mod templates;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use crate::faults;
use crate::state::Sim;
use crate::Shared;

pub fn router(state: Shared) -> Router {
    let api = Router::new()
        .route(
            "/accounts/{account}/templates",
            get(templates::list_templates).post(templates::create_template),
        )
        .route(
            "/accounts/{account}/templates/{id}",
            get(templates::get_template)
                .put(templates::update_template)
                .delete(templates::delete_template),
        )
        .route(
            "/accounts/{account}/templates/{id}/body",
            get(templates::template_body).put(templates::put_template_body),
        )
        .route(
            "/accounts/{account}/templates/{id}/message",
            post(messages::send_with_template),
        )
        .route("/accounts/{account}/messages", post(messages::send_message))
        .route("/accounts/{account}/status/limits", get(status::limits))
        .route(
            "/reports/reportrequest",
            post(report_requests::create_report).get(report_requests::poll_or_download),
        )
        .layer(middleware::from_fn_with_state(state.clone(), check_auth))
        .layer(middleware::from_fn_with_state(state.clone(), faults::apply));
    Router::new()
        .merge(api)
        .route("/_files/{name}", get(report_requests::report_file))
        .route("/_sim/messages", get(control::list_messages))
        .route("/_sim/requests", get(control::list_requests))
        .route(
            "/_sim/faults",
            get(control::get_faults).put(control::put_faults),
        )
        .route("/_sim/reset", post(control::reset))
        .route(
            "/_sim/report-csv",
            axum::routing::put(control::put_report_csv).delete(control::delete_report_csv),
        )
        .with_state(state)
}

type Sim_<'a> = std::sync::MutexGuard<'a, Sim>;

fn lock(state: &Shared) -> Sim_<'_> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

fn problem(status: StatusCode, detail: &str) -> Response {
    problem_with(status, detail, json!({}))
}

fn problem_with(status: StatusCode, detail: &str, extra: Value) -> Response {
    let mut body = json!({
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

/// `Authorization: Bearer <key>` or `token <key>`, and the account in the path.
async fn check_auth(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let (key, account, only) = {
        let sim = lock(&state);
        (
            sim.api_key.clone(),
            sim.account_id,
            sim.faults.auth_scheme_only.clone(),
        )
    };
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| match &only {
            Some(only) => scheme.eq_ignore_ascii_case(only),
            None => scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"),
        })
        .map(|(_, k)| k.trim().to_string());
    if presented.as_deref() != Some(key.as_str()) {
        return problem_with(
            StatusCode::UNAUTHORIZED,
            "Invalid or missing API key.",
            json!({ "errorCode": 2, "title": "Authentication error", "type": "/docs/errors/401.2-authentication-error" }),
        );
    }
    let path = request.uri().path().to_string();
    if let Some(rest) = path.strip_prefix("/accounts/") {
        let in_path = rest.split('/').next().unwrap_or_default();
        if in_path != account.to_string() {
            return problem(
                StatusCode::FORBIDDEN,
                "The account is not accessible with this API key.",
            );
        }
    }
    next.run(request).await
}

fn text_field<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}
