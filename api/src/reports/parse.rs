//! Reading a Doppler summary CSV into typed rows: the known columns found by name,
//! `Date` read as UTC with the `TIME_ZONE` time kept beside it, counts as integers, empty
//! tokens (`N/A`, `-`, ...) as no value, and every other column kept as JSON.

use std::future::Future;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use csv_async::ByteRecord;
use serde_json::{Map, Value};

use crate::csv_input::read_ahead::RowSource;
use crate::csv_input::{cell_text, csv_error, next_data_record, CsvFile, CsvReader, ImportError};

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

/// A cell's text without NUL characters, which no database column can hold: a broken
/// report file loads without them instead of failing the whole load.
fn without_nul(text: &str) -> String {
    if text.contains('\0') {
        text.replace('\0', "")
    } else {
        text.to_string()
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
            .map(|f| cell_text(f).map(without_nul))
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
                Some(bytes) => Ok(value(cell_text(bytes)?).map(without_nul)),
                None => Ok(None),
            }
        };
        let mut extra = Map::new();
        for (i, header) in &self.columns.extra {
            if let Some(bytes) = record.get(*i) {
                extra.insert(
                    header.clone(),
                    Value::String(without_nul(cell_text(bytes)?.trim())),
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

/// The columns no field names, as a JSON object in text.
pub fn extra_json(extra: &Map<String, Value>) -> String {
    if extra.is_empty() {
        "{}".to_string()
    } else {
        serde_json::to_string(extra).unwrap_or_else(|_| "{}".to_string())
    }
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

    #[tokio::test]
    async fn nul_characters_in_a_report_are_dropped_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.csv");
        std::fs::write(
            &path,
            "Subject,Email,Status,Camp\0aign\nAvi\0so,x@example.net,Sent,Oct\0ubre\n",
        )
        .unwrap();
        let file = CsvFile::inspect(&path).await.unwrap();
        let mut reader = ReportReader::open(&file, chrono_tz::America::Guayaquil)
            .await
            .unwrap();
        let row = reader.next_row().await.unwrap().unwrap();
        assert_eq!(row.subject.as_deref(), Some("Aviso"));
        assert_eq!(extra_json(&row.extra), r#"{"Campaign":"Octubre"}"#);
    }
}
