//! Slowing down password guessing.
//!
//! Failed logins are already in the audit log, which every process shares, so the
//! throttle reads them from there: after 5 consecutive failures for one username (or
//! 20 from one address) within 15 minutes, each further attempt must wait 30 s, doubling
//! per failure up to 15 minutes. A successful login clears the username's count.
//!
//! Every attempt is written down *before* its password is checked (as a failure, until
//! it succeeds), and the throttle counts the attempts written before it: parallel guesses
//! see each other and cannot all slip through before the first failure is recorded.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

use crate::entities::audit_log;
use crate::error::{AppError, AppResult, ErrorKind};

pub const LOGIN_OK: &str = "auth.login";
pub const LOGIN_FAILED: &str = "auth.login_failed";
/// An attempt turned away by the throttle: recorded, but not counted as a guess.
pub const LOGIN_THROTTLED: &str = "auth.login_throttled";
const WINDOW_MINUTES: i64 = 15;
const USER_THRESHOLD: usize = 5;
const IP_THRESHOLD: usize = 20;
const FIRST_WAIT_SECONDS: i64 = 30;

/// How long after the last of `failures` consecutive failures the next attempt may come.
fn wait_after(failures: usize, threshold: usize) -> Option<Duration> {
    if failures < threshold {
        return None;
    }
    let doublings = (failures - threshold).min(10) as u32;
    let seconds = (FIRST_WAIT_SECONDS << doublings).min(WINDOW_MINUTES * 60);
    Some(Duration::seconds(seconds))
}

/// Writes down an attempt before its password is checked, as a failure in progress;
/// answers its id for [`check`] and [`settle`].
pub async fn begin(
    db: &impl ConnectionTrait,
    username_key: &str,
    ip: Option<&str>,
) -> AppResult<i64> {
    let row = audit_log::Entity::insert(audit_log::ActiveModel {
        created_at: Set(Utc::now()),
        actor_user_id: Set(None),
        actor_username: Set(username_key.to_string()),
        action: Set(LOGIN_FAILED.into()),
        target_type: Set(Some("username".into())),
        target_id: Set(Some(username_key.to_string())),
        ip: Set(ip.map(str::to_string)),
        details: Set(json!({ "reason": "in_progress" })),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    Ok(row.id)
}

/// Records how an attempt ended: `LOGIN_OK`, `LOGIN_FAILED` (with a reason) or `LOGIN_THROTTLED`.
pub async fn settle(
    db: &impl ConnectionTrait,
    attempt: i64,
    action: &str,
    user: Option<(i64, &str)>,
    reason: &str,
) -> AppResult<()> {
    let mut update = audit_log::Entity::update_many()
        .col_expr(audit_log::Column::Action, Expr::value(action))
        .col_expr(
            audit_log::Column::Details,
            Expr::value(if reason.is_empty() {
                json!({})
            } else {
                json!({ "reason": reason })
            }),
        );
    if let Some((id, name)) = user {
        update = update
            .col_expr(audit_log::Column::ActorUserId, Expr::value(id))
            .col_expr(audit_log::Column::ActorUsername, Expr::value(name));
    }
    update
        .filter(audit_log::Column::Id.eq(attempt))
        .exec(db)
        .await?;
    Ok(())
}

/// 429 with `Retry-After` when this username or address must wait, counting the attempts
/// written down before `attempt` (those still in progress count as failures).
pub async fn check(
    db: &impl ConnectionTrait,
    username_key: &str,
    ip: Option<&str>,
    attempt: i64,
) -> AppResult<()> {
    let now = Utc::now();
    let since = now - Duration::minutes(WINDOW_MINUTES);

    let recent_for_user = audit_log::Entity::find()
        .filter(audit_log::Column::TargetType.eq("username"))
        .filter(audit_log::Column::TargetId.eq(username_key))
        .filter(audit_log::Column::Action.is_in([LOGIN_OK, LOGIN_FAILED]))
        .filter(audit_log::Column::Id.lt(attempt))
        .filter(audit_log::Column::CreatedAt.gt(since))
        .order_by_desc(audit_log::Column::Id)
        .limit(64)
        .all(db)
        .await?;
    let consecutive: Vec<&audit_log::Model> = recent_for_user
        .iter()
        .take_while(|e| e.action == LOGIN_FAILED)
        .collect();
    refuse_if_waiting(
        now,
        consecutive.len(),
        USER_THRESHOLD,
        consecutive.first().map(|e| e.created_at),
    )?;

    if let Some(ip) = ip {
        let from_ip = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq(LOGIN_FAILED))
            .filter(audit_log::Column::Ip.eq(ip))
            .filter(audit_log::Column::Id.lt(attempt))
            .filter(audit_log::Column::CreatedAt.gt(since))
            .order_by_desc(audit_log::Column::Id)
            .limit(256)
            .all(db)
            .await?;
        refuse_if_waiting(
            now,
            from_ip.len(),
            IP_THRESHOLD,
            from_ip.first().map(|e| e.created_at),
        )?;
    }
    Ok(())
}

fn refuse_if_waiting(
    now: DateTime<Utc>,
    failures: usize,
    threshold: usize,
    last_failure: Option<DateTime<Utc>>,
) -> AppResult<()> {
    let (Some(wait), Some(last)) = (wait_after(failures, threshold), last_failure) else {
        return Ok(());
    };
    let retry_at = last + wait;
    if now >= retry_at {
        return Ok(());
    }
    let seconds = (retry_at - now).num_seconds().max(1);
    Err(AppError::new(
        ErrorKind::RateLimited,
        "auth_too_many_attempts",
        format!("Demasiados intentos fallidos. Intenta de nuevo en {seconds} segundos."),
        format!("Too many failed attempts. Try again in {seconds} seconds."),
    )
    .with("retry_after", seconds)
    .retry_after(seconds.unsigned_abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_start_at_the_threshold_and_double_up_to_the_window() {
        assert_eq!(wait_after(4, 5), None);
        assert_eq!(wait_after(5, 5), Some(Duration::seconds(30)));
        assert_eq!(wait_after(6, 5), Some(Duration::seconds(60)));
        assert_eq!(wait_after(30, 5), Some(Duration::minutes(15)));
    }

    #[test]
    fn a_wait_that_passed_lets_the_attempt_through() {
        let now = Utc::now();
        assert!(refuse_if_waiting(now, 5, 5, Some(now - Duration::seconds(31))).is_ok());
        let err = refuse_if_waiting(now, 5, 5, Some(now - Duration::seconds(10))).unwrap_err();
        assert_eq!(err.kind, ErrorKind::RateLimited);
        assert_eq!(err.extra["retry_after"], 20);
    }
}
