//! What leaves as a file: downloads with safe headers, and CSV cells a spreadsheet cannot
//! run.

use axum::body::Body;
use axum::http::header;
use axum::response::Response;

use crate::error::{AppError, AppResult};

/// A file as a download: its type, length, and a `Content-Disposition` safe for any name.
pub fn file_response(
    file: tokio::fs::File,
    content_type: &str,
    name: &str,
    length: Option<u64>,
) -> AppResult<Response> {
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
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
        )
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if let Some(length) = length {
        builder = builder.header(header::CONTENT_LENGTH, length);
    }
    builder
        .body(Body::from_stream(tokio_util::io::ReaderStream::new(file)))
        .map_err(|e| AppError::internal(anyhow::anyhow!(e)))
}

/// One CSV cell: quoted when it holds the delimiter, a quote or a line break; and, when it
/// starts with a character a spreadsheet reads as a formula (`= + - @`, tab, CR), prefixed
/// with `'` so that an uploaded `=HYPERLINK(...)` stays text.
pub fn csv_cell(value: &str, delimiter: char) -> String {
    let neutral = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if neutral.contains([delimiter, '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

/// One CSV cell as bytes (the stored file's encoding is kept), neutralised and quoted as
/// [`csv_cell`] does.
fn write_csv_cell(out: &mut Vec<u8>, field: &[u8], delimiter: u8) {
    let formula = field.first().is_some_and(|b| b"=+-@\t\r".contains(b));
    let quoted = field
        .iter()
        .any(|b| *b == delimiter || matches!(b, b'"' | b'\n' | b'\r'));
    if quoted {
        out.push(b'"');
    }
    if formula {
        out.push(b'\'');
    }
    for b in field {
        if *b == b'"' {
            out.push(b'"');
        }
        out.push(*b);
    }
    if quoted {
        out.push(b'"');
    }
}

/// A stored CSV (as Doppler sent it) streamed back with every cell a spreadsheet could run
/// as a formula neutralised, in batches: memory stays flat whatever the file's size.
pub fn neutralised_csv(file: tokio::fs::File, name: &str) -> AppResult<Response> {
    use futures::StreamExt;
    const BATCH: usize = 2000;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    tokio::spawn(async move {
        let mut reader = csv_async::AsyncReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .create_reader(tokio::io::BufReader::new(file));
        let mut records = reader.byte_records();
        let mut chunk = Vec::new();
        let mut in_batch = 0;
        while let Some(record) = records.next().await {
            let record = match record {
                Ok(record) => record,
                Err(err) => {
                    let _ = sender
                        .send(Err(std::io::Error::other(err.to_string())))
                        .await;
                    return;
                }
            };
            for (i, field) in record.iter().enumerate() {
                if i > 0 {
                    chunk.push(b',');
                }
                write_csv_cell(&mut chunk, field, b',');
            }
            chunk.push(b'\n');
            in_batch += 1;
            if in_batch == BATCH {
                in_batch = 0;
                if sender.send(Ok(std::mem::take(&mut chunk))).await.is_err() {
                    return;
                }
            }
        }
        let _ = sender.send(Ok(chunk)).await;
    });
    let body = futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    Response::builder()
        .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ascii}\""),
        )
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(Body::from_stream(body))
        .map_err(|e| AppError::internal(anyhow::anyhow!(e)))
}

#[cfg(test)]
mod tests {
    use super::{csv_cell, write_csv_cell};

    #[test]
    fn byte_cells_match_text_cells() {
        for value in ["=1+1", "a,b", "plain text", "say \"hi\"", "-5", ""] {
            let mut out = Vec::new();
            write_csv_cell(&mut out, value.as_bytes(), b',');
            assert_eq!(
                String::from_utf8(out).unwrap(),
                csv_cell(value, ','),
                "{value}"
            );
        }
    }

    #[test]
    fn formulas_stay_text_and_delimiters_are_quoted() {
        assert_eq!(
            csv_cell("=HYPERLINK(\"x\")", ';'),
            "\"'=HYPERLINK(\"\"x\"\")\""
        );
        assert_eq!(csv_cell("+593 99", ','), "'+593 99");
        assert_eq!(csv_cell("-1+1", ','), "'-1+1");
        assert_eq!(csv_cell("@SUM(A1)", ','), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx", ','), "'\tx");
        assert_eq!(csv_cell("a;b", ';'), "\"a;b\"");
        assert_eq!(csv_cell("a;b", ','), "a;b");
        assert_eq!(csv_cell("ana@example.com", ','), "ana@example.com");
    }
}
