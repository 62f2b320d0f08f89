//! The `/_sim` control endpoints tests use: what was received, faults, the report CSV,
//! and a reset.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::lock;
use crate::faults::Faults;
use crate::state::ReceivedMessage;
use crate::Shared;

/// Every report downloads this body from now on.
pub(super) async fn put_report_csv(State(state): State<Shared>, body: String) -> StatusCode {
    lock(&state).canned_report = Some(body);
    StatusCode::NO_CONTENT
}

/// Reports go back to being built from the messages received.
pub(super) async fn delete_report_csv(State(state): State<Shared>) -> StatusCode {
    lock(&state).canned_report = None;
    StatusCode::NO_CONTENT
}

pub(super) async fn list_messages(State(state): State<Shared>) -> Json<Vec<ReceivedMessage>> {
    Json(lock(&state).messages.clone())
}

pub(super) async fn list_requests(
    State(state): State<Shared>,
) -> Json<Vec<crate::state::RequestRecord>> {
    Json(lock(&state).requests.clone())
}

pub(super) async fn get_faults(State(state): State<Shared>) -> Json<Faults> {
    Json(lock(&state).faults.clone())
}

pub(super) async fn put_faults(
    State(state): State<Shared>,
    Json(faults): Json<Faults>,
) -> Json<Faults> {
    let mut sim = lock(&state);
    sim.faults = faults;
    Json(sim.faults.clone())
}

/// Forgets received messages, the request log and the quota count.
pub(super) async fn reset(State(state): State<Shared>) -> StatusCode {
    let mut sim = lock(&state);
    sim.messages.clear();
    sim.requests.clear();
    sim.accepted_sends = 0;
    StatusCode::NO_CONTENT
}
