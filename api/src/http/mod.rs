//! The HTTP layer: the router and its state, extractors, uploads, downloads, problem
//! answers and the OpenAPI document. Handlers (in `routes/`) read the request, call a
//! domain service with `&Services`, and shape its answer; nothing below this module knows
//! about HTTP.

pub mod auth;
pub mod contract;
pub mod downloads;
pub mod extract;
pub mod middleware;
pub mod openapi;
pub mod problem;
pub mod responses;
pub mod routes;
pub mod uploads;

use axum::extract::{DefaultBodyLimit, FromRef};
use axum::http::HeaderName;
use axum::response::IntoResponse;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use tracing::Level;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::AppError;
use crate::observability;
use crate::services::Services;
use problem::render_problems;

/// JSON bodies larger than this are refused; uploads have their own, configured limits.
/// Room for the longest valid body even when every character comes escaped (`\uXXXX`
/// pairs, 12 bytes each): a template's or message's 200,000 characters of HTML and text.
pub const JSON_BODY_LIMIT: usize = 6 * 1024 * 1024;

/// The router's state: the domain's [`Services`] (handlers take `State<Services>`) and what
/// only HTTP needs.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub services: Services,
    pub metrics: PrometheusHandle,
}

impl AppState {
    pub fn new(services: Services) -> AppState {
        AppState {
            services,
            metrics: observability::metrics_handle(),
        }
    }
}

/// Where the SPA build puts its content-hashed files: safe to cache for a year.
const HASHED_ASSETS: &str = "/assets/";

/// The built SPA from disk: its pre-compressed `.br`/`.gz` twins when the browser takes
/// them, `index.html` for client-side routes. Hashed assets are cached for a year;
/// everything else (`index.html`) is revalidated, so a deploy reaches every browser.
async fn serve_spa(
    dir: std::path::PathBuf,
    request: axum::extract::Request,
) -> axum::response::Response {
    use tower::ServiceExt;
    let hashed = request.uri().path().starts_with(HASHED_ASSETS);
    let index = ServeFile::new(dir.join("index.html")).precompressed_gzip();
    let files = ServeDir::new(&dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(index);
    let mut response = match files.oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    };
    let cache = if hashed && response.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static(cache),
    );
    response
}

pub fn router(state: AppState) -> Router {
    let (api, openapi) = openapi::api_router(&state);
    let request_id = HeaderName::from_static("x-request-id");

    let mut app = api
        .merge(SwaggerUi::new("/api/docs").external_url_unchecked("/api/openapi.json", openapi))
        .route("/api/{*rest}", axum::routing::any(problem::not_found));
    app = match &state.services.config.static_dir {
        // Development: the SPA from disk, unknown paths to index.html for client-side routes.
        Some(dir) => {
            let dir = dir.clone();
            app.fallback(move |request: axum::extract::Request| serve_spa(dir.clone(), request))
        }
        None => app.fallback(problem::not_found),
    };

    app.layer(axum::middleware::from_fn(middleware::track_requests))
        .layer(axum::middleware::from_fn_with_state(
            state.services.clone(),
            middleware::check_host,
        ))
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        // A body that stops arriving ends the request (the headers have their own timeout,
        // in `server::serve`).
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            state.services.config.http_read_timeout,
        ))
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
                .layer(axum::middleware::from_fn(render_problems))
                .layer(CatchPanicLayer::custom(|_| {
                    AppError::internal(anyhow::anyhow!("handler panicked")).into_response()
                })),
        )
        // Outermost, so that every answer (errors of the layers above included) carries them.
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .with_state(state)
}
