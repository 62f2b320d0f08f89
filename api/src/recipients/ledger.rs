//! The recipient ledger: one row per CSV data row, and the only way a row moves.
//!
//! Sending moves a row forward only, by compare-and-set: `not_started → sending` when a
//! worker claims it (durably, before any request), then `sending → sent | send_failed |
//! ambiguous` by the job that claimed it. A row refused for now (quota, 429, Doppler
//! unreachable) goes back to `not_started`: nothing was sent. Only an operator puts an
//! `ambiguous` row back to `not_started`, explicitly.

use chrono::Utc;
use relay_types::{BulkCounts, SendStatus, ValidationStatus};
use sea_orm::{ConnectionTrait, FromQueryResult, Value as DbValue};

use crate::config::DatabaseKind;
use crate::db::Db;
use crate::error::AppResult;

/// A recipient claimed for sending.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub row_number: i64,
    pub email: String,
    pub email_normalized: String,
    pub variables: serde_json::Map<String, serde_json::Value>,
    pub idempotency_key: String,
}

/// The columns `claim_next` returns.
#[derive(FromQueryResult)]
struct ClaimedRow {
    id: i64,
    row_number: i64,
    email: String,
    email_normalized: String,
    variables: String,
    idempotency_key: String,
}

/// Claims the next unsent sendable row after `after_row` (rows are claimed in file order;
/// the cursor spares rescanning the invalid rows before it). `not_started → sending`
/// is durable before this returns.
pub async fn claim_next(
    db: &Db,
    bulk_id: i64,
    job_id: i64,
    after_row: i64,
) -> AppResult<Option<Claimed>> {
    let lock = match db.kind {
        DatabaseKind::Postgres => "FOR UPDATE SKIP LOCKED",
        // SQLite has one writer at a time: the statement is atomic as it is.
        DatabaseKind::Sqlite => "",
    };
    let sql = format!(
        "UPDATE recipients SET send_status = 'sending', attempts = attempts + 1, job_id = $2, send_started_at = $3 \
         WHERE id = (SELECT id FROM recipients WHERE bulk_send_id = $1 AND send_status = 'not_started' \
         AND row_number > $4 AND validation_status <> 'invalid' ORDER BY row_number LIMIT 1 {lock}) \
         AND send_status = 'not_started' \
         RETURNING id, row_number, email, email_normalized, variables, idempotency_key"
    );
    let row = ClaimedRow::find_by_statement(db.stmt(
        &sql,
        [
            bulk_id.into(),
            job_id.into(),
            Utc::now().into(),
            after_row.into(),
        ],
    ))
    .one(&db.conn)
    .await?;
    Ok(row.map(|row| Claimed {
        id: row.id,
        row_number: row.row_number,
        email: row.email,
        email_normalized: row.email_normalized,
        variables: serde_json::from_str(&row.variables).unwrap_or_default(),
        idempotency_key: row.idempotency_key,
    }))
}

/// How a claimed row ends.
#[derive(Debug, Clone, PartialEq)]
pub enum Finish {
    Sent {
        message_id: String,
    },
    Failed {
        code: String,
        message: String,
    },
    Ambiguous {
        code: String,
        message: String,
    },
    /// Nothing was sent (quota, rate limit, unreachable): back to `not_started`.
    Released {
        code: String,
        message: String,
    },
}

/// Applies the end of a claim, only if the row is still this job's and `sending`.
/// Answers false when someone else took over (the lease was lost).
pub async fn finish(
    db: &impl ConnectionTrait,
    recipient_id: i64,
    job_id: i64,
    end: Finish,
) -> AppResult<bool> {
    let now = Utc::now();
    let clip = |s: String| s.chars().take(1000).collect::<String>();
    let (sql, values): (&str, Vec<DbValue>) = match end {
        // A definite answer also settles a row the recovery marked ambiguous meanwhile.
        Finish::Sent { message_id } => (
            "UPDATE recipients SET send_status = 'sent', message_id = $3, sent_at = $4, error_code = '', error_message = '' \
             WHERE id = $1 AND job_id = $2 AND (send_status = 'sending' OR (send_status = 'ambiguous' AND error_code = 'worker_lost'))",
            vec![recipient_id.into(), job_id.into(), message_id.into(), now.into()],
        ),
        Finish::Failed { code, message } => (
            "UPDATE recipients SET send_status = 'send_failed', error_code = $3, error_message = $4 \
             WHERE id = $1 AND job_id = $2 AND (send_status = 'sending' OR (send_status = 'ambiguous' AND error_code = 'worker_lost'))",
            vec![recipient_id.into(), job_id.into(), code.into(), clip(message).into()],
        ),
        Finish::Ambiguous { code, message } => (
            "UPDATE recipients SET send_status = 'ambiguous', error_code = $3, error_message = $4 \
             WHERE id = $1 AND job_id = $2 AND send_status = 'sending'",
            vec![recipient_id.into(), job_id.into(), code.into(), clip(message).into()],
        ),
        Finish::Released { code, message } => (
            "UPDATE recipients SET send_status = 'not_started', job_id = NULL, send_started_at = NULL, \
             error_code = $3, error_message = $4 WHERE id = $1 AND job_id = $2 AND send_status = 'sending'",
            vec![recipient_id.into(), job_id.into(), code.into(), clip(message).into()],
        ),
    };
    let result = db
        .execute_raw(crate::db::statement(db.get_database_backend(), sql, values))
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Rows a lost worker left `sending`: they may have been sent, so they become ambiguous.
pub async fn abandon_sending(
    db: &impl ConnectionTrait,
    bulk_id: i64,
    message: &str,
) -> AppResult<u64> {
    let result = db
        .execute_raw(crate::db::statement(
            db.get_database_backend(),
            "UPDATE recipients SET send_status = 'ambiguous', error_code = 'worker_lost', error_message = $2 \
             WHERE bulk_send_id = $1 AND send_status = 'sending'",
            [bulk_id.into(), message.into()],
        ))
        .await?;
    Ok(result.rows_affected())
}

/// How many rows are in one pair of states.
#[derive(FromQueryResult)]
struct StateCount {
    validation_status: ValidationStatus,
    send_status: SendStatus,
    rows: i64,
}

/// Live counters from the ledger.
pub async fn counts(db: &impl ConnectionTrait, bulk_id: i64) -> AppResult<BulkCounts> {
    let groups = StateCount::find_by_statement(crate::db::statement(
        db.get_database_backend(),
        "SELECT validation_status, send_status, COUNT(*) AS rows FROM recipients WHERE bulk_send_id = $1 \
         GROUP BY validation_status, send_status",
        [bulk_id.into()],
    ))
    .all(db)
    .await?;
    let mut c = BulkCounts::default();
    for group in groups {
        let n = group.rows;
        c.total += n;
        match group.validation_status {
            ValidationStatus::Invalid => {
                c.invalid += n;
                continue;
            }
            ValidationStatus::Warning => c.warnings += n,
            ValidationStatus::Valid => {}
        }
        c.valid += n;
        match group.send_status {
            SendStatus::NotStarted => c.pending += n,
            SendStatus::Sending => c.sending += n,
            SendStatus::Sent => c.sent += n,
            SendStatus::SendFailed => c.failed += n,
            SendStatus::Ambiguous => c.ambiguous += n,
        }
    }
    Ok(c)
}

/// Recounts from the ledger and stores the counters on the bulk send (lists read those).
pub async fn refresh_counters(db: &impl ConnectionTrait, bulk_id: i64) -> AppResult<BulkCounts> {
    let c = counts(db, bulk_id).await?;
    db.execute_raw(crate::db::statement(
        db.get_database_backend(),
        "UPDATE bulk_sends SET total_count = $2, valid_count = $3, invalid_count = $4, warning_count = $5, \
         pending_count = $6, sending_count = $7, sent_count = $8, failed_count = $9, ambiguous_count = $10 WHERE id = $1",
        [
            bulk_id.into(),
            c.total.into(),
            c.valid.into(),
            c.invalid.into(),
            c.warnings.into(),
            c.pending.into(),
            c.sending.into(),
            c.sent.into(),
            c.failed.into(),
            c.ambiguous.into(),
        ],
    ))
    .await?;
    Ok(c)
}

/// Sendable rows still to send that lack a value for one of `variables`: the variables
/// missing, the first rows (up to `sample`) and how many rows in all.
pub async fn rows_missing_variables(
    db: &Db,
    bulk_id: i64,
    variables: &[String],
    sample: usize,
) -> AppResult<(Vec<String>, Vec<i64>, u64)> {
    let mut missing_vars: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    let mut total = 0u64;
    let mut after = 0i64;
    #[derive(FromQueryResult)]
    struct RowVariables {
        row_number: i64,
        variables: String,
    }
    loop {
        let page = RowVariables::find_by_statement(db.stmt(
            "SELECT row_number, variables FROM recipients WHERE bulk_send_id = $1 AND send_status = 'not_started' \
             AND validation_status <> 'invalid' AND row_number > $2 ORDER BY row_number LIMIT 5000",
            [bulk_id.into(), after.into()],
        ))
        .all(&db.conn)
        .await?;
        if page.is_empty() {
            break;
        }
        for row in &page {
            let number = row.row_number;
            after = number;
            let values: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&row.variables).unwrap_or_default();
            let mut lacks = false;
            for variable in variables {
                let empty = values
                    .get(variable)
                    .and_then(serde_json::Value::as_str)
                    .is_none_or(str::is_empty);
                if empty {
                    lacks = true;
                    if !missing_vars.contains(variable) {
                        missing_vars.push(variable.clone());
                    }
                }
            }
            if lacks {
                total += 1;
                if rows.len() < sample {
                    rows.push(number);
                }
            }
        }
    }
    Ok((missing_vars, rows, total))
}

/// Puts ambiguous rows back (`resend`) or counts them as sent (`mark_sent`).
pub async fn resolve_ambiguous(
    db: &impl ConnectionTrait,
    bulk_id: i64,
    resend: bool,
    ids: Option<&[i64]>,
    by: &str,
) -> AppResult<u64> {
    let mut values: Vec<DbValue> = vec![bulk_id.into(), Utc::now().into()];
    let (set, message) = if resend {
        (
            "send_status = 'not_started', job_id = NULL, send_started_at = NULL, error_code = 'resend_requested', error_message = $3",
            format!("Reenvío solicitado por {by}"),
        )
    } else {
        (
            "send_status = 'sent', sent_at = $2, error_code = 'marked_sent', error_message = $3",
            format!("Marcado como enviado por {by}"),
        )
    };
    values.push(message.into());
    let mut sql = format!(
        "UPDATE recipients SET {set} WHERE bulk_send_id = $1 AND send_status = 'ambiguous'"
    );
    if let Some(ids) = ids {
        if ids.is_empty() {
            return Ok(0);
        }
        let placeholders: Vec<String> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                values.push((*id).into());
                format!("${}", i + 4)
            })
            .collect();
        sql.push_str(&format!(" AND id IN ({})", placeholders.join(", ")));
    }
    let result = db
        .execute_raw(crate::db::statement(
            db.get_database_backend(),
            &sql,
            values,
        ))
        .await?;
    Ok(result.rows_affected())
}
