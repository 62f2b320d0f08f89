//! Doppler reports: request, follow, download, load.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use relay_types::{CreateReport, LoadReport, Page, ProcessPending, Report};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::error::AppResult;
use crate::http::auth::{can, Authorized};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::responses::*;
use crate::http::AppState;
use crate::pagination::PageParams;
use crate::reports::{self, ReportFilter};
use crate::services::Services;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_report, list_reports))
        .routes(routes!(process_pending_reports))
        .routes(routes!(get_report))
        .routes(routes!(download_report))
        .routes(routes!(load_report))
        .routes(routes!(retry_report))
}

/// Ask Doppler for a report of whole local days. It is processed in the background
/// (PENDING → PROCESSING → READY or ERROR). At most 20 requested reports wait for
/// Doppler at once; one more is refused with 409 `reports_too_many_unfinished`.
#[utoipa::path(post, path = "/api/v1/reports", tag = "reports",
    request_body = CreateReport,
    responses((status = 201, body = Report), BadRequest, Unauthorized, Forbidden, Conflict, Invalid))]
async fn request_report(
    State(state): State<Services>,
    user: Authorized<can::RequestReports>,
    ApiJson(body): ApiJson<CreateReport>,
) -> AppResult<(StatusCode, Json<Report>)> {
    let report = reports::create(
        &state,
        Some(&user),
        body.report_type,
        body.start_date,
        body.end_date,
        reports::ReportOrigin::Manual,
        None,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(reports::get(&state, report.id).await?),
    ))
}

/// Reports, newest first: by state, type, days covered, and where they are loaded.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports",
    params(ReportFilter, PageParams),
    responses((status = 200, body = Page<Report>), Unauthorized, Forbidden, Invalid))]
async fn list_reports(
    State(state): State<Services>,
    _: Authorized<can::ViewReports>,
    ApiQuery(filter): ApiQuery<ReportFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Page<Report>>> {
    Ok(Json(reports::list(&state, &filter, page.into()).await?))
}

/// "Procesar pendientes ahora": every PENDING or PROCESSING report takes its next step now.
#[utoipa::path(post, path = "/api/v1/reports/process-pending", tag = "reports",
    responses((status = 200, body = ProcessPending), Unauthorized, Forbidden))]
async fn process_pending_reports(
    State(state): State<Services>,
    user: Authorized<can::ProcessReports>,
) -> AppResult<Json<ProcessPending>> {
    let queued = reports::process_pending(&state, Some(&user)).await?;
    Ok(Json(ProcessPending { queued }))
}

#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports",
    params(("id" = i64, Path, description = "Report id")),
    responses((status = 200, body = Report), Unauthorized, Forbidden, NotFound))]
async fn get_report(
    State(state): State<Services>,
    _: Authorized<can::ViewReports>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Report>> {
    Ok(Json(reports::get(&state, id).await?))
}

/// The downloaded CSV as Doppler sent it (never asks Doppler again), with cells a
/// spreadsheet would run as formulas (`= + - @`) prefixed with `'`.
#[utoipa::path(get, path = "/api/v1/reports/{id}/download", tag = "reports",
    params(("id" = i64, Path, description = "Report id")),
    responses((status = 200, description = "CSV", content_type = "text/csv", body = String), Unauthorized, Forbidden, NotFound, Conflict))]
async fn download_report(
    State(state): State<Services>,
    _: Authorized<can::ViewReports>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Response> {
    let (report, file) = reports::open_file(&state.db, &state.config, id).await?;
    let name = std::path::Path::new(&report.file_path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| format!("reporte_{id}.csv"));
    crate::http::downloads::neutralised_csv(file, &name)
}

/// Load a READY report's rows into `default` or `analytics`, once per database: a second
/// load into the same one is refused (409).
#[utoipa::path(post, path = "/api/v1/reports/{id}/load", tag = "reports",
    params(("id" = i64, Path, description = "Report id")),
    request_body = LoadReport,
    responses((status = 200, body = Report), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Invalid))]
async fn load_report(
    State(state): State<Services>,
    user: Authorized<can::LoadReports>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<LoadReport>,
) -> AppResult<Json<Report>> {
    reports::load::load(&state, id, body.target, Some(&user)).await?;
    Ok(Json(reports::get(&state, id).await?))
}

/// Try a report in ERROR again from the start.
#[utoipa::path(post, path = "/api/v1/reports/{id}/retry", tag = "reports",
    params(("id" = i64, Path, description = "Report id")),
    responses((status = 200, body = Report), Unauthorized, Forbidden, NotFound, Conflict))]
async fn retry_report(
    State(state): State<Services>,
    user: Authorized<can::RequestReports>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Report>> {
    Ok(Json(reports::retry(&state, Some(&user), id).await?))
}
