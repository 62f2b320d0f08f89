//! Jobs whose worker stopped renewing its lease (the process died or hung) are taken back,
//! and what each job type's run leaves half done is settled in the same transaction. The
//! match is exhaustive: a new job type says here what a crash of its run leaves behind.

use relay_types::JobType;
use sea_orm::TransactionTrait;

use crate::db::Db;
use crate::entities::job;
use crate::error::AppResult;
use crate::jobs;
use crate::recipients::ledger;

/// Takes back expired jobs (queued again, or `error` after too many attempts) and answers
/// them.
pub async fn recover_expired(db: &Db) -> AppResult<Vec<job::Model>> {
    let txn = db.conn.begin().await?;
    let recovered = jobs::take_back_expired(&txn).await?;
    for job in &recovered {
        match (job.job_type, job.bulk_send_id) {
            // Rows left `sending` may have gone out: they become ambiguous before the job
            // runs again, so nothing is sent twice.
            (JobType::BulkSend, Some(bulk_id)) => {
                let n = ledger::abandon_sending(
                    &txn,
                    bulk_id,
                    "El proceso que enviaba se detuvo durante el envío; verifique antes de reenviar.",
                )
                .await?;
                if n > 0 {
                    tracing::warn!(
                        job = job.id,
                        bulk_send = bulk_id,
                        recipients = n,
                        "recovered send job: rows left sending are now ambiguous"
                    );
                }
            }
            // Their steps are redone from where the job's state says: nothing half done.
            (JobType::BulkSend, None) | (JobType::PostSendReport | JobType::ProcessReport, _) => {}
        }
    }
    txn.commit().await?;
    for job in &recovered {
        tracing::warn!(job = job.id, job_type = %job.job_type, state = %job.state, "job lease expired; taken back");
    }
    Ok(recovered)
}
