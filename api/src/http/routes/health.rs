//! Liveness, readiness and metrics.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use metrics_exporter_prometheus::PrometheusHandle;
use relay_types::{Health, HealthStatus, Readiness, ReadinessStatus};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::http::AppState;
use crate::services::Services;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(prometheus_metrics))
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", security(()),
    responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health {
        status: HealthStatus::Ok,
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// The database answers and every migration is applied (503 otherwise).
#[utoipa::path(get, path = "/readyz", tag = "operations", security(()),
    responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
async fn readyz(State(state): State<Services>) -> impl IntoResponse {
    let database = state.db.ping().await;
    let pending = if database {
        state.db.pending_migrations().await.ok()
    } else {
        None
    };
    let migrations_applied = pending.as_ref().is_some_and(|p| p.is_empty());
    let ready = database && migrations_applied;
    let body = Readiness {
        status: if ready {
            ReadinessStatus::Ready
        } else {
            ReadinessStatus::NotReady
        },
        database,
        migrations_applied,
        pending_migrations: pending.unwrap_or_default(),
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

/// Prometheus metrics: requests by route and status, latency histogram, job and send counters.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(()),
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain", body = String)))]
async fn prometheus_metrics(State(metrics): State<PrometheusHandle>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        metrics.render(),
    )
}
