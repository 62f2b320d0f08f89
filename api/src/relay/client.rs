//! The Doppler Relay HTTP client: the shared connection pool and credentials, templates
//! and sends. Report requests are in `reports.rs`.

use std::sync::Arc;
use std::time::Duration;

use chrono_tz::Tz;
use futures::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, RequestBuilder, StatusCode};
use secrecy::ExposeSecret;
use serde_json::Value;
use url::Url;

use super::error::{QuotaInfo, RelayError};
use super::outcome::{self, SendOutcome};
use super::payload::{PlainMessage, TemplateFields, TemplateMessage};
use super::templates::{self, RemoteTemplate};
use crate::config::Config;

/// The most of a JSON answer or a template body read into memory.
pub(super) const ANSWER_MAX_BYTES: usize = 16 * 1024 * 1024;

#[derive(Clone)]
pub struct RelayClient {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) http: reqwest::Client,
    pub(super) base: Url,
    pub(super) account_id: i64,
    /// `{scheme} {key}`, marked sensitive; `None` without an API key.
    pub(super) authorization: Option<HeaderValue>,
    pub(super) timeout: Duration,
    pub(super) reports_timeout: Duration,
    pub(super) time_zone: Tz,
    /// Hosts a report file link may point at; loopback too when `debug`.
    pub(super) file_hosts: Vec<String>,
    pub(super) max_download_bytes: u64,
    pub(super) debug: bool,
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

pub(super) fn transport_error(err: reqwest::Error) -> RelayError {
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
    pub(super) fn endpoint(&self, segments: &[&str]) -> Url {
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

    pub(super) fn request(
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
    pub(super) async fn call(
        &self,
        builder: RequestBuilder,
    ) -> Result<(HeaderMap, Value), RelayError> {
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
}

/// A response body, refused past `limit` bytes.
pub(super) async fn read_capped(
    response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, RelayError> {
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

pub(super) fn http_error(status: StatusCode, headers: &HeaderMap, json: &Value) -> RelayError {
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
