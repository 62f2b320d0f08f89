//! Bulk sends (campaigns): creation from a recipient CSV, the operator's actions, and the
//! status machine.
//!
//! `importing → ready | ready_with_errors | import_failed`, then
//! `scheduled → queued → sending → done | done_with_errors | failed`, with `paused` and
//! `cancelled` on the way. Never `done` when every recipient failed.

mod actions;
mod creation;
pub mod dispatch;
pub mod history;
mod queries;
pub mod report_status;
pub mod schedule;
mod transition;

use chrono::{DateTime, Utc};
use relay_types::BulkCounts;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::audit::Actor;
use crate::entities::bulk_send;
use crate::error::{AppError, AppResult, ErrorCode, ErrorKind};
use crate::recipients::import::ImportSummary;

pub use actions::{
    cancel, check_variables, pause, queue, queue_if_resumed, resolve, resume, start,
};
pub use creation::{create, parse_schedule, recover_stale_imports, NewBulkSend};
pub use queries::{
    activity, counts_of, get, list, summary, to_dtos, BulkFilter, MAX_ACTIVITY_DAYS,
};
pub use relay_types::BulkSendStatus as Status;
pub use transition::{transition, Event};

fn import_status(summary: &ImportSummary) -> Status {
    if summary.valid == 0 {
        Status::ImportFailed
    } else if summary.invalid > 0 {
        Status::ReadyWithErrors
    } else {
        Status::Ready
    }
}

/// A send by id, for a request (404 when there is none).
pub async fn load(db: &crate::db::Db, id: i64) -> AppResult<bulk_send::Model> {
    find(&db.conn, id).await
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> AppResult<bulk_send::Model> {
    bulk_send::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Envío masivo no encontrado.", "Bulk send not found."))
}

/// What a state change says, in Spanish and English (the dashboard shows the user's).
#[derive(Debug, Clone, Copy, Default)]
pub struct Said<'a> {
    pub es: &'a str,
    pub en: &'a str,
}

impl<'a> Said<'a> {
    pub const NOTHING: Said<'static> = Said { es: "", en: "" };

    pub fn new(es: &'a str, en: &'a str) -> Self {
        Said { es, en }
    }
}

/// A 402 on one send: it and every other queued or sending send pause until the account's
/// quota resets — the quota is the account's, not the send's. Answers how many paused.
pub async fn pause_for_quota(
    services: &crate::services::Services,
    tripped: i64,
    quota: &crate::relay::QuotaInfo,
    resume_at: DateTime<Utc>,
    message: Said<'_>,
) -> AppResult<u64> {
    let db = &services.db.conn;
    let running = [Status::Queued, Status::Sending];
    let candidates = bulk_send::Entity::find()
        .filter(bulk_send::Column::Status.is_in(running))
        .all(db)
        .await?;
    let mut paused = 0;
    for bulk in candidates {
        // The reset time first: whoever sees "paused for quota" also sees until when.
        bulk_send::Entity::update_many()
            .col_expr(bulk_send::Column::ResumeAt, Expr::value(resume_at))
            .filter(bulk_send::Column::Id.eq(bulk.id))
            .filter(bulk_send::Column::Status.is_in(running))
            .exec(db)
            .await?;
        let event = Event::system(
            relay_types::BulkEventKind::QuotaPaused,
            serde_json::json!({
                "reset_at": quota.reset_at,
                "resume_at": resume_at,
                "tripped_by": tripped,
            }),
        );
        let reason = "quota_exceeded";
        if transition(
            db,
            bulk.id,
            &running,
            Status::Paused,
            reason,
            message,
            Some(event),
        )
        .await?
        {
            paused += 1;
        } else {
            // An operator stopped it meanwhile: no reset time belongs to their status.
            bulk_send::Entity::update_many()
                .col_expr(
                    bulk_send::Column::ResumeAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .filter(bulk_send::Column::Id.eq(bulk.id))
                .filter(bulk_send::Column::Status.ne(Status::Paused))
                .exec(db)
                .await?;
        }
    }
    Ok(paused)
}

fn state_conflict(action: relay_types::BulkAction, current: Status) -> AppError {
    let (action_es, action_en) = action.verb();
    AppError::conflict(
        ErrorCode::BulkSendStateConflict,
        format!("No se puede {action_es} un envío en estado '{current}'."),
        format!("Cannot {action_en} a bulk send in status '{current}'."),
    )
    .with("current_status", current.as_str())
}

/// The status a bulk send ends in once nothing is left to send; `None` while rows remain.
pub fn final_status(c: &BulkCounts) -> Option<Status> {
    if c.pending > 0 || c.sending > 0 {
        None
    } else if c.sent == 0 && c.failed + c.ambiguous > 0 {
        Some(Status::Failed)
    } else if c.failed + c.ambiguous > 0 {
        Some(Status::DoneWithErrors)
    } else {
        Some(Status::Done)
    }
}

/// A template lookup that found nothing names the request's `template_id`.
fn template_lookup_error(err: AppError, id: &str) -> AppError {
    if err.kind == ErrorKind::NotFound {
        AppError::missing(
            "template_id",
            ErrorCode::TemplateNotFound,
            format!("La plantilla '{id}' no existe en Doppler Relay."),
            format!("Template '{id}' does not exist in Doppler Relay."),
        )
    } else {
        err
    }
}

/// Who acts for the system when no user does (scheduler, timers).
pub fn system_actor() -> Actor {
    Actor::system("scheduler")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn counts(pending: i64, sending: i64, sent: i64, failed: i64, ambiguous: i64) -> BulkCounts {
        BulkCounts {
            pending,
            sending,
            sent,
            failed,
            ambiguous,
            ..Default::default()
        }
    }

    #[test]
    fn a_send_is_never_done_when_every_recipient_failed() {
        assert_eq!(final_status(&counts(0, 0, 10, 0, 0)), Some(Status::Done));
        assert_eq!(
            final_status(&counts(0, 0, 9, 1, 0)),
            Some(Status::DoneWithErrors)
        );
        assert_eq!(
            final_status(&counts(0, 0, 9, 0, 1)),
            Some(Status::DoneWithErrors)
        );
        assert_eq!(final_status(&counts(0, 0, 0, 5, 5)), Some(Status::Failed));
        assert_eq!(final_status(&counts(1, 0, 9, 0, 0)), None);
        assert_eq!(final_status(&counts(0, 1, 9, 0, 0)), None);
    }

    #[test]
    fn schedules_without_offset_are_local() {
        let vars = std::collections::HashMap::from([(
            "SECRET_KEY".to_string(),
            crate::config::tests::STRONG_KEY.to_string(),
        )]);
        let config = Config::from_vars(&vars).unwrap();
        assert_eq!(
            parse_schedule("2025-11-03T08:30", &config)
                .unwrap()
                .to_rfc3339(),
            "2025-11-03T13:30:00+00:00"
        );
        assert_eq!(
            parse_schedule("2025-11-03 08:30:15", &config)
                .unwrap()
                .to_rfc3339(),
            "2025-11-03T13:30:15+00:00"
        );
        assert_eq!(
            parse_schedule("2025-11-03T08:30:00Z", &config)
                .unwrap()
                .to_rfc3339(),
            "2025-11-03T08:30:00+00:00"
        );
        assert_eq!(
            parse_schedule("mañana", &config).unwrap_err().code,
            ErrorCode::ScheduledAtInvalid
        );
    }
}
