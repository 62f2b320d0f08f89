//! Fault injection: what can go wrong with a call, decided per request.

use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::state::RequestRecord;
use crate::Shared;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DownloadStyle {
    /// The CSV comes back in the download response (`text/csv`).
    #[default]
    Inline,
    /// The download answers JSON with a `file_path` link to fetch without auth.
    Link,
}

/// Where a template's HTML is in Doppler's answers (docs/doppler.md): inline in the detail
/// (Doppler's own mocks), behind a body link, or only at `GET .../templates/{id}/body`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateBodyStyle {
    #[default]
    Inline,
    Link,
    Endpoint,
}

/// The body of a 402 once the quota is used up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaBody {
    /// What the legacy app reads: `errorCode` 1, `resetDate`, `deliveriesCount`, `limit`,
    /// `period` (not in Doppler's public code).
    #[default]
    Legacy,
    /// A problem with none of those fields.
    Bare,
}

/// Faults applied to API calls (not to `/_sim/*`). Shares are probabilities in 0..=1.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Added to every call.
    pub latency_ms: u64,
    /// A random extra of up to this many milliseconds.
    pub jitter_ms: u64,
    /// Share of calls refused with 429 and `Retry-After`.
    pub rate_429: f64,
    pub retry_after_secs: u64,
    /// The `Retry-After` header of a 429 exactly as given (`-1`, `inf`, `1e300` ...),
    /// instead of `retry_after_secs`.
    pub retry_after_raw: Option<String>,
    pub rate_500: f64,
    pub rate_503: f64,
    /// Share of calls that are processed and then never answered (the client times out).
    pub rate_timeout: f64,
    /// Share of calls that are processed and then have their connection closed unanswered.
    pub rate_drop: f64,
    /// After this many accepted sends, every send is refused with 402 (quota exceeded).
    pub quota_after: Option<u64>,
    /// Milliseconds a report request takes to become ready.
    pub report_delay_ms: u64,
    pub report_download: DownloadStyle,
    /// Every `/reports` call answers this status (a Doppler outage of the reports API).
    pub report_status: Option<u16>,
    /// The CSV download (inline or link) answers this status.
    pub download_status: Option<u16>,
    /// Answer sends with only a `Location` header, no id in the body.
    pub omit_message_id: bool,
    /// Point template body links and report file links at this origin
    /// (`http://host:port`) instead of the simulator's own: a hostile or broken answer.
    pub foreign_link_origin: Option<String>,
    /// Apply the shares (429, 500, 503, timeouts, drops) to sends only, not to template
    /// or report calls.
    pub sends_only: bool,
    /// Template list pages this long (Doppler pages with `next` links and `pagesCount`).
    pub templates_page_size: Option<usize>,
    pub template_body: TemplateBodyStyle,
    pub quota_body: QuotaBody,
    /// Report requests end processed with no file: "no result".
    pub report_empty: bool,
    /// Sends are refused with this status (401 or 403) in Doppler's error shape, as with a
    /// key that may read templates but not send, or a wrong account.
    pub send_auth_status: Option<u16>,
    /// Take the key only under this scheme (`Bearer` or `token`); both otherwise.
    pub auth_scheme_only: Option<String>,
}

/// What a response marked with this extension becomes: a connection closed unanswered.
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

enum Decision {
    Pass,
    Timeout,
    Drop,
    Status(StatusCode),
}

/// Middleware over the API routes: latency, then at most one fault.
pub async fn apply(State(sim): State<Shared>, request: Request, next: Next) -> Response {
    let is_send = request.method() == axum::http::Method::POST
        && (request.uri().path().ends_with("/message")
            || request.uri().path().ends_with("/messages"));
    let (latency, decision, retry_after) = {
        let mut sim = sim.lock().unwrap_or_else(|p| p.into_inner());
        let f = sim.faults.clone();
        let jitter = if f.jitter_ms > 0 {
            sim.rng.gen_range(0..=f.jitter_ms)
        } else {
            0
        };
        let roll: f64 = sim.rng.r#gen();
        let mut edge = 0.0;
        let mut pick = |share: f64| {
            edge += share.clamp(0.0, 1.0);
            roll < edge
        };
        let decision = if f.sends_only && !is_send {
            Decision::Pass
        } else if pick(f.rate_timeout) {
            Decision::Timeout
        } else if pick(f.rate_drop) {
            Decision::Drop
        } else if pick(f.rate_429) {
            Decision::Status(StatusCode::TOO_MANY_REQUESTS)
        } else if pick(f.rate_500) {
            Decision::Status(StatusCode::INTERNAL_SERVER_ERROR)
        } else if pick(f.rate_503) {
            Decision::Status(StatusCode::SERVICE_UNAVAILABLE)
        } else {
            Decision::Pass
        };
        (
            Duration::from_millis(f.latency_ms + jitter),
            decision,
            f.retry_after_raw
                .clone()
                .unwrap_or_else(|| f.retry_after_secs.max(1).to_string()),
        )
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, 64 * 1024 * 1024).await.unwrap_or_default();
    let recipient = first_recipient(&bytes);
    let record = |outcome: String| {
        let mut s = sim.lock().unwrap_or_else(|p| p.into_inner());
        s.requests.push(RequestRecord {
            at: chrono::Utc::now(),
            method: method.clone(),
            path: path.clone(),
            recipient: recipient.clone(),
            outcome,
        });
    };
    let request = Request::from_parts(parts, Body::from(bytes));

    match decision {
        Decision::Status(status) => {
            record(status.as_u16().to_string());
            let mut response = (
                status,
                [(header::CONTENT_TYPE, "application/problem+json")],
                json!({
                    "title": status.canonical_reason().unwrap_or("Error"),
                    "status": status.as_u16(),
                    "detail": "Injected by relay-sim",
                })
                .to_string(),
            )
                .into_response();
            if status == StatusCode::TOO_MANY_REQUESTS {
                if let Ok(value) = header::HeaderValue::from_str(&retry_after) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
            }
            response
        }
        Decision::Timeout => {
            let response = next.run(request).await;
            record("timeout".into());
            // The answer never comes; the client's timeout decides.
            tokio::time::sleep(Duration::from_secs(600)).await;
            response
        }
        Decision::Drop => {
            let mut response = next.run(request).await;
            record("dropped".into());
            response.extensions_mut().insert(DropConnection);
            response
        }
        Decision::Pass => {
            let response = next.run(request).await;
            record(response.status().as_u16().to_string());
            response
        }
    }
}

/// The first recipient e-mail of a send payload, to label the request log.
fn first_recipient(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value["recipients"][0]["email"].as_str().map(str::to_string)
}
