//! Writing many rows at once, the fastest way each database has: PostgreSQL's
//! `COPY … FROM STDIN` in its text format, SQLite's multi-row `INSERT` with as many rows
//! per statement as its parameter limit allows. The recipient import and the report load
//! both write through here. Rows arrive in batches (from `csv_input::read_ahead`); the
//! caller owns the transaction, so the rows commit together with whatever else it writes.
//! Errors are the caller's type `E`: a batch carries the reader's, and the database's
//! become one through `From<sqlx::Error>`, so this layer knows nothing of who reads rows.

use chrono::{DateTime, Utc};
use sqlx::{Arguments, PgConnection, SqliteConnection};
use tokio::sync::mpsc::Receiver;

/// A row the bulk writer can store: its table, its columns, and its values in that order.
pub trait BulkRow: Send + 'static {
    const TABLE: &'static str;
    const COLUMNS: &'static [&'static str];

    /// Hands each value to `out`, one call per column, in [`Self::COLUMNS`] order.
    fn write_cells(self, out: &mut impl Cells);
}

/// Where a row's values go: a COPY line or a statement's parameters.
pub trait Cells {
    fn int(&mut self, value: Option<i64>);
    fn text(&mut self, value: Option<String>);
    /// Fixed text such as a status code.
    fn label(&mut self, value: &'static str);
    fn time(&mut self, value: Option<DateTime<Utc>>);
}

/// Bytes of COPY data sent to PostgreSQL at a time.
const COPY_CHUNK: usize = 1 << 20;

/// Streams every batch into `R::TABLE` with one `COPY`, calling `seen` on each row first;
/// answers the rows written. A failed batch aborts the COPY (and so the transaction).
pub async fn copy_in<R: BulkRow, E: From<sqlx::Error>>(
    conn: &mut PgConnection,
    mut batches: Receiver<Result<Vec<R>, E>>,
    mut seen: impl FnMut(&R),
) -> Result<i64, E> {
    let statement = format!("COPY {} ({}) FROM STDIN", R::TABLE, R::COLUMNS.join(", "));
    let mut copy = conn.copy_in_raw(&statement).await?;
    let mut line = CopyLine {
        out: Vec::with_capacity(COPY_CHUNK),
        first: true,
    };
    let mut rows = 0i64;
    while let Some(batch) = batches.recv().await {
        let batch = match batch {
            Ok(batch) => batch,
            Err(err) => {
                let _ = copy.abort("the file could not be read to the end").await;
                return Err(err);
            }
        };
        rows += batch.len() as i64;
        for row in batch {
            seen(&row);
            line.first = true;
            row.write_cells(&mut line);
            line.out.push(b'\n');
        }
        if line.out.len() >= COPY_CHUNK {
            copy.send(std::mem::replace(
                &mut line.out,
                Vec::with_capacity(COPY_CHUNK),
            ))
            .await?;
        }
    }
    if !line.out.is_empty() {
        copy.send(line.out).await?;
    }
    copy.finish().await?;
    Ok(rows)
}

/// One line of COPY's text format: tab-separated, `\N` for NULL, backslash escapes for the
/// characters the format gives meaning to.
struct CopyLine {
    out: Vec<u8>,
    first: bool,
}

impl CopyLine {
    fn separate(&mut self) {
        if !self.first {
            self.out.push(b'\t');
        }
        self.first = false;
    }

    fn null(&mut self) {
        self.out.extend_from_slice(b"\\N");
    }
}

impl Cells for CopyLine {
    fn int(&mut self, value: Option<i64>) {
        self.separate();
        match value {
            Some(n) => self.out.extend_from_slice(n.to_string().as_bytes()),
            None => self.null(),
        }
    }

    fn text(&mut self, value: Option<String>) {
        self.separate();
        match value {
            Some(text) => copy_escape(&mut self.out, &text),
            None => self.null(),
        }
    }

    fn label(&mut self, value: &'static str) {
        self.separate();
        copy_escape(&mut self.out, value);
    }

    fn time(&mut self, value: Option<DateTime<Utc>>) {
        self.separate();
        match value {
            Some(at) => {
                use chrono::{Datelike, Timelike};
                use std::io::Write;
                let _ = write!(
                    self.out,
                    "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}+00",
                    at.year(),
                    at.month(),
                    at.day(),
                    at.hour(),
                    at.minute(),
                    at.second(),
                    at.timestamp_subsec_micros()
                );
            }
            None => self.null(),
        }
    }
}

fn copy_escape(out: &mut Vec<u8>, value: &str) {
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

/// The most parameters one SQLite statement may bind (`SQLITE_MAX_VARIABLE_NUMBER` since
/// SQLite 3.32, the version sqlx bundles).
pub const SQLITE_MAX_PARAMETERS: usize = 32_766;

/// Rows per SQLite `INSERT` for `R`: as many as the parameter limit allows. Large
/// statements amortise SQLite's per-statement cost (measured in `just bench`).
pub const fn sqlite_batch_rows<R: BulkRow>() -> usize {
    SQLITE_MAX_PARAMETERS / R::COLUMNS.len()
}

/// Inserts every batch into `R::TABLE`, calling `seen` on each row first; answers the rows
/// written. Batches should hold [`sqlite_batch_rows`] rows (the last may hold fewer).
pub async fn insert_sqlite<R: BulkRow, E: From<sqlx::Error>>(
    conn: &mut SqliteConnection,
    mut batches: Receiver<Result<Vec<R>, E>>,
    mut seen: impl FnMut(&R),
) -> Result<i64, E> {
    let full_batch = sqlite_batch_rows::<R>();
    let full_sql = multi_insert::<R>(full_batch);
    let mut rows = 0i64;
    while let Some(batch) = batches.recv().await {
        let batch = batch?;
        rows += batch.len() as i64;
        // A batch larger than the limit allows is written in parts.
        let mut batch = batch.into_iter().peekable();
        while batch.peek().is_some() {
            let mut parameters = SqliteParameters::default();
            let mut count = 0;
            for row in batch.by_ref().take(full_batch) {
                seen(&row);
                row.write_cells(&mut parameters);
                count += 1;
            }
            parameters.result?;
            let partial;
            let sql = if count == full_batch {
                full_sql.as_str()
            } else {
                partial = multi_insert::<R>(count);
                partial.as_str()
            };
            sqlx::query_with(sqlx::AssertSqlSafe(sql), parameters.arguments)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(rows)
}

/// `INSERT INTO table (columns) VALUES (?,..),(?,..)...` for `rows` rows.
fn multi_insert<R: BulkRow>(rows: usize) -> String {
    let one = format!("({})", vec!["?"; R::COLUMNS.len()].join(","));
    format!(
        "INSERT INTO {} ({}) VALUES {}",
        R::TABLE,
        R::COLUMNS.join(", "),
        vec![one; rows].join(",")
    )
}

/// A statement's parameters, bound in column order; the first encoding failure is kept.
struct SqliteParameters {
    arguments: sqlx::sqlite::SqliteArguments,
    result: Result<(), sqlx::Error>,
}

impl Default for SqliteParameters {
    fn default() -> Self {
        SqliteParameters {
            arguments: Default::default(),
            result: Ok(()),
        }
    }
}

impl SqliteParameters {
    fn bind<'t, T: sqlx::Encode<'t, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>>(&mut self, value: T) {
        if let Err(err) = self.arguments.add(value) {
            if self.result.is_ok() {
                self.result = Err(sqlx::Error::Encode(err));
            }
        }
    }
}

impl Cells for SqliteParameters {
    fn int(&mut self, value: Option<i64>) {
        self.bind(value);
    }

    fn text(&mut self, value: Option<String>) {
        self.bind(value);
    }

    fn label(&mut self, value: &'static str) {
        self.bind(value);
    }

    fn time(&mut self, value: Option<DateTime<Utc>>) {
        self.bind(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sample {
        id: i64,
        note: Option<String>,
        at: Option<DateTime<Utc>>,
    }

    impl BulkRow for Sample {
        const TABLE: &'static str = "samples";
        const COLUMNS: &'static [&'static str] = &["id", "note", "status", "at"];

        fn write_cells(self, out: &mut impl Cells) {
            out.int(Some(self.id));
            out.text(self.note);
            out.label("ok");
            out.time(self.at);
        }
    }

    #[test]
    fn copy_lines_escape_what_the_format_gives_meaning_to() {
        let mut line = CopyLine {
            out: Vec::new(),
            first: true,
        };
        Sample {
            id: 7,
            note: Some("a\tb\\c\r\nd".into()),
            at: DateTime::from_timestamp(1_700_000_000, 5_000),
        }
        .write_cells(&mut line);
        assert_eq!(
            String::from_utf8(line.out).unwrap(),
            "7\ta\\tb\\\\c\\r\\nd\tok\t2023-11-14 22:13:20.000005+00"
        );

        let mut line = CopyLine {
            out: Vec::new(),
            first: true,
        };
        Sample {
            id: 1,
            note: None,
            at: None,
        }
        .write_cells(&mut line);
        assert_eq!(String::from_utf8(line.out).unwrap(), "1\t\\N\tok\t\\N");
    }

    #[test]
    fn sqlite_batches_fill_the_parameter_limit() {
        assert_eq!(sqlite_batch_rows::<Sample>(), 8191);
        assert_eq!(
            multi_insert::<Sample>(2),
            "INSERT INTO samples (id, note, status, at) VALUES (?,?,?,?),(?,?,?,?)"
        );
    }
}
