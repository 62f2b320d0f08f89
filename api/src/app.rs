//! Builds the application state and the router; nothing else.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRef};
use axum::http::{HeaderName, StatusCode};
use axum::response::IntoResponse;
use axum::{middleware, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use tracing::Level;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::password::Hasher;
use crate::config::Config;
use crate::db::Db;
use crate::error::{render_problems, AppError};
use crate::jobs::runner::Wakeup;
use crate::observability;
use crate::relay::RelayClient;

/// JSON bodies larger than this are refused; uploads have their own, configured limits.
/// Room for the longest valid body even when every character comes escaped (`\uXXXX`
/// pairs, 12 bytes each): a template's or message's 200,000 characters of HTML and text.
pub const JSON_BODY_LIMIT: usize = 6 * 1024 * 1024;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    /// The optional second PostgreSQL database that report rows can be loaded into.
    pub analytics: Option<Db>,
    pub relay: RelayClient,
    pub metrics: PrometheusHandle,
    /// Wakes this process's job workers when work is queued.
    pub wakeup: Wakeup,
    /// Password hashing, a bounded number at once.
    pub hasher: Hasher,
}

impl AppState {
    pub async fn new(config: Config, db: Db) -> anyhow::Result<AppState> {
        let analytics = match &config.analytics_database_url {
            Some(url) => Some(Db::connect_lazy_postgres(url, 8)?),
            None => None,
        };
        let config_hash_concurrency = config.auth.hash_concurrency;
        Ok(AppState {
            analytics,
            relay: RelayClient::new(&config)?,
            config: Arc::new(config),
            db,
            metrics: observability::metrics_handle(),
            wakeup: Wakeup::default(),
            hasher: Hasher::new(config_hash_concurrency),
        })
    }
}

pub fn router(state: AppState) -> Router {
    let (api, openapi) = crate::routes::api_router(&state);
    let request_id = HeaderName::from_static("x-request-id");

    let mut app = api
        .merge(SwaggerUi::new("/api/docs").external_url_unchecked("/api/openapi.json", openapi))
        .route("/api/{*rest}", axum::routing::any(api_not_found));
    app = match &state.config.static_dir {
        // Development: the SPA from disk, unknown paths to index.html for client-side routes.
        Some(dir) => app
            .fallback_service(ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")))),
        None => app.fallback(api_not_found),
    };

    app.layer(middleware::from_fn(observability::track_requests))
        .layer(middleware::from_fn_with_state(state.clone(), observability::check_host))
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                        let request_id = request
                            .headers()
                            .get("x-request-id")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("");
                        tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
                    })
                    .on_response(DefaultOnResponse::new().level(Level::INFO).latency_unit(LatencyUnit::Millis))
                    .on_failure(DefaultOnFailure::new().level(Level::ERROR)),
                )
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(middleware::from_fn(render_problems))
                .layer(CatchPanicLayer::custom(|_| {
                    AppError::internal(anyhow::anyhow!("handler panicked")).into_response()
                })),
        )
        // Outermost, so that every answer (errors of the layers above included) carries them.
        .layer(middleware::from_fn(observability::security_headers))
        .with_state(state)
}

async fn api_not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "El recurso solicitado no existe.",
        "The requested resource does not exist.",
    )
}
