//! The recipient ledger: one row per CSV data row, and the only way a row moves.
//!
//! Sending moves a row forward only, by compare-and-set: `not_started → sending` when a
//! worker claims it (durably, before any request), then `sending → sent | send_failed |
//! ambiguous` by the job that claimed it. A row refused for now (quota, 429, Doppler
//! unreachable) goes back to `not_started`: nothing was sent. Only an operator puts an
//! `ambiguous` row back to `not_started`, explicitly.

use chrono::{DateTime, Utc};
use relay_types::{BulkCounts, Page, Recipient};
use sea_orm::{ConnectionTrait, Value as DbValue};
use sqlx::{PgPool, SqlitePool};

use super::read_ahead::read_ahead;
use super::rows::{ParsedRow, RowReader, Verdict};
use super::ImportError;
use crate::config::DatabaseKind;
use crate::db::Db;
use crate::error::AppResult;
use crate::pagination::PageRequest;

/// Deterministic per bulk send and row: the same row always has the same key.
fn idempotency_key(bulk_id: i64, row: &ParsedRow) -> String {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0xff03ea1c_8dc4_5e94_bcf8_c6c72b3b7ba1);
    uuid::Uuid::new_v5(
        &NAMESPACE,
        format!("{bulk_id}:{}:{}", row.row_number, row.email_normalized).as_bytes(),
    )
    .to_string()
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportSummary {
    pub total: i64,
    pub valid: i64,
    pub invalid: i64,
    pub warnings: i64,
}

impl ImportSummary {
    fn count(&mut self, row: &StoredRow) {
        self.total += 1;
        match row.verdict {
            Verdict::Valid => self.valid += 1,
            Verdict::Warning => {
                self.valid += 1;
                self.warnings += 1
            }
            Verdict::Invalid => self.invalid += 1,
        }
    }
}

/// What the import sets on the bulk send in the same transaction as its rows.
pub struct ImportResult<'a> {
    pub encoding: &'a str,
    pub delimiter: &'a str,
    pub email_column: &'a str,
    pub headers: &'a [String],
    /// The bulk send's status given what the rows turned out to be.
    pub status: fn(&ImportSummary) -> relay_types::BulkSendStatus,
}

impl From<sqlx::Error> for ImportError {
    fn from(err: sqlx::Error) -> Self {
        if err
            .as_database_error()
            .is_some_and(|e| e.is_unique_violation())
        {
            ImportError::AlreadyStored
        } else {
            ImportError::Database(err.to_string())
        }
    }
}

const INSERT_COLUMNS: &str = "bulk_send_id, row_number, email, email_normalized, variables, validation_status, validation_code, validation_message, idempotency_key";

/// A row as the ledger stores it, prepared while the file is read.
struct StoredRow {
    row_number: i64,
    email: String,
    email_normalized: String,
    variables: String,
    verdict: Verdict,
    code: &'static str,
    message: String,
    idempotency_key: String,
}

impl StoredRow {
    fn new(bulk_id: i64, row: ParsedRow) -> StoredRow {
        StoredRow {
            row_number: row.row_number as i64,
            variables: serde_json::to_string(&row.variables).unwrap_or_else(|_| "{}".into()),
            idempotency_key: idempotency_key(bulk_id, &row),
            verdict: row.verdict,
            code: row.code,
            email: row.email,
            email_normalized: row.email_normalized,
            message: row.message,
        }
    }
}

/// Rows of `reader` ready to store, read ahead of the writes in batches of `batch`.
fn stored_rows(
    reader: RowReader,
    bulk_id: i64,
    batch: usize,
) -> tokio::sync::mpsc::Receiver<Result<Vec<StoredRow>, ImportError>> {
    read_ahead(reader, batch, move |row| StoredRow::new(bulk_id, row))
}

/// Stores every row of `reader` in one transaction, and the bulk send's counters and
/// status with them: a failure (or a crash) leaves no row behind.
pub async fn store(
    db: &Db,
    bulk_id: i64,
    reader: RowReader,
    result: &ImportResult<'_>,
) -> Result<ImportSummary, ImportError> {
    match db.kind {
        DatabaseKind::Postgres => {
            store_postgres(
                db.conn.get_postgres_connection_pool(),
                bulk_id,
                reader,
                result,
            )
            .await
        }
        DatabaseKind::Sqlite => {
            store_sqlite(
                db.conn.get_sqlite_connection_pool(),
                bulk_id,
                reader,
                result,
            )
            .await
        }
    }
}

/// COPY's text format: backslash escapes for the characters it gives meaning to.
fn copy_field(out: &mut Vec<u8>, value: &str) {
    for b in value.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b => out.push(b),
        }
    }
}

fn copy_row(out: &mut Vec<u8>, bulk_id: i64, row: &StoredRow) {
    use std::io::Write;
    let _ = write!(out, "{bulk_id}\t{}", row.row_number);
    let fields: [&str; 7] = [
        &row.email,
        &row.email_normalized,
        &row.variables,
        row.verdict.as_str(),
        row.code,
        &row.message,
        &row.idempotency_key,
    ];
    for field in fields {
        out.push(b'\t');
        copy_field(out, field);
    }
    out.push(b'\n');
}

const BULK_UPDATE: &str = "UPDATE bulk_sends SET status = $1, total_count = $2, valid_count = $3, invalid_count = $4, \
    warning_count = $5, pending_count = $3, encoding = $6, delimiter = $7, email_column = $8, headers = $9, \
    imported_at = $10, updated_at = $10 WHERE id = $11";

async fn store_postgres(
    pool: &PgPool,
    bulk_id: i64,
    reader: RowReader,
    result: &ImportResult<'_>,
) -> Result<ImportSummary, ImportError> {
    let mut tx = pool.begin().await?;
    let mut summary = ImportSummary::default();
    let mut copy = tx
        .copy_in_raw(&format!("COPY recipients ({INSERT_COLUMNS}) FROM STDIN"))
        .await?;
    let mut buffer = Vec::with_capacity(1 << 20);
    let mut batches = stored_rows(reader, bulk_id, 1000);
    while let Some(batch) = batches.recv().await {
        let batch = match batch {
            Ok(batch) => batch,
            Err(err) => {
                let _ = copy.abort("import stopped").await;
                return Err(err);
            }
        };
        for row in &batch {
            summary.count(row);
            copy_row(&mut buffer, bulk_id, row);
        }
        if buffer.len() >= 1 << 20 {
            copy.send(std::mem::replace(&mut buffer, Vec::with_capacity(1 << 20)))
                .await?;
        }
    }
    if !buffer.is_empty() {
        copy.send(buffer).await?;
    }
    copy.finish().await?;
    sqlx::query(BULK_UPDATE)
        .bind((result.status)(&summary).as_str())
        .bind(summary.total)
        .bind(summary.valid)
        .bind(summary.invalid)
        .bind(summary.warnings)
        .bind(result.encoding)
        .bind(result.delimiter)
        .bind(result.email_column)
        .bind(sqlx::types::Json(result.headers))
        .bind(Utc::now())
        .bind(bulk_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(summary)
}

const SQLITE_BATCH: usize = 400;

fn sqlite_insert(rows: usize) -> String {
    crate::db::sqlite_multi_insert("recipients", INSERT_COLUMNS, 9, rows)
}

async fn flush_sqlite(
    tx: &mut sqlx::SqliteConnection,
    bulk_id: i64,
    batch: Vec<StoredRow>,
    full_sql: &str,
) -> Result<(), ImportError> {
    let partial;
    let sql = if batch.len() == SQLITE_BATCH {
        full_sql
    } else {
        partial = sqlite_insert(batch.len());
        partial.as_str()
    };
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for row in batch {
        query = query
            .bind(bulk_id)
            .bind(row.row_number)
            .bind(row.email)
            .bind(row.email_normalized)
            .bind(row.variables)
            .bind(row.verdict.as_str())
            .bind(row.code)
            .bind(row.message)
            .bind(row.idempotency_key);
    }
    query.execute(&mut *tx).await?;
    Ok(())
}

async fn store_sqlite(
    pool: &SqlitePool,
    bulk_id: i64,
    reader: RowReader,
    result: &ImportResult<'_>,
) -> Result<ImportSummary, ImportError> {
    let full_sql = sqlite_insert(SQLITE_BATCH);
    let mut tx = pool.begin().await?;
    let mut summary = ImportSummary::default();
    let mut batches = stored_rows(reader, bulk_id, SQLITE_BATCH);
    while let Some(batch) = batches.recv().await {
        let batch = batch?;
        for row in &batch {
            summary.count(row);
        }
        flush_sqlite(&mut tx, bulk_id, batch, &full_sql).await?;
    }
    let headers = serde_json::to_string(result.headers).unwrap_or_else(|_| "[]".into());
    sqlx::query(sqlx::AssertSqlSafe(crate::db::sqlite_placeholders(
        BULK_UPDATE,
    )))
    .bind((result.status)(&summary).as_str())
    .bind(summary.total)
    .bind(summary.valid)
    .bind(summary.invalid)
    .bind(summary.warnings)
    .bind(result.encoding)
    .bind(result.delimiter)
    .bind(result.email_column)
    .bind(headers)
    .bind(Utc::now())
    .bind(bulk_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(summary)
}

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
    let row = db
        .conn
        .query_one_raw(db.stmt(
            &sql,
            [
                bulk_id.into(),
                job_id.into(),
                Utc::now().into(),
                after_row.into(),
            ],
        ))
        .await?;
    let Some(row) = row else { return Ok(None) };
    let variables: String = row.try_get_by_index(4)?;
    Ok(Some(Claimed {
        id: row.try_get_by_index(0)?,
        row_number: row.try_get_by_index(1)?,
        email: row.try_get_by_index(2)?,
        email_normalized: row.try_get_by_index(3)?,
        variables: serde_json::from_str(&variables).unwrap_or_default(),
        idempotency_key: row.try_get_by_index(5)?,
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

/// Live counters from the ledger.
pub async fn counts(db: &impl ConnectionTrait, bulk_id: i64) -> AppResult<BulkCounts> {
    let rows = db
        .query_all_raw(crate::db::statement(
            db.get_database_backend(),
            "SELECT validation_status, send_status, COUNT(*) FROM recipients WHERE bulk_send_id = $1 \
             GROUP BY validation_status, send_status",
            [bulk_id.into()],
        ))
        .await?;
    let mut c = BulkCounts::default();
    for row in rows {
        let validation: String = row.try_get_by_index(0)?;
        let send: String = row.try_get_by_index(1)?;
        let n: i64 = row.try_get_by_index(2)?;
        c.total += n;
        match validation.as_str() {
            "invalid" => {
                c.invalid += n;
                continue;
            }
            "warning" => c.warnings += n,
            _ => {}
        }
        c.valid += n;
        match send.as_str() {
            "not_started" => c.pending += n,
            "sending" => c.sending += n,
            "sent" => c.sent += n,
            "send_failed" => c.failed += n,
            "ambiguous" => c.ambiguous += n,
            _ => {}
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
    loop {
        let page = db
            .conn
            .query_all_raw(db.stmt(
                "SELECT row_number, variables FROM recipients WHERE bulk_send_id = $1 AND send_status = 'not_started' \
                 AND validation_status <> 'invalid' AND row_number > $2 ORDER BY row_number LIMIT 5000",
                [bulk_id.into(), after.into()],
            ))
            .await?;
        if page.is_empty() {
            break;
        }
        for row in &page {
            let number: i64 = row.try_get_by_index(0)?;
            let text: String = row.try_get_by_index(1)?;
            after = number;
            let values: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&text).unwrap_or_default();
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

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecipientFilter {
    pub send_status: Option<relay_types::SendStatus>,
    pub validation_status: Option<relay_types::ValidationStatus>,
    /// Text contained in the address.
    #[serde(default, deserialize_with = "crate::pagination::search_text")]
    #[param(max_length = 200)]
    pub q: Option<String>,
}

const RECIPIENT_COLUMNS: &str = "id, row_number, email, email_normalized, variables, validation_status, validation_code, \
    validation_message, send_status, attempts, message_id, error_code, error_message, send_started_at, sent_at";

fn recipient(row: &sea_orm::QueryResult) -> AppResult<Recipient> {
    let variables: String = row.try_get_by_index(4)?;
    Ok(Recipient {
        id: row.try_get_by_index(0)?,
        row_number: row.try_get_by_index(1)?,
        email: row.try_get_by_index(2)?,
        email_normalized: row.try_get_by_index(3)?,
        variables: serde_json::from_str(&variables).unwrap_or_default(),
        validation_status: row.try_get_by_index(5)?,
        validation_code: row.try_get_by_index(6)?,
        validation_message: row.try_get_by_index(7)?,
        send_status: row.try_get_by_index(8)?,
        attempts: row.try_get_by_index(9)?,
        message_id: row.try_get_by_index(10)?,
        error_code: row.try_get_by_index(11)?,
        error_message: row.try_get_by_index(12)?,
        send_started_at: row.try_get_by_index::<Option<DateTime<Utc>>>(13)?,
        sent_at: row.try_get_by_index::<Option<DateTime<Utc>>>(14)?,
    })
}

fn filter_sql(filter: &RecipientFilter, values: &mut Vec<DbValue>) -> String {
    let mut sql = String::from("bulk_send_id = $1");
    let mut add = |clause: &str, value: DbValue, values: &mut Vec<DbValue>| {
        values.push(value);
        sql.push_str(&clause.replace("{}", &format!("${}", values.len())));
    };
    if let Some(s) = filter.send_status {
        add(" AND send_status = {}", s.as_str().into(), values);
    }
    if let Some(s) = filter.validation_status {
        add(" AND validation_status = {}", s.as_str().into(), values);
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let escaped = q
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        add(
            " AND LOWER(email) LIKE {} ESCAPE '\\'",
            format!("%{escaped}%").into(),
            values,
        );
    }
    sql
}

pub async fn list(
    db: &Db,
    bulk_id: i64,
    filter: &RecipientFilter,
    page: PageRequest,
) -> AppResult<Page<Recipient>> {
    let mut values: Vec<DbValue> = vec![bulk_id.into()];
    let condition = filter_sql(filter, &mut values);
    let total_row = db
        .conn
        .query_one_raw(db.stmt(
            &format!("SELECT COUNT(*) FROM recipients WHERE {condition}"),
            values.clone(),
        ))
        .await?;
    let total: i64 = match total_row {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    values.push((page.page_size as i64).into());
    values.push((page.offset() as i64).into());
    let n = values.len();
    let rows = db
        .conn
        .query_all_raw(db.stmt(
            &format!(
                "SELECT {RECIPIENT_COLUMNS} FROM recipients WHERE {condition} ORDER BY row_number LIMIT ${} OFFSET ${}",
                n - 1,
                n
            ),
            values,
        ))
        .await?;
    let items = rows.iter().map(recipient).collect::<AppResult<Vec<_>>>()?;
    Ok(page.wrap(items, total as u64))
}

/// One page of the export, in row order after `after_row`.
pub async fn export_page(
    db: &Db,
    bulk_id: i64,
    filter: &RecipientFilter,
    after_row: i64,
    size: u64,
) -> AppResult<Vec<Recipient>> {
    let mut values: Vec<DbValue> = vec![bulk_id.into()];
    let condition = filter_sql(filter, &mut values);
    values.push(after_row.into());
    values.push((size as i64).into());
    let n = values.len();
    let rows = db
        .conn
        .query_all_raw(db.stmt(
            &format!(
                "SELECT {RECIPIENT_COLUMNS} FROM recipients WHERE {condition} AND row_number > ${} ORDER BY row_number LIMIT ${}",
                n - 1,
                n
            ),
            values,
        ))
        .await?;
    rows.iter().map(recipient).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_what_copy_gives_meaning_to() {
        let mut out = Vec::new();
        copy_field(&mut out, "a\tb\nc\\d\re");
        assert_eq!(out, b"a\\tb\\nc\\\\d\\re");
    }
}
