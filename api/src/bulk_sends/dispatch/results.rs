//! Writing down how each send ended (in small batches, insisting on failures), and
//! watching the bulk send for pause and cancel while keeping its counters current.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::TransactionTrait;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use super::{Dispatch, Status, RECORD_BATCH, RECORD_EVERY, WATCH_EVERY};
use crate::db::Db;
use crate::error::AppResult;
use crate::recipients::ledger::{self, Finish};

/// Writes the results of sends in batches, one transaction each, insisting a little on
/// failures: a send that happened must not go unrecorded. Answers false if some could not be.
pub(super) async fn record(
    db: Db,
    job_id: i64,
    mut results: UnboundedReceiver<(i64, Finish)>,
) -> bool {
    let mut all_recorded = true;
    let mut batch = Vec::with_capacity(RECORD_BATCH);
    while let Some(first) = results.recv().await {
        batch.push(first);
        let deadline = Instant::now() + RECORD_EVERY;
        while batch.len() < RECORD_BATCH {
            match tokio::time::timeout_at(deadline, results.recv()).await {
                Ok(Some(next)) => batch.push(next),
                _ => break,
            }
        }
        let mut written = false;
        for attempt in 1..=5u64 {
            match write_results(&db, job_id, &batch).await {
                Ok(()) => {
                    written = true;
                    break;
                }
                Err(err) => {
                    tracing::warn!(attempt, rows = batch.len(), error = %err, "could not record sends; retrying");
                    tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                }
            }
        }
        all_recorded &= written;
        batch.clear();
    }
    all_recorded
}

async fn write_results(db: &Db, job_id: i64, batch: &[(i64, Finish)]) -> AppResult<()> {
    let txn = db.conn.begin().await?;
    for (recipient, end) in batch {
        if !ledger::finish(&txn, *recipient, job_id, end.clone()).await? {
            tracing::warn!(
                recipient,
                "row no longer this job's; its end was not recorded"
            );
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Watches for pause and cancel, and keeps counters and progress current.
pub(super) async fn watch(dispatch: Arc<Dispatch>, owner: String) {
    let db = &dispatch.services.db;
    let mut last_counts = Instant::now();
    loop {
        tokio::time::sleep(WATCH_EVERY).await;
        match crate::bulk_sends::find(&db.conn, dispatch.bulk_id).await {
            Ok(bulk) if bulk.status != Status::Sending => {
                tracing::info!(bulk_send = dispatch.bulk_id, status = %bulk.status, "send stopped by status change");
                dispatch.stop.cancel();
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "could not read the bulk send's status"),
        }
        if last_counts.elapsed() >= Duration::from_secs(1) {
            last_counts = Instant::now();
            if let Ok(c) = ledger::refresh_counters(&db.conn, dispatch.bulk_id).await {
                let done = c.sent + c.failed + c.ambiguous;
                let _ = crate::jobs::progress(
                    db,
                    dispatch.job_id,
                    &owner,
                    done,
                    c.valid,
                    &format!("Enviando: {done}/{}", c.valid),
                )
                .await;
            }
        }
    }
}
