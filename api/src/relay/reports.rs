//! Doppler's reports API through the client: requesting a report over whole local days,
//! polling it, and downloading its CSV (inline, or from a file link on an allowed host, with
//! no credentials and a byte cap).

use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;
use futures::StreamExt;
use reqwest::header;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use url::Url;

use super::client::{http_error, read_capped, transport_error, RelayClient, ANSWER_MAX_BYTES};
use super::error::RelayError;
use super::file_link::Policy;

/// How long the file behind a report's download link may take (legacy: 120 s).
const FILE_DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportPoll {
    Pending,
    Ready,
}

impl RelayClient {
    fn reports_url(&self) -> Url {
        self.endpoint(&["reports", "reportrequest"])
    }

    /// Asks Doppler for a report of `resource` over whole local days; answers the request id.
    pub async fn create_report_request(
        &self,
        resource: &str,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<String, RelayError> {
        let tz = self.inner.time_zone;
        let local = |date: NaiveDate, h: u32, m: u32, s: u32| {
            date.and_hms_opt(h, m, s)
                .and_then(|naive| naive.and_local_timezone(tz).earliest())
                .map(|at| at.fixed_offset().to_rfc3339())
                .unwrap_or_default()
        };
        // Doppler's end is exclusive (its web app: "in our API to is exclusive"): the next
        // local midnight, so the last second of the last day is in the report.
        let after_end = end.succ_opt().unwrap_or(end);
        let body = serde_json::json!({
            "start_date": local(start, 0, 0, 0),
            "end_date": local(after_end, 0, 0, 0),
            "resource": resource,
            "accountId": self.inner.account_id.to_string(),
        });
        let builder = self.request(Method::POST, self.reports_url(), self.inner.reports_timeout)?;
        let (headers, json) = self.call(builder.json(&body)).await?;
        report_request_id(
            &json,
            headers.get(header::LOCATION).and_then(|v| v.to_str().ok()),
        )
        .ok_or_else(|| {
            RelayError::Unexpected("the report request id is missing from the answer".into())
        })
    }

    pub async fn poll_report(&self, request_id: &str) -> Result<ReportPoll, RelayError> {
        let mut url = self.reports_url();
        url.query_pairs_mut()
            .append_pair("reportRequestId", request_id);
        let response = self
            .request(Method::GET, url, self.inner.reports_timeout)?
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(transport_error)?;
        if status == StatusCode::ACCEPTED
            || (status.is_success() && bytes.iter().all(u8::is_ascii_whitespace))
        {
            return Ok(ReportPoll::Pending);
        }
        let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status == StatusCode::OK {
            return Ok(
                if json.get("processed").and_then(Value::as_bool) == Some(true) {
                    ReportPoll::Ready
                } else {
                    ReportPoll::Pending
                },
            );
        }
        Err(http_error(status, &headers, &json))
    }

    /// Downloads a ready report's CSV into `destination` (inline, or through the file link);
    /// answers the bytes written.
    pub async fn download_report(
        &self,
        request_id: &str,
        destination: &Path,
    ) -> Result<u64, RelayError> {
        let mut url = self.reports_url();
        url.query_pairs_mut()
            .append_pair("reportRequestId", request_id)
            .append_pair("format", "csv");
        let response = self
            .request(Method::GET, url, self.inner.reports_timeout)?
            .header(header::ACCEPT, "text/csv, application/json")
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let is_csv = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.contains("text/csv"));
        let limit = self.inner.max_download_bytes;
        if status == StatusCode::OK && is_csv {
            return write_stream(response, destination, limit).await;
        }
        let headers = response.headers().clone();
        let bytes = read_capped(response, ANSWER_MAX_BYTES).await?;
        let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(http_error(status, &headers, &json));
        }
        let link = json
            .get("file_path")
            .and_then(Value::as_str)
            .filter(|link| !link.trim().is_empty())
            .map(str::to_string)
            .or_else(|| {
                json.get("_links")?.as_array()?.iter().find_map(|l| {
                    let href = l.get("href")?.as_str()?;
                    href.contains("files.dopplerrelay.com")
                        .then(|| href.to_string())
                })
            });
        let link = match link {
            Some(link) => link,
            // Processed with no file: Doppler's web app says "No result". An empty report,
            // not an error: the summary's header alone, loadable as 0 rows.
            None if json.get("processed").and_then(Value::as_bool) == Some(true) => {
                return write_empty_summary(destination).await;
            }
            None => {
                return Err(RelayError::Unexpected(
                    "the download answer has no CSV, no file link and is not processed".into(),
                ))
            }
        };
        let file_url = self
            .inner
            .base
            .join(&link)
            .map_err(|e| RelayError::Unexpected(format!("bad file link: {e}")))?;
        // The file host is not Doppler's API: it gets no credentials.
        let file = self
            .file_policy()
            .fetch(&self.inner.http, file_url, FILE_DOWNLOAD_TIMEOUT)
            .await?;
        if !file.status().is_success() {
            let status = file.status();
            let headers = file.headers().clone();
            return Err(http_error(status, &headers, &Value::Null));
        }
        write_stream(file, destination, limit).await
    }

    fn file_policy(&self) -> Policy<'_> {
        Policy {
            base: &self.inner.base,
            debug: self.inner.debug,
            hosts: &self.inner.file_hosts,
        }
    }
}

/// The id of a new report request: body fields, then links, then `Location` (legacy 3.5).
fn report_request_id(json: &Value, location: Option<&str>) -> Option<String> {
    for key in ["reportRequestId", "createdResourceId", "id"] {
        match json.get(key) {
            Some(Value::String(s)) if !s.is_empty() => return Some(s.clone()),
            Some(Value::Number(n)) => return Some(n.to_string()),
            _ => {}
        }
    }
    let hrefs = json
        .get("_links")
        .or_else(|| json.get("links"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|l| l.get("href").and_then(Value::as_str));
    for href in hrefs.chain(location) {
        if let Some((_, id)) = href.split_once("reportRequestId=") {
            let id = id.split('&').next().unwrap_or(id);
            if !id.is_empty() {
                return Some(id.to_string());
            }
        }
        if let Some(last) = href.trim_end_matches('/').rsplit('/').next() {
            if !last.is_empty() && last.chars().all(|c| c.is_ascii_digit()) {
                return Some(last.to_string());
            }
        }
    }
    None
}

/// The columns of Doppler's summary report (docs/doppler.md).
pub const SUMMARY_HEADER: &str = "Subject,Sender,SenderName,Email,Status,Date,Opens,Clicks\n";

async fn write_empty_summary(destination: &Path) -> Result<u64, RelayError> {
    let storage = |e: std::io::Error| RelayError::Storage(e.to_string());
    if let Some(parent) = destination.parent() {
        tokio::fs::create_dir_all(parent).await.map_err(storage)?;
    }
    tokio::fs::write(destination, SUMMARY_HEADER)
        .await
        .map_err(storage)?;
    Ok(SUMMARY_HEADER.len() as u64)
}

async fn write_stream(
    response: reqwest::Response,
    destination: &Path,
    limit: u64,
) -> Result<u64, RelayError> {
    let storage = |e: std::io::Error| RelayError::Storage(e.to_string());
    if response
        .content_length()
        .is_some_and(|length| length > limit)
    {
        return Err(RelayError::TooLarge(limit));
    }
    if let Some(parent) = destination.parent() {
        tokio::fs::create_dir_all(parent).await.map_err(storage)?;
    }
    let mut file = tokio::fs::File::create(destination)
        .await
        .map_err(storage)?;
    let mut written = 0u64;
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let failure = match chunk {
            Ok(_) if written > limit => Some(RelayError::TooLarge(limit)),
            Ok(chunk) if written + chunk.len() as u64 > limit => Some(RelayError::TooLarge(limit)),
            Ok(chunk) => {
                file.write_all(&chunk).await.map_err(storage)?;
                written += chunk.len() as u64;
                None
            }
            Err(err) => Some(transport_error(err)),
        };
        if let Some(err) = failure {
            drop(file);
            let _ = tokio::fs::remove_file(destination).await;
            return Err(err);
        }
    }
    file.flush().await.map_err(storage)?;
    file.sync_all().await.map_err(storage)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn report_ids_are_found_where_doppler_puts_them() {
        assert_eq!(
            report_request_id(&json!({ "reportRequestId": "77" }), None).as_deref(),
            Some("77")
        );
        assert_eq!(
            report_request_id(&json!({ "createdResourceId": 12 }), None).as_deref(),
            Some("12")
        );
        let links =
            json!({ "_links": [{ "href": "/reports/reportrequest?reportRequestId=55&x=1" }] });
        assert_eq!(report_request_id(&links, None).as_deref(), Some("55"));
        assert_eq!(
            report_request_id(&json!({}), Some("/reports/reportrequest/99")).as_deref(),
            Some("99")
        );
        assert_eq!(report_request_id(&json!({}), None), None);
    }
}
