//! Doppler's reports API: a request that becomes ready after a delay, polled, then
//! downloaded inline or through a file link.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::{lock, problem, text_field};
use crate::faults::DownloadStyle;
use crate::reports;
use crate::state::{ReportRequest, Sim};
use crate::Shared;

pub(super) fn forced_report_status(sim: &Sim) -> Option<Response> {
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

pub(super) async fn create_report(
    State(state): State<Shared>,
    body: Option<Json<Value>>,
) -> Response {
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
    // Doppler's own web app sends no type (docs/doppler.md); the legacy app's `resource`
    // is taken when it comes, and every type answers the same summary.
    let resource = text_field(&body, "resource")
        .unwrap_or("deliveries")
        .to_string();
    if !RESOURCES.contains(&resource.as_str()) {
        return problem(StatusCode::BAD_REQUEST, "Unknown resource.");
    }
    if text_field(&body, "accountId").is_some_and(|given| given != sim.account_id.to_string()) {
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

pub(super) async fn poll_or_download(
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
    if sim.faults.report_empty {
        // Processed, and nothing to download: "No result" in Doppler's web app.
        return Json(json!({ "reportRequestId": report.id, "processed": true, "file_path": null }))
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
pub(super) async fn report_file(State(state): State<Shared>, Path(name): Path<String>) -> Response {
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

pub(super) fn report_body(sim: &Sim, report: &ReportRequest) -> String {
    match &sim.canned_report {
        Some(csv) => csv.clone(),
        None => reports::csv(sim.seed, &sim.messages, report.start, report.end),
    }
}
