//! Read-only calls `relay-console doctor` and `GET /api/v1/system/checks` make: whether
//! Doppler takes our credentials (and, when not, whether the other scheme would), and the
//! account's sending limits when Doppler's limits endpoint answers.

use reqwest::header;
use reqwest::Method;
use serde_json::Value;

use super::client::{http_error, read_capped, transport_error, RelayClient, ANSWER_MAX_BYTES};
use super::error::RelayError;

/// What a templates call with our credentials says.
#[derive(Debug, Clone, PartialEq)]
pub enum Credentials {
    /// Taken: the account holds this many templates.
    Accepted { templates: usize },
    /// Refused with our scheme, taken with the other one.
    WrongScheme { works_with: &'static str },
    /// Refused (401/403) whatever the scheme.
    Refused { status: u16 },
    /// No answer, or an answer that says nothing about the credentials.
    Failed(RelayError),
}

/// One of the account's limits (`limit-status` in Doppler's docs).
#[derive(Debug, Clone, PartialEq)]
pub struct LimitStatus {
    /// `monthly`, `daily` or `hourly`.
    pub period: &'static str,
    pub limit: i64,
    pub remaining: i64,
    pub reset: Option<String>,
}

impl RelayClient {
    pub async fn check_credentials(&self) -> Credentials {
        match self.list_templates().await {
            Ok(list) => Credentials::Accepted {
                templates: list.len(),
            },
            Err(RelayError::Credentials { status }) => {
                let Some((other, value)) = &self.inner.other_scheme else {
                    return Credentials::Refused { status };
                };
                let url =
                    self.endpoint(&["accounts", &self.inner.account_id.to_string(), "templates"]);
                let answer = self
                    .inner
                    .http
                    .get(url)
                    .timeout(self.inner.timeout)
                    .header(header::AUTHORIZATION, value.clone())
                    .header(header::ACCEPT, "application/json")
                    .send()
                    .await;
                match answer {
                    Ok(response) if response.status().is_success() => Credentials::WrongScheme {
                        works_with: other.as_str(),
                    },
                    _ => Credentials::Refused { status },
                }
            }
            Err(other) => Credentials::Failed(other),
        }
    }

    /// `GET /accounts/{id}/status/limits`; `None` when Doppler has no such endpoint here.
    pub async fn limits(&self) -> Result<Option<Vec<LimitStatus>>, RelayError> {
        let url = self.endpoint(&[
            "accounts",
            &self.inner.account_id.to_string(),
            "status",
            "limits",
        ]);
        let response = self
            .request(Method::GET, url, self.inner.timeout)?
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = read_capped(response, ANSWER_MAX_BYTES).await?;
        let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(http_error(status, &headers, &json));
        }
        Ok(Some(
            ["monthly", "daily", "hourly"]
                .into_iter()
                .filter_map(|period| {
                    let item = json.get(period)?;
                    Some(LimitStatus {
                        period,
                        limit: item.get("limit")?.as_i64()?,
                        remaining: item.get("remaining")?.as_i64()?,
                        reset: item
                            .get("reset")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                    })
                })
                .collect(),
        ))
    }
}
