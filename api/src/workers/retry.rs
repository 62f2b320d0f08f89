//! Running a failed job again, by someone allowed to start such work.

use relay_types::{AuditAction, Job, JobState, JobType};
use sea_orm::TransactionTrait;
use serde_json::json;

use crate::audit::{self, Target};
use crate::auth::{CurrentUser, Permission};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::jobs::{enqueue, find, to_dtos, NewJob};
use crate::services::Services;

/// The permission that re-running a job of this type takes: the one that starts such work.
pub fn retry_permission(job_type: JobType) -> Permission {
    match job_type {
        JobType::BulkSend | JobType::PostSendReport => Permission::BulkSendsOperate,
        JobType::ProcessReport => Permission::ReportsProcess,
    }
}

/// A new job like a failed one (`error` only), the workers woken for it; the original stays
/// as it was. Needs the permission that matches the job's type.
pub async fn retry(services: &Services, by: &CurrentUser, id: i64) -> AppResult<Job> {
    let db = &services.db;
    let original = find(db, id).await?;
    by.require(retry_permission(original.job_type))?;
    if original.state != JobState::Error {
        return Err(AppError::conflict(
            ErrorCode::JobNotInError,
            format!(
                "Solo se reintenta un trabajo en error; este está en '{}'.",
                original.state
            ),
            format!(
                "Only a job in error can be retried; this one is '{}'.",
                original.state
            ),
        ));
    }
    let job_type = original.job_type;
    let new = NewJob {
        bulk_send_id: original.bulk_send_id,
        report_id: original.report_id,
        payload: original.payload.clone(),
        triggered_by: Some(by.id),
        retry_of: Some(original.id),
        message: format!("Reintento del trabajo {}", original.id),
        ..NewJob::new(job_type)
    };
    let txn = db.conn.begin().await?;
    if let (JobType::ProcessReport, Some(report_id)) = (job_type, original.report_id) {
        // A report that ended in ERROR with this job is asked for again from the start.
        let report = crate::reports::find(&txn, report_id).await?;
        if report.state == relay_types::ReportState::Error {
            crate::reports::reset(&txn, report_id).await?;
        }
    }
    let created = enqueue(&txn, new).await?.ok_or_else(|| {
        AppError::conflict(
            ErrorCode::JobAlreadyActive,
            "Ya hay un trabajo en cola o en ejecución para esto.",
            "A job for this is already queued or running.",
        )
    })?;
    audit::record(
        &txn,
        &by.actor(),
        AuditAction::JobsRetry,
        Some(Target::new("job", created.id)),
        json!({ "retry_of": original.id, "job_type": original.job_type }),
    )
    .await?;
    txn.commit().await?;
    services.wakeup.wake();
    Ok(to_dtos(&db.conn, vec![created]).await?.remove(0))
}
