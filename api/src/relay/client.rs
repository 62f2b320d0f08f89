//! The Doppler Relay HTTP client: templates, sends, and report requests.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use chrono_tz::Tz;
use futures::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, RequestBuilder, StatusCode};
use secrecy::ExposeSecret;
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use url::Url;

use super::error::{QuotaInfo, RelayError};
use super::outcome::{self, SendOutcome};
use super::payload::{PlainMessage, TemplateFields, TemplateMessage};
use super::templates::{self, RemoteTemplate};
use crate::config::Config;

/// How long the file behind a report's download link may take (legacy: 120 s).
const FILE_DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// The most of a JSON answer or a template body read into memory.
const ANSWER_MAX_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportPoll {
    Pending,
    Ready,
}

#[derive(Clone)]
pub struct RelayClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    account_id: i64,
    /// `{scheme} {key}`, marked sensitive; `None` without an API key.
    authorization: Option<HeaderValue>,
    timeout: Duration,
    reports_timeout: Duration,
    time_zone: Tz,
    /// Hosts a report file link may point at; loopback too when `debug`.
    file_hosts: Vec<String>,
    max_download_bytes: u64,
    debug: bool,
}

impl std::fmt::Debug for RelayClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayClient")
            .field("base", &self.inner.base.as_str())
            .field("account_id", &self.inner.account_id)
            .field("configured", &self.inner.authorization.is_some())
            .finish()
    }
}

/// A transport error as text, with its causes, without the URL.
fn transport_text(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn transport_error(err: reqwest::Error) -> RelayError {
    if err.is_timeout() {
        RelayError::Timeout
    } else {
        RelayError::Connection(transport_text(&err.without_url()))
    }
}

impl RelayClient {
    pub fn new(config: &Config) -> anyhow::Result<RelayClient> {
        let authorization = match &config.relay.api_key {
            Some(key) => {
                let mut value = HeaderValue::from_str(&format!(
                    "{} {}",
                    config.relay.auth_scheme.as_str(),
                    key.expose_secret()
                ))
                .map_err(|_| {
                    anyhow::anyhow!(
                        "DOPPLER_RELAY_API_KEY: contains characters not allowed in a header"
                    )
                })?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        let http = reqwest::Client::builder()
            .user_agent(concat!("relay-console/", env!("CARGO_PKG_VERSION")))
            // A redirect could carry the request (and its key) to another host: none followed.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()?;
        Ok(RelayClient {
            inner: Arc::new(Inner {
                http,
                base: config.relay.base_url.clone(),
                account_id: config.relay.account_id,
                authorization,
                timeout: config.relay.timeout,
                reports_timeout: config.reports.timeout,
                time_zone: config.time_zone,
                file_hosts: config.reports.file_hosts.clone(),
                max_download_bytes: config.reports.max_download_bytes,
                debug: config.debug,
            }),
        })
    }

    pub fn is_configured(&self) -> bool {
        self.inner.authorization.is_some()
    }

    pub fn time_zone(&self) -> Tz {
        self.inner.time_zone
    }

    /// `{base}/seg/seg/...`, each segment percent-encoded.
    fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    fn account_endpoint(&self, rest: &[&str]) -> Url {
        let account = self.inner.account_id.to_string();
        let mut segments = vec!["accounts", account.as_str()];
        segments.extend_from_slice(rest);
        self.endpoint(&segments)
    }

    fn request(
        &self,
        method: Method,
        url: Url,
        timeout: Duration,
    ) -> Result<RequestBuilder, RelayError> {
        let authorization = self
            .inner
            .authorization
            .clone()
            .ok_or(RelayError::NotConfigured)?;
        Ok(self
            .inner
            .http
            .request(method, url)
            .timeout(timeout)
            .header(header::AUTHORIZATION, authorization)
            .header(header::ACCEPT, "application/json"))
    }

    /// Sends a call that is safe to fail (not a send) and reads its JSON answer.
    async fn call(&self, builder: RequestBuilder) -> Result<(HeaderMap, Value), RelayError> {
        let response = builder.send().await.map_err(transport_error)?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = read_capped(response, ANSWER_MAX_BYTES).await?;
        let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok((headers, json));
        }
        Err(http_error(status, &headers, &json))
    }

    pub async fn list_templates(&self) -> Result<Vec<RemoteTemplate>, RelayError> {
        let url = self.account_endpoint(&["templates"]);
        let (_, json) = self
            .call(self.request(Method::GET, url, self.inner.timeout)?)
            .await?;
        Ok(templates::parse_list(&json))
    }

    /// A template with its body (inline, else fetched through its body link).
    pub async fn get_template(&self, id: &str) -> Result<(RemoteTemplate, String), RelayError> {
        let url = self.account_endpoint(&["templates", id]);
        let (_, json) = self
            .call(self.request(Method::GET, url, self.inner.timeout)?)
            .await?;
        let template = templates::parse_one(&json)
            .ok_or_else(|| RelayError::Unexpected("the template answer has no id".into()))?;
        if let Some(body) = &template.body {
            return Ok((template.clone(), body.clone()));
        }
        let Some(href) = &template.body_href else {
            return Ok((template, String::new()));
        };
        let url = self
            .inner
            .base
            .join(href)
            .map_err(|e| RelayError::Unexpected(format!("bad body link '{href}': {e}")))?;
        // The key goes only to Doppler's API: a link elsewhere is not followed at all.
        if url.origin() != self.inner.base.origin() {
            return Err(RelayError::Unexpected(format!(
                "the template body link points outside {} and was not followed",
                self.inner.base.origin().ascii_serialization()
            )));
        }
        let response = self
            .request(Method::GET, url, self.inner.timeout)?
            .header(header::ACCEPT, "text/html, text/plain, application/json")
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = read_capped(response, ANSWER_MAX_BYTES).await?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if !status.is_success() {
            let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            return Err(http_error(status, &headers, &json));
        }
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.contains("json"));
        let body = if is_json {
            serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| templates::inline_body(&v))
                .unwrap_or_default()
        } else {
            text
        };
        Ok((template, body))
    }

    /// Creates a template; answers its id.
    pub async fn create_template(&self, fields: &TemplateFields) -> Result<String, RelayError> {
        let url = self.account_endpoint(&["templates"]);
        let (headers, json) = self
            .call(
                self.request(Method::POST, url, self.inner.timeout)?
                    .json(fields),
            )
            .await?;
        let location = headers.get(header::LOCATION).and_then(|v| v.to_str().ok());
        outcome::message_id(&json, location)
            .ok_or_else(|| RelayError::Unexpected("the new template's id is missing".into()))
    }

    pub async fn update_template(
        &self,
        id: &str,
        fields: &TemplateFields,
    ) -> Result<(), RelayError> {
        let url = self.account_endpoint(&["templates", id]);
        self.call(
            self.request(Method::PUT, url, self.inner.timeout)?
                .json(fields),
        )
        .await
        .map(|_| ())
    }

    pub async fn delete_template(&self, id: &str) -> Result<(), RelayError> {
        let url = self.account_endpoint(&["templates", id]);
        self.call(self.request(Method::DELETE, url, self.inner.timeout)?)
            .await
            .map(|_| ())
    }

    /// One send, one request: never repeated here, whatever happens.
    async fn send(&self, url: Url, body: &impl serde::Serialize) -> SendOutcome {
        let builder = match self.request(Method::POST, url, self.inner.timeout) {
            Ok(b) => b,
            Err(err) => {
                return SendOutcome::Rejected {
                    code: err.code().into(),
                    message: err.message_es(self.inner.time_zone),
                }
            }
        };
        let response = match builder.json(body).send().await {
            Ok(response) => response,
            Err(err) => return outcome::classify_transport(&err),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        match response.bytes().await {
            Ok(body) => outcome::classify(status, &headers, &body),
            // The status line arrived but the body did not: judge by the status alone.
            Err(_) if (200..300).contains(&status) => outcome::classify(status, &headers, b""),
            Err(err) => outcome::classify_transport(&err),
        }
    }

    pub async fn send_template(&self, message: &TemplateMessage) -> SendOutcome {
        let url = self.account_endpoint(&["templates", &message.template_id, "message"]);
        self.send(url, message).await
    }

    pub async fn send_message(&self, message: &PlainMessage) -> SendOutcome {
        let url = self.account_endpoint(&["messages"]);
        self.send(url, message).await
    }

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

    /// A report file is fetched only over HTTPS from a configured host (loopback too in
    /// development, for the simulator): a link elsewhere is refused, not followed.
    fn check_file_link(&self, url: &Url) -> Result<(), RelayError> {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let allowed = (url.scheme() == "https" && self.inner.file_hosts.contains(&host))
            || (self.inner.debug && crate::config::is_loopback_host(url));
        if allowed {
            Ok(())
        } else {
            Err(RelayError::Unexpected(format!(
                "the report file link points at '{host}', which is not in DOPPLER_REPORT_FILE_HOSTS; it was not followed"
            )))
        }
    }
}

/// A response body, refused past `limit` bytes.
async fn read_capped(response: reqwest::Response, limit: usize) -> Result<Vec<u8>, RelayError> {
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(RelayError::TooLarge(limit as u64));
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(transport_error)?;
        if body.len() + chunk.len() > limit {
            return Err(RelayError::TooLarge(limit as u64));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
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

fn http_error(status: StatusCode, headers: &HeaderMap, json: &Value) -> RelayError {
    if status == StatusCode::PAYMENT_REQUIRED {
        if let Some(quota) = QuotaInfo::from_body(json) {
            return RelayError::Quota(quota);
        }
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        return RelayError::RateLimited {
            retry_after: outcome::retry_after(headers),
        };
    }
    let field = |k: &str| json.get(k).and_then(Value::as_str).map(str::to_string);
    RelayError::Http {
        status: status.as_u16(),
        title: field("title"),
        detail: field("detail"),
    }
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
