//! Background jobs (a send's "Trabajos") and their retry.

use relay_types::{Job, Page};

use super::{get, post, query, ApiResult, Body};

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
    state: &str,
    job_type: &str,
    bulk_send_id: &str,
    page: u64,
) -> ApiResult<Page<Job>> {
    get(&format!(
        "/api/v1/jobs{}",
        query(&[
            ("state", state.to_string()),
            ("job_type", job_type.to_string()),
            ("bulk_send_id", bulk_send_id.to_string()),
            ("page", page.max(1).to_string()),
            ("page_size", "20".into()),
        ])
    ))
    .await
}
