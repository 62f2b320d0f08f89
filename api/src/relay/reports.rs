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
        let body = serde_json::json!({
            "start_date": local(start, 0, 0, 0),
            "end_date": local(end, 23, 59, 59),
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
            .map(str::to_string)
            .or_else(|| {
                json.get("_links")?.as_array()?.iter().find_map(|l| {
                    let href = l.get("href")?.as_str()?;
                    href.contains("files.dopplerrelay.com")
                        .then(|| href.to_string())
                })
            })
            .ok_or_else(|| {
                RelayError::Unexpected("the download answer has no CSV and no file link".into())
            })?;
        let file_url = self
            .inner
            .base
            .join(&link)
            .map_err(|e| RelayError::Unexpected(format!("bad file link: {e}")))?;
        self.check_file_link(&file_url)?;
        // The file host is not Doppler's API: it gets no credentials.
        let file = self
            .inner
            .http
            .get(file_url)
            .timeout(FILE_DOWNLOAD_TIMEOUT)
            .send()
            .await
            .map_err(transport_error)?;
        if !file.status().is_success() {
            let status = file.status();
            let headers = file.headers().clone();
            return Err(http_error(status, &headers, &Value::Null));
        }
        write_stream(file, destination, limit).await
    }

    /// A report file is fetched only over HTTPS from a configured host (in development, also
    /// from the simulator: loopback on `DOPPLER_RELAY_BASE_URL`'s own port, over HTTP(S)
    /// only): a link elsewhere is refused, not followed.
    fn check_file_link(&self, url: &Url) -> Result<(), RelayError> {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let the_simulator = self.inner.debug
            && matches!(url.scheme(), "http" | "https")
            && crate::config::is_loopback_host(url)
            && crate::config::is_loopback_host(&self.inner.base)
            && url.port_or_known_default() == self.inner.base.port_or_known_default();
        let allowed =
            (url.scheme() == "https" && self.inner.file_hosts.contains(&host)) || the_simulator;
        if allowed {
            Ok(())
        } else {
            Err(RelayError::Unexpected(format!(
                "the report file link points at '{host}', which is not in DOPPLER_REPORT_FILE_HOSTS; it was not followed"
            )))
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
    fn in_development_only_the_simulator_on_loopback_is_followed() {
        let vars = |debug: &str| {
            std::collections::HashMap::from(
                [
                    ("DEBUG", debug),
                    ("SECRET_KEY", "tK8vQ2mZ7xRp4LwN9cJf3HbY6sDg1EaU5oTi0VnWqXy"),
                    ("DATABASE_URL", "sqlite::memory:"),
                    ("DOPPLER_RELAY_BASE_URL", "http://127.0.0.1:9518/"),
                    ("DOPPLER_RELAY_API_KEY", "k"),
                    ("DOPPLER_RELAY_ACCOUNT_ID", "1"),
                ]
                .map(|(k, v)| (k.to_string(), v.to_string())),
            )
        };
        let client = |debug| {
            crate::relay::RelayClient::new(&crate::config::Config::from_vars(&vars(debug)).unwrap())
                .unwrap()
        };
        let followed = |client: &crate::relay::RelayClient, link: &str| {
            client.check_file_link(&Url::parse(link).unwrap()).is_ok()
        };
        let dev = client("true");
        assert!(followed(&dev, "http://127.0.0.1:9518/files/r.csv"));
        assert!(followed(&dev, "https://files.dopplerrelay.com/r.csv"));
        for elsewhere in [
            "http://127.0.0.1:5432/",
            "http://localhost:6379/x",
            "ftp://127.0.0.1:9518/r.csv",
            "file:///etc/passwd",
            "http://files.dopplerrelay.com/r.csv",
        ] {
            assert!(!followed(&dev, elsewhere), "{elsewhere}");
        }
        let production = client("false");
        assert!(!followed(&production, "http://127.0.0.1:9518/files/r.csv"));
    }

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
