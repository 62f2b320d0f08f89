//! What leaves as a file: downloads with safe headers, and CSV exports written as they are
//! produced (through `csv_async`, with bounded memory) whose cells a spreadsheet cannot run.

use std::borrow::Cow;
use std::future::Future;

use axum::body::Body;
use axum::http::header;
use axum::response::Response;
use futures::StreamExt;
use tokio::io::{AsyncWriteExt, DuplexStream};

use crate::error::{AppError, AppResult};

/// The headers of a download: its type, and a `Content-Disposition` safe for any name.
fn download(content_type: &str, name: &str) -> axum::http::response::Builder {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
        )
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
}

/// A file as a download: its type, length, and a `Content-Disposition` safe for any name.
pub fn file_response(
    file: tokio::fs::File,
    content_type: &str,
    name: &str,
    length: Option<u64>,
) -> AppResult<Response> {
    let mut builder = download(content_type, name);
    if let Some(length) = length {
        builder = builder.header(header::CONTENT_LENGTH, length);
    }
    builder
        .body(Body::from_stream(tokio_util::io::ReaderStream::new(file)))
        .map_err(|e| AppError::internal(anyhow::anyhow!(e)))
}

/// A cell as a spreadsheet should show it: one starting with a character a spreadsheet reads
/// as a formula (`= + - @`, tab, CR) gets a leading `'`, so that an uploaded
/// `=HYPERLINK(...)` stays text. Quoting is the CSV writer's, and every cell is quoted.
pub fn neutralised(cell: &[u8]) -> Cow<'_, [u8]> {
    if cell.first().is_some_and(|b| b"=+-@\t\r".contains(b)) {
        let mut text = Vec::with_capacity(cell.len() + 1);
        text.push(b'\'');
        text.extend_from_slice(cell);
        Cow::Owned(text)
    } else {
        Cow::Borrowed(cell)
    }
}

/// How an export is written.
#[derive(Debug, Clone, Copy)]
pub struct CsvFormat {
    pub delimiter: u8,
    /// A UTF-8 byte-order mark first, so that Excel in Spanish reads the accents.
    pub bom: bool,
    /// Lines end in CRLF (else LF).
    pub crlf: bool,
}

/// `;` with a BOM and CRLF: what Excel in Spanish opens with a double click.
pub const EXCEL_ES: CsvFormat = CsvFormat {
    delimiter: b';',
    bom: true,
    crlf: true,
};

/// `,` and LF, as Doppler writes its report files.
pub const AS_DOPPLER: CsvFormat = CsvFormat {
    delimiter: b',',
    bom: false,
    crlf: false,
};

/// Bytes of CSV between the producer and the client: the producer waits while they are
/// unread, so a slow client slows the export down instead of filling memory.
const PIPE_BYTES: usize = 64 * 1024;

/// Where an export's rows go.
pub struct CsvOut {
    writer: csv_async::AsyncWriter<DuplexStream>,
}

impl CsvOut {
    /// Writes one row, each cell neutralised.
    pub async fn row<I, C>(&mut self, cells: I) -> std::io::Result<()>
    where
        I: IntoIterator<Item = C>,
        C: AsRef<[u8]>,
    {
        let cells: Vec<C> = cells.into_iter().collect();
        let record: Vec<Cow<'_, [u8]>> = cells.iter().map(|c| neutralised(c.as_ref())).collect();
        self.writer
            .write_record(&record)
            .await
            .map_err(std::io::Error::other)
    }
}

/// A CSV download written while `produce` runs: its rows stream to the client through a
/// small pipe. If `produce` fails midway the transfer is cut off with an error rather than
/// ending as if the file were complete.
pub fn csv_download<F, Fut>(name: &str, format: CsvFormat, produce: F) -> AppResult<Response>
where
    F: FnOnce(CsvOut) -> Fut + Send + 'static,
    Fut: Future<Output = AppResult<CsvOut>> + Send + 'static,
{
    let (mut pipe, reader) = tokio::io::duplex(PIPE_BYTES);
    let producer = tokio::spawn(async move {
        if format.bom {
            pipe.write_all("\u{feff}".as_bytes()).await?;
        }
        let writer = csv_async::AsyncWriterBuilder::new()
            .delimiter(format.delimiter)
            .terminator(if format.crlf {
                csv_async::Terminator::CRLF
            } else {
                csv_async::Terminator::Any(b'\n')
            })
            .flexible(true)
            // Every cell quoted: a spreadsheet that guesses another delimiter (Excel in
            // Spanish splits on `;`) still keeps each cell whole.
            .quote_style(csv_async::QuoteStyle::Always)
            .create_writer(pipe);
        let out = produce(CsvOut { writer }).await?;
        let mut pipe = out
            .writer
            .into_inner()
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!("finishing the export: {e}")))?;
        pipe.shutdown().await?;
        Ok::<(), AppError>(())
    });
    let ending = futures::stream::once(async move {
        match producer.await {
            Ok(Ok(())) => None,
            Ok(Err(err)) => {
                tracing::error!(error = %err, "an export stopped midway");
                Some(Err(std::io::Error::other("the export stopped midway")))
            }
            Err(err) => Some(Err(std::io::Error::other(err.to_string()))),
        }
    })
    .filter_map(|item| async move { item });
    let body = tokio_util::io::ReaderStream::new(reader).chain(ending);
    download("text/csv; charset=utf-8", name)
        .body(Body::from_stream(body))
        .map_err(|e| AppError::internal(anyhow::anyhow!(e)))
}

/// A stored CSV (as Doppler sent it) streamed back record by record with every cell a
/// spreadsheet could run as a formula neutralised.
pub fn neutralised_csv(file: tokio::fs::File, name: &str) -> AppResult<Response> {
    csv_download(name, AS_DOPPLER, move |mut out| async move {
        let mut reader = csv_async::AsyncReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .create_reader(tokio::io::BufReader::new(file));
        let mut records = reader.byte_records();
        while let Some(record) = records.next().await {
            let record = record.map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
            out.row(record.iter()).await?;
        }
        drop(records);
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn exported(format: CsvFormat, rows: Vec<Vec<&'static str>>) -> String {
        let response = csv_download("x.csv", format, move |mut out| async move {
            for row in rows {
                out.row(row).await?;
            }
            Ok(out)
        })
        .unwrap();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn formulas_stay_text_and_delimiters_are_quoted() {
        let text = exported(
            EXCEL_ES,
            vec![
                vec!["=HYPERLINK(\"x\")", "+593 99", "-1+1", "@SUM(A1)"],
                vec!["\tx", "a;b", "a,b", "ana@example.com"],
            ],
        )
        .await;
        assert_eq!(
            text,
            "\u{feff}\"'=HYPERLINK(\"\"x\"\")\";\"'+593 99\";\"'-1+1\";\"'@SUM(A1)\"\r\n\
             \"'\tx\";\"a;b\";\"a,b\";\"ana@example.com\"\r\n"
        );
        // Whatever the delimiter, a cell holding the other one stays whole.
        let doppler = exported(AS_DOPPLER, vec![vec!["x;y", ""]]).await;
        assert_eq!(doppler, "\"x;y\",\"\"\n");
    }

    #[tokio::test]
    async fn a_failed_export_is_cut_off_not_completed() {
        let response = csv_download("x.csv", AS_DOPPLER, |mut out| async move {
            out.row(["first"]).await?;
            Err(AppError::internal(anyhow::anyhow!(
                "the database went away"
            )))
        })
        .unwrap();
        assert!(axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .is_err());
    }
}
