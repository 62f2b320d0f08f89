//! The one way a bulk send's status changes ([`transition`]): the compare-and-set of the
//! status and its timeline entry, committed together.

use chrono::{DateTime, Utc};
use relay_types::BulkEventKind;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession, TransactionTrait,
};
use serde_json::Value;

use super::{history, Said, Status};
use crate::audit::Actor;
use crate::entities::bulk_send;
use crate::error::AppResult;

/// What a send's timeline says about a change of its status.
pub struct Event {
    /// `None`: the system did it (scheduler, dispatch, timers).
    pub actor: Option<Actor>,
    pub kind: BulkEventKind,
    pub data: Value,
}

impl Event {
    pub fn by(actor: Actor, kind: BulkEventKind, data: Value) -> Event {
        Event {
            actor: Some(actor),
            kind,
            data,
        }
    }

    pub fn system(kind: BulkEventKind, data: Value) -> Event {
        Event {
            actor: None,
            kind,
            data,
        }
    }
}

/// Moves a send from one of `from` to `to` and writes `event` to its timeline, in one
/// transaction (a savepoint inside the caller's, when `db` is one): a crash or an error
/// between the two writes leaves neither, so the history never disagrees with the state.
/// `false`, with nothing written, when the send was in none of `from`. `event` is `None`
/// only where the timeline already holds what caused the change (a resend, a settled
/// recipient, scheduling at creation).
pub async fn transition(
    db: &impl TransactionTrait,
    id: i64,
    from: &[Status],
    to: Status,
    reason: &str,
    said: Said<'_>,
    event: Option<Event>,
) -> AppResult<bool> {
    let txn = db.begin().await?;
    if !compare_and_set(&txn, id, from, to, reason, said).await? {
        return Ok(false);
    }
    if let Some(event) = event {
        history::record(&txn, event.actor.as_ref(), id, event.kind, event.data).await?;
    }
    txn.commit().await?;
    Ok(true)
}

async fn compare_and_set(
    db: &impl ConnectionTrait,
    id: i64,
    from: &[Status],
    to: Status,
    reason: &str,
    message: Said<'_>,
) -> AppResult<bool> {
    let mut update = bulk_send::Entity::update_many()
        .col_expr(bulk_send::Column::Status, Expr::value(to))
        .col_expr(bulk_send::Column::StatusReason, Expr::value(reason))
        .col_expr(bulk_send::Column::StatusMessage, Expr::value(message.es))
        .col_expr(bulk_send::Column::StatusMessageEn, Expr::value(message.en))
        .col_expr(bulk_send::Column::UpdatedAt, Expr::value(Utc::now()));
    match to {
        Status::Queued => {
            update = update.col_expr(bulk_send::Column::QueuedAt, Expr::value(Utc::now()))
        }
        Status::Done | Status::DoneWithErrors | Status::Failed | Status::Cancelled => {
            update = update.col_expr(bulk_send::Column::FinishedAt, Expr::value(Utc::now()))
        }
        Status::Importing
        | Status::Ready
        | Status::ReadyWithErrors
        | Status::ImportFailed
        | Status::Scheduled
        | Status::Sending
        | Status::Paused => {}
    }
    if to != Status::Paused {
        update = update.col_expr(
            bulk_send::Column::ResumeAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        );
    }
    let result = update
        .filter(bulk_send::Column::Id.eq(id))
        .filter(bulk_send::Column::Status.is_in(from.iter().copied()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
