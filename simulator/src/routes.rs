//! The simulated Doppler Relay endpoints and the `/_sim` control endpoints.

use std::collections::HashMap;

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Map, Value};

use crate::faults::{self, DownloadStyle, Faults};
use crate::reports;
use crate::state::{ReceivedMessage, ReportRequest, Sim};
use crate::Shared;

pub fn router(state: Shared) -> Router {
    let api = Router::new()
        .route(
            "/accounts/{account}/templates",
            get(list_templates).post(create_template),
        )
        .route(
            "/accounts/{account}/templates/{id}",
            get(get_template)
                .put(update_template)
                .delete(delete_template),
        )
        .route(
            "/accounts/{account}/templates/{id}/body",
            get(template_body),
        )
        .route(
            "/accounts/{account}/templates/{id}/message",
            post(send_with_template),
        )
        .route("/accounts/{account}/messages", post(send_message))
        .route(
            "/reports/reportrequest",
            post(create_report).get(poll_or_download),
        )
        .layer(middleware::from_fn_with_state(state.clone(), check_auth))
        .layer(middleware::from_fn_with_state(state.clone(), faults::apply));
    Router::new()
        .merge(api)
        .route("/_files/{name}", get(report_file))
        .route("/_sim/messages", get(list_messages))
        .route("/_sim/requests", get(list_requests))
        .route("/_sim/faults", get(get_faults).put(put_faults))
        .route("/_sim/reset", post(reset))
        .route(
            "/_sim/report-csv",
            axum::routing::put(put_report_csv).delete(delete_report_csv),
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
    let (key, account) = {
        let sim = lock(&state);
        (sim.api_key.clone(), sim.account_id)
    };
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| {
            scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token")
        })
        .map(|(_, k)| k.trim().to_string());
    if presented.as_deref() != Some(key.as_str()) {
        return problem_with(
            StatusCode::UNAUTHORIZED,
            "Invalid or missing API key.",
            json!({ "errorCode": 1 }),
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

fn template_json(t: &crate::state::Template, account: i64, link_origin: &str) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "subject": t.subject,
        "from_email": t.from_email,
        "from_name": t.from_name,
        "_links": [
            { "href": format!("/accounts/{account}/templates/{}", t.id), "description": "Get template", "rel": "self" },
            { "href": format!("{link_origin}/accounts/{account}/templates/{}/body", t.id), "description": "Get template body", "rel": "/docs/rels/get-template-body" },
            { "href": format!("/accounts/{account}/templates/{}/message", t.id), "description": "Send message based on template", "rel": "/docs/rels/post-template-message" }
        ]
    })
}

async fn list_templates(State(state): State<Shared>, Path(account): Path<i64>) -> Json<Value> {
    let sim = lock(&state);
    let origin = sim.faults.foreign_link_origin.clone().unwrap_or_default();
    let items: Vec<Value> = sim
        .templates
        .values()
        .map(|t| template_json(t, account, &origin))
        .collect();
    Json(json!({ "items": items, "itemsCount": items.len(), "_links": [] }))
}

async fn get_template(
    State(state): State<Shared>,
    Path((account, id)): Path<(i64, String)>,
) -> Response {
    let sim = lock(&state);
    let origin = sim.faults.foreign_link_origin.clone().unwrap_or_default();
    match sim.templates.get(&id) {
        Some(t) => Json(template_json(t, account, &origin)).into_response(),
        None => problem(StatusCode::NOT_FOUND, "Template not found."),
    }
}

async fn template_body(
    State(state): State<Shared>,
    Path((_, id)): Path<(i64, String)>,
) -> Response {
    let sim = lock(&state);
    match sim.templates.get(&id) {
        Some(t) => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            t.body.clone(),
        )
            .into_response(),
        None => problem(StatusCode::NOT_FOUND, "Template not found."),
    }
}

fn text_field<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

async fn create_template(
    State(state): State<Shared>,
    Path(account): Path<i64>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return problem(StatusCode::BAD_REQUEST, "The body must be JSON.");
    };
    let (Some(name), Some(from_email)) =
        (text_field(&body, "name"), text_field(&body, "from_email"))
    else {
        return problem_with(
            StatusCode::BAD_REQUEST,
            "Validation error: name and from_email are required.",
            json!({ "errors": [{ "key": "name" }, { "key": "from_email" }] }),
        );
    };
    let mut sim = lock(&state);
    let id = sim.add_template(
        name,
        text_field(&body, "subject").unwrap_or(""),
        from_email,
        text_field(&body, "from_name").unwrap_or(""),
        body.get("body").and_then(Value::as_str).unwrap_or(""),
    );
    let location = format!("/accounts/{account}/templates/{id}");
    (
        StatusCode::CREATED,
        [(header::LOCATION, location.clone())],
        Json(json!({ "createdResourceId": id, "_links": [{ "href": location, "rel": "/docs/rels/get-template" }] })),
    )
        .into_response()
}

async fn update_template(
    State(state): State<Shared>,
    Path((_, id)): Path<(i64, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return problem(StatusCode::BAD_REQUEST, "The body must be JSON.");
    };
    let mut sim = lock(&state);
    let Some(t) = sim.templates.get_mut(&id) else {
        return problem(StatusCode::NOT_FOUND, "Template not found.");
    };
    if let Some(v) = body.get("name").and_then(Value::as_str) {
        t.name = v.into();
    }
    if let Some(v) = body.get("subject").and_then(Value::as_str) {
        t.subject = v.into();
    }
    if let Some(v) = body.get("from_email").and_then(Value::as_str) {
        t.from_email = v.into();
    }
    if let Some(v) = body.get("from_name").and_then(Value::as_str) {
        t.from_name = v.into();
    }
    if let Some(v) = body.get("body").and_then(Value::as_str) {
        t.body = v.into();
    }
    Json(json!({ "message": "Template updated" })).into_response()
}

async fn delete_template(
    State(state): State<Shared>,
    Path((_, id)): Path<(i64, String)>,
) -> Response {
    match lock(&state).templates.remove(&id) {
        Some(_) => Json(json!({ "message": "Template deleted" })).into_response(),
        None => problem(StatusCode::NOT_FOUND, "Template not found."),
    }
}

fn valid_address(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.contains(' ')
}

/// The checks Doppler makes on any send: a sender, recipients, valid addresses.
// The refusal is the handler's answer itself; boxing it would only add noise.
#[allow(clippy::result_large_err)]
fn validate_send(body: &Value) -> Result<Vec<String>, Response> {
    if text_field(body, "from_email").is_none() {
        return Err(problem_with(
            StatusCode::BAD_REQUEST,
            "Validation error: from_email is required.",
            json!({ "errorCode": 7, "errors": [{ "key": "from_email", "detail": "The from_email field is required." }] }),
        ));
    }
    let recipients: Vec<String> = body
        .get("recipients")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter(|r| r.get("type").and_then(Value::as_str).unwrap_or("to") == "to")
                .filter_map(|r| {
                    r.get("email")
                        .and_then(Value::as_str)
                        .map(|e| e.trim().to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    if recipients.is_empty() {
        return Err(problem_with(
            StatusCode::BAD_REQUEST,
            "Validation error: at least one recipient is required.",
            json!({ "errorCode": 7, "errors": [{ "key": "recipients", "detail": "At least one recipient is required." }] }),
        ));
    }
    if let Some(bad) = recipients.iter().find(|e| !valid_address(e)) {
        return Err(problem_with(
            StatusCode::BAD_REQUEST,
            &format!("Validation error: invalid recipient email '{bad}'."),
            json!({ "errorCode": 7, "errors": [{ "key": "recipients[0].email", "detail": "Invalid email address." }] }),
        ));
    }
    Ok(recipients)
}

/// 402 once the quota is used up; otherwise counts this send.
#[allow(clippy::result_large_err)]
fn charge_quota(sim: &mut Sim) -> Result<(), Response> {
    if let Some(limit) = sim.faults.quota_after {
        if sim.accepted_sends >= limit {
            let reset = (Utc::now() + Duration::days(3))
                .format("%Y-%m-%dT00:00:00Z")
                .to_string();
            return Err(problem_with(
                StatusCode::PAYMENT_REQUIRED,
                "Delivery quota exceeded.",
                json!({
                    "errorCode": 1,
                    "resetDate": reset,
                    "deliveriesCount": sim.accepted_sends,
                    "limit": limit,
                    "period": "monthly",
                }),
            ));
        }
    }
    sim.accepted_sends += 1;
    Ok(())
}

fn accepted(sim: &mut Sim, account: i64, message: ReceivedMessage) -> Response {
    let id = message.message_id.clone();
    let destination = message.recipients.clone();
    sim.messages.push(message);
    let location = format!("/accounts/{account}/messages/{id}");
    let body = if sim.faults.omit_message_id {
        json!({ "destinationEmails": destination })
    } else {
        json!({
            "createdResourceId": id,
            "destinationEmails": destination,
            "_links": [{ "href": location, "rel": "/docs/rels/get-message" }],
        })
    };
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response()
}

fn attachment_names(body: &Value) -> Vec<String> {
    body.get("attachments")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|a| {
                    a.get("filename")
                        .or_else(|| a.get("name"))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn send_with_template(
    State(state): State<Shared>,
    Path((account, template_id)): Path<(i64, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return problem(StatusCode::BAD_REQUEST, "The body must be JSON.");
    };
    let recipients = match validate_send(&body) {
        Ok(r) => r,
        Err(response) => return response,
    };
    let mut sim = lock(&state);
    let Some(template) = sim.templates.get(&template_id).cloned() else {
        return problem(StatusCode::NOT_FOUND, "Template not found.");
    };
    if let Err(response) = charge_quota(&mut sim) {
        return response;
    }
    let variables: Map<String, Value> = body["recipients"][0]
        .get("model")
        .or_else(|| body.get("model"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let message = ReceivedMessage {
        message_id: sim.new_id(),
        kind: "template".into(),
        template_id: Some(template_id),
        recipient: recipients[0].clone(),
        recipients,
        subject: text_field(&body, "subject")
            .unwrap_or(&template.subject)
            .to_string(),
        from_email: text_field(&body, "from_email")
            .unwrap_or_default()
            .to_string(),
        from_name: text_field(&body, "from_name")
            .unwrap_or_default()
            .to_string(),
        variables,
        attachments: attachment_names(&body),
        received_at: Utc::now(),
    };
    accepted(&mut sim, account, message)
}

async fn send_message(
    State(state): State<Shared>,
    Path(account): Path<i64>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return problem(StatusCode::BAD_REQUEST, "The body must be JSON.");
    };
    let recipients = match validate_send(&body) {
        Ok(r) => r,
        Err(response) => return response,
    };
    if text_field(&body, "html").is_none() && text_field(&body, "text").is_none() {
        return problem_with(
            StatusCode::BAD_REQUEST,
            "Validation error: html or text content is required.",
            json!({ "errorCode": 7, "errors": [{ "key": "html" }] }),
        );
    }
    let mut sim = lock(&state);
    if let Err(response) = charge_quota(&mut sim) {
        return response;
    }
    let message = ReceivedMessage {
        message_id: sim.new_id(),
        kind: "message".into(),
        template_id: None,
        recipient: recipients[0].clone(),
        recipients,
        subject: text_field(&body, "subject").unwrap_or_default().to_string(),
        from_email: text_field(&body, "from_email")
            .unwrap_or_default()
            .to_string(),
        from_name: text_field(&body, "from_name")
            .unwrap_or_default()
            .to_string(),
        variables: Map::new(),
        attachments: attachment_names(&body),
        received_at: Utc::now(),
    };
    accepted(&mut sim, account, message)
}

fn forced_report_status(sim: &Sim) -> Option<Response> {
    sim.faults
        .report_status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .map(|status| problem(status, "Reports API failure injected by relay-sim."))
}

const RESOURCES: [&str; 7] = [
    "deliveries",
    "bounces",
    "opens",
    "clicks",
    "spam",
    "unsubscribed",
    "sent",
];

async fn create_report(State(state): State<Shared>, body: Option<Json<Value>>) -> Response {
    let mut sim = lock(&state);
    if let Some(response) = forced_report_status(&sim) {
        return response;
    }
    let Some(Json(body)) = body else {
        return problem(StatusCode::BAD_REQUEST, "The body must be JSON.");
    };
    let parse =
        |key: &str| text_field(&body, key).and_then(|v| DateTime::parse_from_rfc3339(v).ok());
    let (Some(start), Some(end)) = (parse("start_date"), parse("end_date")) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "start_date and end_date must be ISO 8601 date-times with an offset.",
        );
    };
    let resource = text_field(&body, "resource")
        .unwrap_or_default()
        .to_string();
    if !RESOURCES.contains(&resource.as_str()) {
        return problem(StatusCode::BAD_REQUEST, "Unknown resource.");
    }
    if text_field(&body, "accountId") != Some(sim.account_id.to_string().as_str()) {
        return problem(
            StatusCode::FORBIDDEN,
            "The account is not accessible with this API key.",
        );
    }
    if start > end {
        return problem(
            StatusCode::BAD_REQUEST,
            "start_date must not be after end_date.",
        );
    }
    let id = sim.next_report_id();
    let ready_at = Utc::now() + Duration::milliseconds(sim.faults.report_delay_ms as i64);
    sim.reports.insert(
        id.clone(),
        ReportRequest {
            id: id.clone(),
            resource,
            start,
            end,
            ready_at,
        },
    );
    let location = format!("/reports/reportrequest?reportRequestId={id}");
    (
        StatusCode::ACCEPTED,
        [(header::LOCATION, location.clone())],
        Json(json!({ "createdResourceId": id, "_links": [{ "href": location, "rel": "/docs/rels/get-report-request" }] })),
    )
        .into_response()
}

async fn poll_or_download(
    State(state): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let sim = lock(&state);
    if let Some(response) = forced_report_status(&sim) {
        return response;
    }
    let Some(report) = query
        .get("reportRequestId")
        .and_then(|id| sim.reports.get(id))
        .cloned()
    else {
        return problem(StatusCode::NOT_FOUND, "Report request not found.");
    };
    if Utc::now() < report.ready_at {
        return (
            StatusCode::ACCEPTED,
            Json(json!({ "reportRequestId": report.id, "processed": false })),
        )
            .into_response();
    }
    let wants_csv = query.get("format").is_some_and(|f| f == "csv");
    if !wants_csv {
        return Json(json!({
            "reportRequestId": report.id,
            "resource": report.resource,
            "processed": true,
            "_links": [{ "href": format!("/reports/reportrequest?reportRequestId={}&format=csv", report.id), "rel": "/docs/rels/get-report-file" }],
        }))
        .into_response();
    }
    if let Some(status) = sim
        .faults
        .download_status
        .and_then(|s| StatusCode::from_u16(s).ok())
    {
        return problem(status, "Report download failure injected by relay-sim.");
    }
    match sim.faults.report_download {
        DownloadStyle::Inline => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            report_body(&sim, &report),
        )
            .into_response(),
        DownloadStyle::Link => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1");
            let origin = sim
                .faults
                .foreign_link_origin
                .clone()
                .unwrap_or_else(|| format!("http://{host}"));
            Json(json!({
                "reportRequestId": report.id,
                "processed": true,
                "file_path": format!("{origin}/_files/report-{}.csv", report.id),
            }))
            .into_response()
        }
    }
}

/// The file link of a `Link` style download; fetched without credentials.
async fn report_file(State(state): State<Shared>, Path(name): Path<String>) -> Response {
    let sim = lock(&state);
    if let Some(status) = sim
        .faults
        .download_status
        .and_then(|s| StatusCode::from_u16(s).ok())
    {
        return problem(status, "Report download failure injected by relay-sim.");
    }
    let id = name.trim_start_matches("report-").trim_end_matches(".csv");
    match sim.reports.get(id) {
        Some(report) if Utc::now() >= report.ready_at => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            report_body(&sim, report),
        )
            .into_response(),
        _ => problem(StatusCode::NOT_FOUND, "File not found."),
    }
}

fn report_body(sim: &Sim, report: &ReportRequest) -> String {
    match &sim.canned_report {
        Some(csv) => csv.clone(),
        None => reports::csv(sim.seed, &sim.messages, report.start, report.end),
    }
}

/// Every report downloads this body from now on.
async fn put_report_csv(State(state): State<Shared>, body: String) -> StatusCode {
    lock(&state).canned_report = Some(body);
    StatusCode::NO_CONTENT
}

/// Reports go back to being built from the messages received.
async fn delete_report_csv(State(state): State<Shared>) -> StatusCode {
    lock(&state).canned_report = None;
    StatusCode::NO_CONTENT
}

async fn list_messages(State(state): State<Shared>) -> Json<Vec<ReceivedMessage>> {
    Json(lock(&state).messages.clone())
}

async fn list_requests(State(state): State<Shared>) -> Json<Vec<crate::state::RequestRecord>> {
    Json(lock(&state).requests.clone())
}

async fn get_faults(State(state): State<Shared>) -> Json<Faults> {
    Json(lock(&state).faults.clone())
}

async fn put_faults(State(state): State<Shared>, Json(faults): Json<Faults>) -> Json<Faults> {
    let mut sim = lock(&state);
    sim.faults = faults;
    Json(sim.faults.clone())
}

/// Forgets received messages, the request log and the quota count.
async fn reset(State(state): State<Shared>) -> StatusCode {
    let mut sim = lock(&state);
    sim.messages.clear();
    sim.requests.clear();
    sim.accepted_sends = 0;
    StatusCode::NO_CONTENT
}
