//! The job audit: background work and its outcome.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use relay_types::{Job, Page};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::error::AppResult;
use crate::http::auth::{can, Authorized};
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::responses::*;
use crate::http::AppState;
use crate::jobs::{self, JobFilter};
use crate::pagination::PageParams;
use crate::services::Services;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_jobs))
        .routes(routes!(get_job))
        .routes(routes!(retry_job))
}

/// Jobs, newest first, by state, type or bulk send.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs",
    params(JobFilter, PageParams),
    responses((status = 200, body = Page<Job>), Unauthorized, Forbidden, Invalid))]
async fn list_jobs(
    State(state): State<Services>,
    _: Authorized<can::ViewJobs>,
    ApiQuery(filter): ApiQuery<JobFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Page<Job>>> {
    Ok(Json(jobs::list(&state.db, &filter, page.into()).await?))
}

#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs",
    params(("id" = i64, Path, description = "Job id")),
    responses((status = 200, body = Job), Unauthorized, Forbidden, NotFound))]
async fn get_job(
    State(state): State<Services>,
    _: Authorized<can::ViewJobs>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Job>> {
    Ok(Json(jobs::get(&state.db, id).await?))
}

/// Run a failed job again, as a new job (`error` only). Needs the permission that starts
/// such work: `bulk_sends.operate` for sends and their automatic reports,
/// `reports.can_process_reports` for report processing.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/retry", tag = "jobs",
    params(("id" = i64, Path, description = "Job id")),
    responses((status = 201, body = Job), Unauthorized, Forbidden, NotFound, Conflict))]
async fn retry_job(
    State(state): State<Services>,
    user: Authorized<can::RetryJobs>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<(StatusCode, Json<Job>)> {
    let created = crate::workers::retry(&state, &user, id).await?;
    Ok((StatusCode::CREATED, Json(created)))
}
