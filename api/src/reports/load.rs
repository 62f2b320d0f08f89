//! Loading a READY report's CSV into typed rows, in the default or the analytics database.
//!
//! One transaction per load, rows streamed (memory flat) and written in bulk
//! (`db::bulk_write`: `COPY` on PostgreSQL, multi-row inserts on SQLite). A report is
//! loaded into a database once: a second load there is refused.

use chrono::Utc;
use chrono_tz::Tz;
use relay_types::{AuditAction, DeliveryOutcome};
use sea_orm::ConnectionTrait;
use serde_json::json;

use super::parse::{extra_json, ReportReader, ReportRow};
use super::{find, LoadTarget, ReportState};
use crate::audit::{self, Target};
use crate::auth::CurrentUser;
use crate::config::DatabaseKind;
use crate::csv_input::read_ahead::read_ahead;
use crate::csv_input::{retry_as_windows_1252, CsvFile, ImportError};
use crate::db::bulk_write::{self, BulkRow, Cells};
use crate::db::Db;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::services::Services;

fn already_loaded(target: &str) -> AppError {
    AppError::conflict(
        ErrorCode::ReportAlreadyLoaded,
        format!("Este reporte ya fue cargado a '{target}'."),
        format!("This report was already loaded into '{target}'."),
    )
    .with("target", target)
}

/// Loads a READY report into `target`; answers the rows loaded.
pub async fn load(
    services: &Services,
    report_id: i64,
    target: LoadTarget,
    by: Option<&CurrentUser>,
) -> AppResult<i64> {
    // Parsing a large report is seconds of CPU: off the async workers.
    let (services, by) = (services.clone(), by.cloned());
    crate::cpu_pool::run(async move { load_here(&services, report_id, target, by.as_ref()).await })
        .await
}

async fn load_here(
    services: &Services,
    report_id: i64,
    target: LoadTarget,
    by: Option<&CurrentUser>,
) -> AppResult<i64> {
    let report = find(&services.db.conn, report_id).await?;
    if report.state != ReportState::Ready {
        return Err(AppError::conflict(
            ErrorCode::ReportNotReady,
            format!(
                "Solo se carga un reporte READY; este está en {}.",
                report.state
            ),
            format!(
                "Only a READY report can be loaded; this one is {}.",
                report.state
            ),
        ));
    }
    let analytics = match target {
        LoadTarget::Default => None,
        LoadTarget::Analytics => Some(services.analytics.as_ref().ok_or_else(|| {
            AppError::conflict(
                ErrorCode::AnalyticsNotConfigured,
                "No hay una base analítica configurada (ANALYTICS_DB_* o ANALYTICS_DATABASE_URL).",
                "No analytics database is configured (ANALYTICS_DB_* or ANALYTICS_DATABASE_URL).",
            )
            .field("target")
        })?),
    };
    if services
        .db
        .conn
        .query_one_raw(services.db.stmt(
            "SELECT 1 FROM report_loads WHERE report_id = $1 AND target = $2",
            [report_id.into(), target.as_str().into()],
        ))
        .await?
        .is_some()
    {
        return Err(already_loaded(target.as_str()));
    }
    let path = services.config.data_dir.join(&report.file_path);
    let tz = services.config.time_zone;
    let by_id = by.map(|u| u.id);
    let mut file = CsvFile::inspect(&path)
        .await
        .map_err(|e| e.into_problem("report"))?;
    let mut result = store(
        services,
        &file,
        report_id,
        target.as_str(),
        analytics,
        by_id,
        tz,
    )
    .await;
    if retry_as_windows_1252(&file, &result) {
        file = file
            .as_windows_1252()
            .await
            .map_err(|e| e.into_problem("report"))?;
        result = store(
            services,
            &file,
            report_id,
            target.as_str(),
            analytics,
            by_id,
            tz,
        )
        .await;
    }
    let rows = match result {
        Ok(rows) => rows,
        Err(ImportError::AlreadyStored) => return Err(already_loaded(target.as_str())),
        Err(e) => return Err(e.into_problem("report")),
    };
    if analytics.is_some() {
        // The rows are in the analytics database; the record of the load lives here.
        let inserted = services
            .db
            .conn
            .execute_raw(services.db.stmt(
                "INSERT INTO report_loads (report_id, target, rows, loaded_by, loaded_at) VALUES ($1, $2, $3, $4, $5)",
                [report_id.into(), target.as_str().into(), rows.into(), by_id.into(), Utc::now().into()],
            ))
            .await;
        if let Err(err) = inserted {
            return Err(if crate::db::is_unique_violation(&err) {
                already_loaded(target.as_str())
            } else {
                err.into()
            });
        }
    }
    let actor = by
        .map(CurrentUser::actor)
        .unwrap_or_else(|| audit::Actor::system("reports"));
    audit::record(
        &services.db.conn,
        &actor,
        AuditAction::ReportsLoad,
        Some(Target::new("report", report_id)),
        json!({ "target": target, "rows": rows }),
    )
    .await?;
    tracing::info!(report = report_id, target = %target, rows, "report loaded");
    Ok(rows)
}

async fn store(
    services: &Services,
    file: &CsvFile,
    report_id: i64,
    target: &str,
    analytics: Option<&Db>,
    by: Option<i64>,
    tz: Tz,
) -> Result<i64, ImportError> {
    let reader = ReportReader::open(file, tz).await?;
    match analytics {
        Some(db) => {
            copy_postgres(
                db.conn.get_postgres_connection_pool(),
                report_id,
                None,
                reader,
            )
            .await
        }
        None => {
            let record = Some((target, by));
            match services.db.kind {
                DatabaseKind::Postgres => {
                    copy_postgres(
                        services.db.conn.get_postgres_connection_pool(),
                        report_id,
                        record,
                        reader,
                    )
                    .await
                }
                DatabaseKind::Sqlite => {
                    insert_sqlite(
                        services.db.conn.get_sqlite_connection_pool(),
                        report_id,
                        record,
                        reader,
                    )
                    .await
                }
            }
        }
    }
}

const RECORD_LOAD: &str = "INSERT INTO report_loads (report_id, target, rows, loaded_by, loaded_at) VALUES ($1, $2, 0, $3, $4)";
const COUNT_LOAD: &str = "UPDATE report_loads SET rows = $1 WHERE report_id = $2 AND target = $3";

/// A report row as `report_rows` stores it.
struct StoredRow {
    report_id: i64,
    row: ReportRow,
}

impl BulkRow for StoredRow {
    const TABLE: &'static str = "report_rows";
    const COLUMNS: &'static [&'static str] = &[
        "report_id",
        "row_number",
        "subject",
        "sender",
        "sender_name",
        "email",
        "status",
        "event_at",
        "event_local",
        "opens",
        "clicks",
        "message_id",
        "extra",
        "outcome",
    ];

    fn write_cells(self, out: &mut impl Cells) {
        let row = self.row;
        let outcome = DeliveryOutcome::of(row.status.as_deref().unwrap_or_default());
        out.int(Some(self.report_id));
        out.int(Some(row.row_number));
        out.text(row.subject);
        out.text(row.sender);
        out.text(row.sender_name);
        out.text(row.email);
        out.text(row.status);
        out.time(row.event_at);
        out.text(row.event_local);
        out.int(row.opens);
        out.int(row.clicks);
        out.text(row.message_id);
        out.text(Some(extra_json(&row.extra)));
        out.text(Some(outcome.as_str().to_string()));
    }
}

/// `record`: (target, user) when the load record lives in this same database.
async fn copy_postgres(
    pool: &sqlx::PgPool,
    report_id: i64,
    record: Option<(&str, Option<i64>)>,
    reader: ReportReader,
) -> Result<i64, ImportError> {
    let mut tx = pool.begin().await?;
    if let Some((target, by)) = record {
        sqlx::query(RECORD_LOAD)
            .bind(report_id)
            .bind(target)
            .bind(by)
            .bind(Utc::now())
            .execute(&mut *tx)
            .await?;
    } else {
        // Rows of an interrupted earlier load (without its record) are replaced.
        sqlx::query("DELETE FROM report_rows WHERE report_id = $1")
            .bind(report_id)
            .execute(&mut *tx)
            .await?;
    }
    let batches = read_ahead(reader, 1000, move |row| StoredRow { report_id, row });
    let rows = bulk_write::copy_in(&mut tx, batches, |_| {}).await?;
    if let Some((target, _)) = record {
        sqlx::query(COUNT_LOAD)
            .bind(rows)
            .bind(report_id)
            .bind(target)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(rows)
}

async fn insert_sqlite(
    pool: &sqlx::SqlitePool,
    report_id: i64,
    record: Option<(&str, Option<i64>)>,
    reader: ReportReader,
) -> Result<i64, ImportError> {
    let mut tx = pool.begin().await?;
    let (target, by) = record.unwrap_or((LoadTarget::Default.as_str(), None));
    // The record first: the transaction takes SQLite's write lock at once, and a second
    // load of the same report fails here before reading anything.
    sqlx::query(sqlx::AssertSqlSafe(crate::db::sqlite_placeholders(
        RECORD_LOAD,
    )))
    .bind(report_id)
    .bind(target)
    .bind(by)
    .bind(Utc::now())
    .execute(&mut *tx)
    .await?;
    let batch = bulk_write::sqlite_batch_rows::<StoredRow>();
    let batches = read_ahead(reader, batch, move |row| StoredRow { report_id, row });
    let rows = bulk_write::insert_sqlite(&mut tx, batches, |_| {}).await?;
    sqlx::query(sqlx::AssertSqlSafe(crate::db::sqlite_placeholders(
        COUNT_LOAD,
    )))
    .bind(rows)
    .bind(report_id)
    .bind(target)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows)
}
