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
use crate::config::{AuthScheme, Config};

/// Template list pages read at most (200 templates each).
const MAX_TEMPLATE_PAGES: usize = 100;

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
    /// The same key under the other scheme, for `relay-console doctor` to tell a wrong
    /// `DOPPLER_RELAY_AUTH_SCHEME` from a wrong key; never used to send.
    pub(super) other_scheme: Option<(AuthScheme, HeaderValue)>,
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
        let header = |scheme: AuthScheme| -> anyhow::Result<Option<HeaderValue>> {
            let Some(key) = &config.relay.api_key else {
                return Ok(None);
            };
            let mut value =
                HeaderValue::from_str(&format!("{} {}", scheme.as_str(), key.expose_secret()))
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "DOPPLER_RELAY_API_KEY: contains characters not allowed in a header"
                        )
                    })?;
            value.set_sensitive(true);
            Ok(Some(value))
        };
        let authorization = header(config.relay.auth_scheme)?;
        let other = config.relay.auth_scheme.other();
        let other_scheme = header(other)?.map(|value| (other, value));
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
                other_scheme,
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

    /// Every template, page after page: Doppler pages its collections (`items`, a `next`
    /// link, `pagesCount`). At most [`MAX_TEMPLATE_PAGES`] pages are read.
    pub async fn list_templates(&self) -> Result<Vec<RemoteTemplate>, RelayError> {
        let mut url = self.account_endpoint(&["templates"]);
        url.query_pairs_mut().append_pair("per_page", "200");
        let mut all = Vec::new();
        for page in 1..=MAX_TEMPLATE_PAGES {
            let (_, json) = self
                .call(self.request(Method::GET, url.clone(), self.inner.timeout)?)
                .await?;
            all.extend(templates::parse_list(&json));
            let next = match templates::next_page(&json, page) {
                Some(templates::NextPage::Link(href)) => self.same_origin(&href)?,
                Some(templates::NextPage::Number(n)) => {
                    let mut next = self.account_endpoint(&["templates"]);
                    next.query_pairs_mut()
                        .append_pair("page", &n.to_string())
                        .append_pair("per_page", "200");
                    next
                }
                None => return Ok(all),
            };
            url = next;
        }
        Err(RelayError::Unexpected(format!(
            "the template list has more than {MAX_TEMPLATE_PAGES} pages"
        )))
    }

    /// A link of Doppler's, resolved against the API's base URL; refused when it leads
    /// anywhere else (the key goes only to Doppler's API).
    fn same_origin(&self, href: &str) -> Result<Url, RelayError> {
        let url = self
            .inner
            .base
            .join(href)
            .map_err(|e| RelayError::Unexpected(format!("bad link '{href}': {e}")))?;
        if url.origin() != self.inner.base.origin() {
            return Err(RelayError::Unexpected(format!(
                "a link in Doppler's answer points outside {} and was not followed",
                self.inner.base.origin().ascii_serialization()
            )));
        }
        Ok(url)
    }

    /// A template with its body: inline in the detail when it has one, else through the
    /// detail's body link, else from `GET .../templates/{id}/body` (Doppler's web app does
    /// this last; the answer is `{name, html}`, plain HTML tolerated).
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
        let url = match &template.body_href {
            Some(href) => self.same_origin(href)?,
            None => self.account_endpoint(&["templates", id, "body"]),
        };
        let response = self
            .request(Method::GET, url, self.inner.timeout)?
            .header(header::ACCEPT, "application/json, text/html")
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

    /// `PUT .../templates/{id}/body {"html": ...}`: how Doppler's web app writes a body.
    async fn put_body(&self, id: &str, html: &str) -> Result<(), RelayError> {
        let url = self.account_endpoint(&["templates", id, "body"]);
        self.call(
            self.request(Method::PUT, url, self.inner.timeout)?
                .json(&serde_json::json!({ "html": html })),
        )
        .await
        .map(|_| ())
    }

    /// Creates a template (its metadata, then its body); answers its id.
    pub async fn create_template(&self, fields: &TemplateFields) -> Result<String, RelayError> {
        let url = self.account_endpoint(&["templates"]);
        let (headers, json) = self
            .call(
                self.request(Method::POST, url, self.inner.timeout)?
                    .json(&fields.metadata()),
            )
            .await?;
        let location = headers.get(header::LOCATION).and_then(|v| v.to_str().ok());
        let id = outcome::message_id(&json, location)
            .ok_or_else(|| RelayError::Unexpected("the new template's id is missing".into()))?;
        if let Some(html) = &fields.body {
            self.put_body(&id, html).await?;
        }
        Ok(id)
    }

    /// Changes a template: its metadata with the template call, its body through `.../body`.
    pub async fn update_template(
        &self,
        id: &str,
        fields: &TemplateFields,
    ) -> Result<(), RelayError> {
        if fields.has_metadata() {
            let url = self.account_endpoint(&["templates", id]);
            self.call(
                self.request(Method::PUT, url, self.inner.timeout)?
                    .json(&fields.metadata()),
            )
            .await?;
        }
        if let Some(html) = &fields.body {
            self.put_body(id, html).await?;
        }
        Ok(())
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
                    code: err.code().as_str().into(),
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
        return RelayError::Quota(QuotaInfo::from_body(json));
    }
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        return RelayError::Credentials {
            status: status.as_u16(),
        };
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
