//! Starting scheduled bulk sends when they are due: the in-process scheduler and the
//! `process-bulk-scheduled` command run this same code, safely at the same time (the
//! status moves `scheduled → queued` by compare-and-set, and a send has one active job).

use crate::error::ErrorCode;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;

use super::Event;
use relay_types::BulkEventKind;

use super::Status;
use crate::entities::bulk_send;
use crate::error::AppResult;
use crate::services::Services;
use relay_types::BulkAction;

/// Due sends taken per run (legacy: 50); the rest wait for the next run.
const BATCH: u64 = 50;

/// Queues the scheduled sends due at `now`; answers how many started.
pub async fn start_due(services: &Services, now: DateTime<Utc>) -> AppResult<usize> {
    let due = bulk_send::Entity::find()
        .filter(bulk_send::Column::Status.eq(Status::Scheduled))
        .filter(bulk_send::Column::ScheduledAt.lte(now))
        .order_by_asc(bulk_send::Column::ScheduledAt)
        .limit(BATCH)
        .all(&services.db.conn)
        .await?;
    let mut started = 0;
    for bulk in due {
        // Started as an operator's "send now" would be; the query chose only scheduled ones.
        let event = Event::system(
            BulkEventKind::ScheduledStart,
            json!({ "scheduled_at": bulk.scheduled_at }),
        );
        match super::start(services, None, bulk.id, BulkAction::Queue, Some(event)).await {
            Ok(()) => {
                started += 1;
                tracing::info!(bulk_send = bulk.id, "scheduled send started");
            }
            // Another scheduler got there first.
            Err(err)
                if matches!(
                    err.code,
                    ErrorCode::BulkSendStateConflict | ErrorCode::BulkSendJobActive
                ) => {}
            // The rows no longer fit the template (or it is gone): the send cannot start.
            Err(err) if err.kind.is_permanent() => {
                tracing::warn!(bulk_send = bulk.id, code = %err.code, "scheduled send could not start");
                let event = Event::system(
                    BulkEventKind::StartFailed,
                    json!({ "code": err.code, "message": err.es, "message_en": err.en }),
                );
                super::transition(
                    &services.db.conn,
                    bulk.id,
                    &[Status::Scheduled],
                    Status::Failed,
                    err.code.as_str(),
                    super::Said::new(&err.es, &err.en),
                    Some(event),
                )
                .await?;
            }
            // Doppler unreachable: stays scheduled, tried again next run.
            Err(err) => {
                tracing::warn!(bulk_send = bulk.id, error = %err, "scheduled send postponed")
            }
        }
    }
    Ok(started)
}
