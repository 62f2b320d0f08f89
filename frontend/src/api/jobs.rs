//! Background jobs (a send's "Trabajos") and their retry.

use relay_types::{Job, JobState, JobType, Page};

use super::{get, post, query, spelled, ApiResult, Body};

pub async fn for_bulk_send(bulk_send_id: i64) -> ApiResult<Page<Job>> {
    get(&format!(
        "/api/v1/jobs{}",
        query(&[
            ("bulk_send_id", bulk_send_id.to_string()),
            ("page_size", "50".into())
        ])
    ))
    .await
}

/// "Reintentar": a new job in place of one in error.
pub async fn retry(id: i64) -> ApiResult<Job> {
    post(&format!("/api/v1/jobs/{id}/retry"), Body::Empty).await
}

/// The "Auditoría" list of jobs, filtered.
pub async fn list(
    state: Option<JobState>,
    job_type: Option<JobType>,
    bulk_send_id: &str,
    page: u64,
) -> ApiResult<Page<Job>> {
    get(&format!(
        "/api/v1/jobs{}",
        query(&[
            ("state", spelled(&state)),
            ("job_type", spelled(&job_type)),
            ("bulk_send_id", bulk_send_id.to_string()),
            ("page", page.max(1).to_string()),
            ("page_size", "20".into()),
        ])
    ))
    .await
}
