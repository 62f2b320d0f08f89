//! Loading a READY report's CSV into typed rows, in the default or the analytics database.
//!
//! One transaction per load, rows streamed (memory flat), `Date` read as UTC with the
//! `TIME_ZONE` time kept beside it, integers typed, unknown columns kept as JSON.
//! PostgreSQL gets `COPY`, SQLite batched multi-row inserts. A report is loaded into a
//! database once: a second load there is refused.

use std::future::Future;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use csv_async::ByteRecord;
use sea_orm::ConnectionTrait;
use serde_json::{json, Map, Value};
use sqlx::{PgPool, SqlitePool};

use super::{find, LoadTarget, ReportState};
use crate::audit::{self, Target};
use crate::auth::CurrentUser;
use crate::config::DatabaseKind;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::recipients::read_ahead::{read_ahead, RowSource};
use crate::recipients::{
    self, cell_text, csv_error, next_data_record, CsvFile, CsvReader, ImportError,
};
use crate::services::Services;

/// One typed row of a Doppler summary CSV.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportRow {
    pub row_number: i64,
    pub subject: Option<String>,
    pub sender: Option<String>,
    pub sender_name: Option<String>,
    pub email: Option<String>,
    pub status: Option<String>,
    pub event_at: Option<DateTime<Utc>>,
    pub event_local: Option<String>,
    pub opens: Option<i64>,
    pub clicks: Option<i64>,
    pub message_id: Option<String>,
    pub extra: Map<String, Value>,
}

#[derive(Debug, Default)]
struct Columns {
    subject: Option<usize>,
    sender: Option<usize>,
    sender_name: Option<usize>,
    email: Option<usize>,
    status: Option<usize>,
    date: Option<usize>,
    opens: Option<usize>,
    clicks: Option<usize>,
    message_id: Option<usize>,
    /// Everything else, by the header as written.
    extra: Vec<(usize, String)>,
}

impl Columns {
    fn from_header(headers: &[String]) -> Columns {
        let mut c = Columns::default();
        for (i, raw) in headers.iter().enumerate() {
            let header = raw
                .trim()
                .trim_start_matches('\u{feff}')
                .trim_start_matches("ï»¿");
            let key: String = header
                .to_lowercase()
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '_')
                .collect();
            let slot = match key.as_str() {
                "subject" => &mut c.subject,
                "sender" => &mut c.sender,
                "sendername" => &mut c.sender_name,
                "email" => &mut c.email,
                "status" => &mut c.status,
                "date" => &mut c.date,
                "opens" => &mut c.opens,
                "clicks" => &mut c.clicks,
                "messageid" => &mut c.message_id,
                "" => continue,
                _ => {
                    c.extra.push((i, header.to_string()));
                    continue;
                }
            };
            slot.get_or_insert(i);
        }
        c
    }
}

/// Tokens that mean "no value" in report CSVs.
fn value(text: &str) -> Option<&str> {
    let text = text.trim();
    let empty = text.is_empty()
        || ["null", "none", "n/a", "na", "-", "–"]
            .iter()
            .any(|token| text.eq_ignore_ascii_case(token));
    (!empty).then_some(text)
}

/// Doppler's `Date` has no zone and is UTC (legacy defect 9.3-13).
pub fn parse_event_time(text: &str) -> Option<DateTime<Utc>> {
    if let Some(naive) = parse_plain_date_time(text) {
        return Some(naive.and_utc());
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%SZ",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(naive.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
}

/// The common `YYYY-MM-DD HH:MM:SS` without the cost of a format string.
fn parse_plain_date_time(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(number(0..4)? as i32, number(5..7)?, number(8..10)?)?.and_hms_opt(
        number(11..13)?,
        number(14..16)?,
        number(17..19)?,
    )
}

/// `YYYY-MM-DD HH:MM:SS`, written without a format string (it runs once per row).
fn plain_date_time(at: NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

fn parse_count(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().or_else(|| {
        text.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| f.trunc() as i64)
    })
}

/// Streams the typed rows of a report file.
pub struct ReportReader {
    reader: CsvReader,
    record: ByteRecord,
    columns: Columns,
    rows: i64,
    tz: Tz,
}

impl RowSource for ReportReader {
    type Row = ReportRow;

    fn next_row(&mut self) -> impl Future<Output = Result<Option<ReportRow>, ImportError>> + Send {
        ReportReader::next_row(self)
    }
}

impl ReportReader {
    pub async fn open(file: &CsvFile, tz: Tz) -> Result<ReportReader, ImportError> {
        let mut reader = file.csv_reader().await?;
        let mut record = ByteRecord::new();
        if !reader
            .read_byte_record(&mut record)
            .await
            .map_err(csv_error)?
        {
            return Err(ImportError::HeaderMissing);
        }
        let headers = record
            .iter()
            .map(|f| cell_text(f).map(str::to_string))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ReportReader {
            reader,
            record,
            columns: Columns::from_header(&headers),
            rows: 0,
            tz,
        })
    }

    pub async fn next_row(&mut self) -> Result<Option<ReportRow>, ImportError> {
        if !next_data_record(&mut self.reader, &mut self.record).await? {
            return Ok(None);
        }
        self.rows += 1;
        self.typed().map(Some)
    }

    fn typed(&self) -> Result<ReportRow, ImportError> {
        let record = &self.record;
        let cell = |column: Option<usize>| -> Result<Option<String>, ImportError> {
            match column.and_then(|i| record.get(i)) {
                Some(bytes) => Ok(value(cell_text(bytes)?).map(str::to_string)),
                None => Ok(None),
            }
        };
        let mut extra = Map::new();
        for (i, header) in &self.columns.extra {
            if let Some(bytes) = record.get(*i) {
                extra.insert(
                    header.clone(),
                    Value::String(cell_text(bytes)?.trim().to_string()),
                );
            }
        }
        let date = cell(self.columns.date)?;
        let event_at = date.as_deref().and_then(parse_event_time);
        if let (Some(raw), None) = (&date, event_at) {
            extra.insert("Date".into(), Value::String(raw.clone()));
        }
        let mut count = |column: Option<usize>, name: &str| -> Result<Option<i64>, ImportError> {
            let raw = cell(column)?;
            let parsed = raw.as_deref().and_then(parse_count);
            if let (Some(raw), None) = (raw, parsed) {
                extra.insert(name.into(), Value::String(raw));
            }
            Ok(parsed)
        };
        let opens = count(self.columns.opens, "Opens")?;
        let clicks = count(self.columns.clicks, "Clicks")?;
        Ok(ReportRow {
            row_number: self.rows,
            subject: cell(self.columns.subject)?,
            sender: cell(self.columns.sender)?,
            sender_name: cell(self.columns.sender_name)?,
            email: cell(self.columns.email)?,
            status: cell(self.columns.status)?,
            event_local: event_at
                .map(|at| plain_date_time(at.with_timezone(&self.tz).naive_local())),
            event_at,
            opens,
            clicks,
            message_id: cell(self.columns.message_id)?,
            extra,
        })
    }
}

fn already_loaded(target: &str) -> AppError {
    AppError::conflict(
        "report_already_loaded",
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
    let report = find(&services.db.conn, report_id).await?;
    if report.state != ReportState::Ready {
        return Err(AppError::conflict(
            "report_not_ready",
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
                "analytics_not_configured",
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
    if recipients::retry_as_windows_1252(&file, &result) {
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
        "reports.load",
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

const ROW_COLUMNS: &str = "report_id, row_number, subject, sender, sender_name, email, status, event_at, event_local, opens, clicks, message_id, extra";
const RECORD_LOAD: &str = "INSERT INTO report_loads (report_id, target, rows, loaded_by, loaded_at) VALUES ($1, $2, 0, $3, $4)";
const COUNT_LOAD: &str = "UPDATE report_loads SET rows = $1 WHERE report_id = $2 AND target = $3";

fn extra_json(extra: &Map<String, Value>) -> String {
    if extra.is_empty() {
        "{}".to_string()
    } else {
        serde_json::to_string(extra).unwrap_or_else(|_| "{}".to_string())
    }
}

fn copy_text(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        None => out.extend_from_slice(b"\\N"),
        Some(v) => {
            for b in v.bytes() {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    b => out.push(b),
                }
            }
        }
    }
}

fn copy_row(out: &mut Vec<u8>, report_id: i64, row: &ReportRow) {
    use std::io::Write;
    let _ = write!(out, "{report_id}\t{}", row.row_number);
    for text in [
        &row.subject,
        &row.sender,
        &row.sender_name,
        &row.email,
        &row.status,
    ] {
        out.push(b'\t');
        copy_text(out, text.as_deref());
    }
    out.push(b'\t');
    match row.event_at {
        Some(at) => {
            out.extend_from_slice(plain_date_time(at.naive_utc()).as_bytes());
            out.extend_from_slice(b"+00");
        }
        None => copy_text(out, None),
    }
    out.push(b'\t');
    copy_text(out, row.event_local.as_deref());
    for n in [row.opens, row.clicks] {
        out.push(b'\t');
        match n {
            Some(n) => {
                let _ = write!(out, "{n}");
            }
            None => copy_text(out, None),
        }
    }
    out.push(b'\t');
    copy_text(out, row.message_id.as_deref());
    out.push(b'\t');
    copy_text(out, Some(&extra_json(&row.extra)));
    out.push(b'\n');
}

/// `record`: (target, user) when the load record lives in this same database.
async fn copy_postgres(
    pool: &PgPool,
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
    let mut copy = tx
        .copy_in_raw(&format!("COPY report_rows ({ROW_COLUMNS}) FROM STDIN"))
        .await?;
    let mut batches = read_ahead(reader, 1000, |row| row);
    let mut buffer = Vec::with_capacity(1 << 20);
    let mut rows = 0i64;
    while let Some(batch) = batches.recv().await {
        let batch = match batch {
            Ok(batch) => batch,
            Err(err) => {
                let _ = copy.abort("load stopped").await;
                return Err(err);
            }
        };
        for row in &batch {
            copy_row(&mut buffer, report_id, row);
        }
        rows += batch.len() as i64;
        if buffer.len() >= 1 << 20 {
            copy.send(std::mem::replace(&mut buffer, Vec::with_capacity(1 << 20)))
                .await?;
        }
    }
    if !buffer.is_empty() {
        copy.send(buffer).await?;
    }
    copy.finish().await?;
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

/// Rows per multi-row insert: 13 parameters each, under SQLite's 32,766-parameter limit.
/// Large statements amortise the per-statement cost (measured in `just bench`).
const SQLITE_BATCH: usize = 2000;

fn sqlite_insert(rows: usize) -> String {
    crate::db::sqlite_multi_insert("report_rows", ROW_COLUMNS, 13, rows)
}

async fn flush_sqlite(
    tx: &mut sqlx::SqliteConnection,
    report_id: i64,
    batch: Vec<ReportRow>,
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
            .bind(report_id)
            .bind(row.row_number)
            .bind(row.subject)
            .bind(row.sender)
            .bind(row.sender_name)
            .bind(row.email)
            .bind(row.status)
            .bind(row.event_at)
            .bind(row.event_local)
            .bind(row.opens)
            .bind(row.clicks)
            .bind(row.message_id)
            .bind(extra_json(&row.extra));
    }
    query.execute(&mut *tx).await?;
    Ok(())
}

async fn insert_sqlite(
    pool: &SqlitePool,
    report_id: i64,
    record: Option<(&str, Option<i64>)>,
    reader: ReportReader,
) -> Result<i64, ImportError> {
    let full_sql = sqlite_insert(SQLITE_BATCH);
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
    let mut batches = read_ahead(reader, SQLITE_BATCH, |row| row);
    let mut rows = 0i64;
    while let Some(batch) = batches.recv().await {
        let batch = batch?;
        rows += batch.len() as i64;
        flush_sqlite(&mut tx, report_id, batch, &full_sql).await?;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_dates_are_utc() {
        let at = parse_event_time("2025-10-26 20:59:02").unwrap();
        assert_eq!(at.to_rfc3339(), "2025-10-26T20:59:02+00:00");
        assert_eq!(
            at.with_timezone(&chrono_tz::America::Guayaquil)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            "2025-10-26 15:59:02"
        );
        assert_eq!(parse_event_time("2025-10-26T20:59:02Z").unwrap(), at);
        assert!(parse_event_time("ayer").is_none());
    }

    #[test]
    fn counts_and_empty_tokens() {
        assert_eq!(parse_count("3"), Some(3));
        assert_eq!(parse_count("2.0"), Some(2));
        assert_eq!(parse_count("x"), None);
        assert_eq!(value(" N/A "), None);
        assert_eq!(value("–"), None);
        assert_eq!(value(" Sent "), Some("Sent"));
    }

    #[test]
    fn summary_headers_are_recognised() {
        let headers: Vec<String> = [
            "\u{feff}Subject",
            "Sender",
            "SenderName",
            "Email",
            "Status",
            "Date",
            "Opens",
            "Clicks",
            "Campaign",
            "Message_Id",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let c = Columns::from_header(&headers);
        assert_eq!(
            (c.subject, c.sender_name, c.clicks, c.message_id),
            (Some(0), Some(2), Some(7), Some(9))
        );
        assert_eq!(c.extra, vec![(8, "Campaign".to_string())]);
    }

    #[tokio::test]
    async fn rows_are_typed_and_unknown_columns_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.csv");
        std::fs::write(
            &path,
            "Subject,Sender,SenderName,Email,Status,Date,Opens,Clicks,Campaign\n\
             Aviso,a@example.com,Equipo,x@example.net,Delivered,2025-10-26 20:59:02,2,N/A,Octubre\n\
             \n\
             Aviso,a@example.com,Equipo,y@example.net,Bounced,ayer,muchas,1,Octubre\n",
        )
        .unwrap();
        let file = CsvFile::inspect(&path).await.unwrap();
        let mut reader = ReportReader::open(&file, chrono_tz::America::Guayaquil)
            .await
            .unwrap();
        let first = reader.next_row().await.unwrap().unwrap();
        assert_eq!(first.row_number, 1);
        assert_eq!(first.event_local.as_deref(), Some("2025-10-26 15:59:02"));
        assert_eq!((first.opens, first.clicks), (Some(2), None));
        assert_eq!(extra_json(&first.extra), r#"{"Campaign":"Octubre"}"#);
        // A blank line is skipped; values that do not parse are kept as they came.
        let second = reader.next_row().await.unwrap().unwrap();
        assert_eq!(second.row_number, 2);
        assert_eq!((second.event_at, second.opens), (None, None));
        assert_eq!(second.extra["Date"], "ayer");
        assert_eq!(second.extra["Opens"], "muchas");
        assert!(reader.next_row().await.unwrap().is_none());
    }
}
