//! A bulk send's timeline. Everything that happens to a send is written to the audit log
//! under one action per [`BulkEventKind`] — what people did (create, queue, pause...) and
//! what the system did (started sending, paused for the quota, finished) — and read back
//! here as typed events.

use relay_types::{AuditAction, BulkEvent, BulkEventKind};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;

use crate::audit::{self, Actor, Target};
use crate::entities::audit_log;
use crate::error::AppResult;

/// The most events a timeline shows (the oldest first).
const MOST_EVENTS: u64 = 500;

/// The audit action each kind of event is written under.
pub const fn action(kind: BulkEventKind) -> AuditAction {
    match kind {
        BulkEventKind::Created => AuditAction::BulkSendsCreate,
        BulkEventKind::Queued => AuditAction::BulkSendsQueue,
        BulkEventKind::ScheduledStart => AuditAction::BulkSendsScheduledStart,
        BulkEventKind::StartFailed => AuditAction::BulkSendsStartFailed,
        BulkEventKind::SendingStarted => AuditAction::BulkSendsSendingStarted,
        BulkEventKind::Paused => AuditAction::BulkSendsPause,
        BulkEventKind::QuotaPaused => AuditAction::BulkSendsQuotaPaused,
        BulkEventKind::RelayPaused => AuditAction::BulkSendsRelayPaused,
        BulkEventKind::CredentialsPaused => AuditAction::BulkSendsCredentialsPaused,
        BulkEventKind::Resumed => AuditAction::BulkSendsResume,
        BulkEventKind::Cancelled => AuditAction::BulkSendsCancel,
        BulkEventKind::Finished => AuditAction::BulkSendsFinished,
        BulkEventKind::MarkedSent => AuditAction::BulkSendsMarkSent,
        BulkEventKind::Resent => AuditAction::BulkSendsResendAmbiguous,
        BulkEventKind::ReportRefreshed => AuditAction::BulkSendsRefreshReport,
    }
}

fn kind_of(action_name: &str) -> Option<BulkEventKind> {
    BulkEventKind::ALL
        .iter()
        .copied()
        .find(|kind| action(*kind).as_str() == action_name)
}

/// Writes an event of a send: by `actor`, or by the system when `None`.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: Option<&Actor>,
    bulk_id: i64,
    kind: BulkEventKind,
    data: Value,
) -> AppResult<()> {
    let system = super::system_actor();
    audit::record(
        db,
        actor.unwrap_or(&system),
        action(kind),
        Some(Target::new("bulk_send", bulk_id)),
        data,
    )
    .await?;
    Ok(())
}

/// A send's timeline, for a request: 404 when there is no such send.
pub async fn of(db: &crate::db::Db, bulk_id: i64) -> AppResult<Vec<BulkEvent>> {
    super::find(&db.conn, bulk_id).await?;
    events(&db.conn, bulk_id).await
}

/// The send's events, oldest first.
pub async fn events(db: &impl ConnectionTrait, bulk_id: i64) -> AppResult<Vec<BulkEvent>> {
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::TargetType.eq("bulk_send"))
        .filter(audit_log::Column::TargetId.eq(bulk_id.to_string()))
        .filter(audit_log::Column::Action.starts_with("bulk_sends."))
        .order_by_asc(audit_log::Column::Id)
        .limit(MOST_EVENTS)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(BulkEvent {
                at: row.created_at,
                kind: kind_of(&row.action)?,
                actor: row.actor_user_id.map(|_| row.actor_username),
                data: row.details,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_action() {
        for kind in BulkEventKind::ALL {
            assert_eq!(kind_of(action(*kind).as_str()), Some(*kind));
        }
        assert_eq!(kind_of("bulk_sends.unknown"), None);
    }
}
