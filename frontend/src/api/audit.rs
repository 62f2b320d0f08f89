//! The audit log: who did what, when, to which object.

use relay_types::{AuditEntry, Page};

use super::{get, query, ApiResult};

pub async fn list(action: &str, q: &str, page: u64) -> ApiResult<Page<AuditEntry>> {
    get(&format!(
        "/api/v1/audit{}",
        query(&[
            ("action", action.to_string()),
            ("q", q.to_string()),
            ("page", page.max(1).to_string()),
            ("page_size", "20".into()),
        ])
    ))
    .await
}
