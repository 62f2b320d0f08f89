//! Doppler's account status endpoints (docs/doppler.md): the sending limits.

use axum::extract::State;
use axum::Json;

use super::lock;
use crate::Shared;

/// `GET /accounts/{id}/status/limits`, Doppler's `limit-status` model: the monthly limit is
/// the quota fault's (10,000 without one), what is left of it, and when it resets.
pub(super) async fn limits(State(state): State<Shared>) -> Json<serde_json::Value> {
    let sim = lock(&state);
    let limit = sim.faults.quota_after.unwrap_or(10_000);
    let next_month = (chrono::Utc::now() + chrono::Duration::days(31))
        .format("%Y-%m-01T00:00:00Z")
        .to_string();
    Json(serde_json::json!({
        "monthly": {
            "limit": limit,
            "remaining": limit.saturating_sub(sim.accepted_sends),
            "reset": next_month,
        },
        "_links": [],
    }))
}
