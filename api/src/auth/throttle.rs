//! Slowing down password guessing without letting strangers lock anyone out.
//!
//! Failed logins are already in the audit log, which every process shares, so the
//! throttle reads them from there, over a 15-minute window:
//! - **one address and one username**: after 5 consecutive failures, each further attempt
//!   from that address for that username waits 30 s, doubling per failure up to 15 minutes;
//! - **one address**: after 20 failures for any usernames, the same waits;
//! - **one username from anywhere**: after 10 consecutive failures, attempts wait as above
//!   — unless they come from a *known client*: an address this account signed in from in
//!   the last 30 days, or a browser holding a valid refresh cookie of the account. Guessers
//!   on many addresses slow the account down for strangers only; its owner still gets in.
//!
//! Every attempt is written down *before* its password is checked (as a failure, until
//! it succeeds), and the throttle counts the attempts written before it: parallel guesses
//! see each other and cannot all slip through before the first failure is recorded.

use chrono::{DateTime, Duration, Utc};
use relay_types::AuditAction;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

use crate::entities::audit_log;
use crate::error::{AppError, AppResult, ErrorCode, ErrorKind};

pub const LOGIN_OK: &str = AuditAction::AuthLogin.as_str();
pub const LOGIN_FAILED: &str = AuditAction::AuthLoginFailed.as_str();
/// An attempt turned away by the throttle: recorded, but not counted as a guess.
pub const LOGIN_THROTTLED: &str = AuditAction::AuthLoginThrottled.as_str();
const WINDOW_MINUTES: i64 = 15;
const PAIR_THRESHOLD: usize = 5;
const IP_THRESHOLD: usize = 20;
const USER_THRESHOLD: usize = 10;
/// An address this account signed in from within this many days is a known client.
const KNOWN_ADDRESS_DAYS: i64 = 30;
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

/// 429 with `Retry-After` when this address, this address for this username, or (for a
/// client that is not `known`) this username must wait. Counts the attempts written down
/// before `attempt`; those still in progress count as failures.
pub async fn check(
    db: &impl ConnectionTrait,
    username_key: &str,
    ip: Option<&str>,
    attempt: i64,
    known: bool,
) -> AppResult<()> {
    let now = Utc::now();
    let since = now - Duration::minutes(WINDOW_MINUTES);
    let for_user = || {
        audit_log::Entity::find()
            .filter(audit_log::Column::TargetType.eq("username"))
            .filter(audit_log::Column::TargetId.eq(username_key))
            .filter(audit_log::Column::Action.is_in([LOGIN_OK, LOGIN_FAILED]))
            .filter(audit_log::Column::Id.lt(attempt))
            .filter(audit_log::Column::CreatedAt.gt(since))
            .order_by_desc(audit_log::Column::Id)
            .limit(64)
    };
    let from_here = match ip {
        Some(ip) => audit_log::Column::Ip.eq(ip),
        None => audit_log::Column::Ip.is_null(),
    };
    let pair = for_user().filter(from_here).all(db).await?;
    refuse_if_waiting(now, &consecutive_failures(&pair), PAIR_THRESHOLD)?;

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
        refuse_if_waiting(now, &from_ip, IP_THRESHOLD)?;
    }

    if !known {
        let anywhere = for_user().all(db).await?;
        refuse_if_waiting(now, &consecutive_failures(&anywhere), USER_THRESHOLD)?;
    }
    Ok(())
}

/// The failures since the last success, newest first.
fn consecutive_failures(entries: &[audit_log::Model]) -> Vec<audit_log::Model> {
    entries
        .iter()
        .take_while(|e| e.action == LOGIN_FAILED)
        .cloned()
        .collect()
}

/// Whether this account signed in from `ip` within [`KNOWN_ADDRESS_DAYS`].
pub async fn address_known(
    db: &impl ConnectionTrait,
    username_key: &str,
    ip: Option<&str>,
) -> AppResult<bool> {
    let Some(ip) = ip else {
        return Ok(false);
    };
    Ok(audit_log::Entity::find()
        .filter(audit_log::Column::TargetType.eq("username"))
        .filter(audit_log::Column::TargetId.eq(username_key))
        .filter(audit_log::Column::Action.eq(LOGIN_OK))
        .filter(audit_log::Column::Ip.eq(ip))
        .filter(audit_log::Column::CreatedAt.gt(Utc::now() - Duration::days(KNOWN_ADDRESS_DAYS)))
        .one(db)
        .await?
        .is_some())
}

/// 429 while the wait that `failures` (newest first) impose at `threshold` lasts.
fn refuse_if_waiting(
    now: DateTime<Utc>,
    failures: &[audit_log::Model],
    threshold: usize,
) -> AppResult<()> {
    let last_failure = failures.first().map(|e| e.created_at);
    let (Some(wait), Some(last)) = (wait_after(failures.len(), threshold), last_failure) else {
        return Ok(());
    };
    let retry_at = last + wait;
    if now >= retry_at {
        return Ok(());
    }
    let seconds = (retry_at - now).num_seconds().max(1);
    Err(AppError::new(
        ErrorKind::RateLimited,
        ErrorCode::AuthTooManyAttempts,
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

    fn failures(count: usize, last: DateTime<Utc>) -> Vec<audit_log::Model> {
        (0..count)
            .map(|i| audit_log::Model {
                id: i as i64,
                created_at: last,
                actor_user_id: None,
                actor_username: String::new(),
                action: LOGIN_FAILED.into(),
                target_type: Some("username".into()),
                target_id: Some("x".into()),
                ip: None,
                details: json!({}),
            })
            .collect()
    }

    #[test]
    fn a_wait_that_passed_lets_the_attempt_through() {
        let now = Utc::now();
        assert!(refuse_if_waiting(now, &failures(5, now - Duration::seconds(31)), 5).is_ok());
        assert!(refuse_if_waiting(now, &failures(4, now), 5).is_ok());
        let err = refuse_if_waiting(now, &failures(5, now - Duration::seconds(10)), 5).unwrap_err();
        assert_eq!(err.kind, ErrorKind::RateLimited);
        assert_eq!(err.extra["retry_after"], 20);
    }
}
