//! Storing a recipient CSV in the ledger: every row with its verdict and idempotency key,
//! in one transaction with the bulk send's counters and status, so a failure (or a crash)
//! leaves no row behind. Rows are parsed ahead of the writes and stored in bulk
//! (`db::bulk_write`).

use chrono::Utc;

use super::rows::{ParsedRow, RowReader, Verdict};
use crate::config::DatabaseKind;
use crate::csv_input::read_ahead::read_ahead;
use crate::csv_input::ImportError;
use crate::db::bulk_write::{self, BulkRow, Cells};
use crate::db::Db;

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

/// A row as the ledger stores it, prepared while the file is read.
struct StoredRow {
    bulk_id: i64,
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
            bulk_id,
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

impl BulkRow for StoredRow {
    const TABLE: &'static str = "recipients";
    const COLUMNS: &'static [&'static str] = &[
        "bulk_send_id",
        "row_number",
        "email",
        "email_normalized",
        "variables",
        "validation_status",
        "validation_code",
        "validation_message",
        "idempotency_key",
    ];

    fn write_cells(self, out: &mut impl Cells) {
        out.int(Some(self.bulk_id));
        out.int(Some(self.row_number));
        out.text(Some(self.email));
        out.text(Some(self.email_normalized));
        out.text(Some(self.variables));
        out.label(self.verdict.as_str());
        out.label(self.code);
        out.text(Some(self.message));
        out.text(Some(self.idempotency_key));
    }
}

const BULK_UPDATE: &str = "UPDATE bulk_sends SET status = $1, total_count = $2, valid_count = $3, invalid_count = $4, \
    warning_count = $5, pending_count = $3, encoding = $6, delimiter = $7, email_column = $8, headers = $9, \
    imported_at = $10, updated_at = $10 WHERE id = $11";

/// Stores every row of `reader` in one transaction, and the bulk send's counters and
/// status with them.
pub async fn store(
    db: &Db,
    bulk_id: i64,
    reader: RowReader,
    result: &ImportResult<'_>,
) -> Result<ImportSummary, ImportError> {
    let mut summary = ImportSummary::default();
    let count = |row: &StoredRow| summary.count(row);
    match db.kind {
        DatabaseKind::Postgres => {
            let mut tx = db.conn.get_postgres_connection_pool().begin().await?;
            let batches = read_ahead(reader, 1000, move |row| StoredRow::new(bulk_id, row));
            bulk_write::copy_in(&mut tx, batches, count).await?;
            let status = (result.status)(&summary);
            sqlx::query(BULK_UPDATE)
                .bind(status.as_str())
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
        }
        DatabaseKind::Sqlite => {
            let mut tx = db.conn.get_sqlite_connection_pool().begin().await?;
            let batch = bulk_write::sqlite_batch_rows::<StoredRow>();
            let batches = read_ahead(reader, batch, move |row| StoredRow::new(bulk_id, row));
            bulk_write::insert_sqlite(&mut tx, batches, count).await?;
            let status = (result.status)(&summary);
            let headers = serde_json::to_string(result.headers).unwrap_or_else(|_| "[]".into());
            sqlx::query(sqlx::AssertSqlSafe(crate::db::sqlite_placeholders(
                BULK_UPDATE,
            )))
            .bind(status.as_str())
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
        }
    }
    Ok(summary)
}
