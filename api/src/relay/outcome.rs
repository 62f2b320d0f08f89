//! What a send's answer means for the recipient (legacy 4.3, SPEC 5.2).
//!
//! A send that may have reached Doppler is never repeated automatically: timeouts,
//! broken connections, 408 and 5xx are `Ambiguous`. Only answers that prove nothing was
//! sent (429, 402, a connection never established) allow trying again later.

use std::time::Duration;

use reqwest::header::HeaderMap;

use super::error::QuotaInfo;

#[derive(Debug, Clone, PartialEq)]
pub enum SendOutcome {
    /// Accepted; the Doppler message id (from the body, else the `Location` header).
    Sent { message_id: String },
    /// Refused for good (validation, unknown template ...): nothing was sent.
    Rejected { code: String, message: String },
    /// Maybe sent: never resent automatically, an operator decides.
    Ambiguous { code: String, message: String },
    /// 402: the account's quota is used up; nothing was sent.
    QuotaExceeded(QuotaInfo),
    /// 401 or 403: Doppler refused our credentials; nothing was sent, and nothing will be
    /// until the settings are fixed.
    CredentialsRefused { status: u16 },
    /// Nothing reached Doppler, or it refused for now (429): try again after the wait.
    NotSent {
        code: String,
        message: String,
        retry_after: Duration,
    },
}

impl SendOutcome {
    /// The outcome's kind, as metrics and logs name it.
    pub fn label(&self) -> &'static str {
        match self {
            SendOutcome::Sent { .. } => "sent",
            SendOutcome::Rejected { .. } => "rejected",
            SendOutcome::Ambiguous { .. } => "ambiguous",
            SendOutcome::QuotaExceeded(_) => "quota_exceeded",
            SendOutcome::CredentialsRefused { .. } => "credentials_refused",
            SendOutcome::NotSent { .. } => "not_sent",
        }
    }
}

/// How long to wait before trying again when Doppler could not be reached at all.
pub const UNREACHABLE_RETRY: Duration = Duration::from_secs(2);

/// The longest a `Retry-After` makes a send wait: a larger (or absurd) value must not stall it.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// `Retry-After` in seconds or as an HTTP date, clamped between half a second and
/// [`MAX_RETRY_AFTER`]; 1 s when absent or unreadable (negative, NaN, infinite ...).
pub fn retry_after(headers: &HeaderMap) -> Duration {
    let parsed = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.trim()
                .parse::<f64>()
                .ok()
                .filter(|secs| secs.is_finite())
                .and_then(|secs| Duration::try_from_secs_f64(secs.min(1e9)).ok())
                .or_else(|| {
                    chrono::DateTime::parse_from_rfc2822(v.trim())
                        .ok()
                        .and_then(|at| {
                            (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
                                .to_std()
                                .ok()
                        })
                })
        });
    parsed
        .unwrap_or(Duration::from_secs(1))
        .clamp(Duration::from_millis(500), MAX_RETRY_AFTER)
}

/// The message id of an accepted send: body fields first, then the last `Location` segment.
pub fn message_id(body: &serde_json::Value, location: Option<&str>) -> Option<String> {
    ["messageId", "message_id", "createdResourceId", "id"]
        .iter()
        .find_map(|k| match body.get(*k) {
            Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
        .or_else(|| {
            location
                .map(|l| l.split('?').next().unwrap_or(l).trim_end_matches('/'))
                .and_then(|l| l.rsplit('/').next())
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        })
}

fn problem_text(body: &serde_json::Value) -> String {
    let mut parts = Vec::new();
    for key in ["title", "detail"] {
        if let Some(s) = body.get(key).and_then(serde_json::Value::as_str) {
            if !s.is_empty() {
                parts.push(s.to_string());
            }
        }
    }
    if let Some(errors) = body.get("errors") {
        parts.push(format!("errors: {errors}"));
    }
    parts.join(" — ")
}

/// Classifies a send's HTTP answer.
pub fn classify(status: u16, headers: &HeaderMap, body: &[u8]) -> SendOutcome {
    let json: serde_json::Value = serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
    let location = headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok());
    match status {
        200..=299 => match message_id(&json, location) {
            Some(message_id) => SendOutcome::Sent { message_id },
            // Accepted, but the answer names no message: it was sent, the id is unknown.
            None => SendOutcome::Sent {
                message_id: String::new(),
            },
        },
        // Any 402 is the quota (docs/doppler.md: no source shows its body).
        402 => SendOutcome::QuotaExceeded(QuotaInfo::from_body(&json)),
        401 | 403 => SendOutcome::CredentialsRefused { status },
        429 => SendOutcome::NotSent {
            code: "doppler_http_429".into(),
            message: "Doppler Relay limitó la frecuencia de envíos (HTTP 429).".into(),
            retry_after: retry_after(headers),
        },
        408 | 500..=599 => SendOutcome::Ambiguous {
            code: format!("doppler_http_{status}"),
            message: format!("HTTP {status} {}", problem_text(&json))
                .trim()
                .into(),
        },
        _ => SendOutcome::Rejected {
            code: format!("doppler_http_{status}"),
            message: format!("HTTP {status} {}", problem_text(&json))
                .trim()
                .into(),
        },
    }
}

/// Classifies a send that got no HTTP answer.
pub fn classify_transport(err: &reqwest::Error) -> SendOutcome {
    let (code, message) = if err.is_timeout() {
        (
            "timeout",
            "Doppler Relay no respondió a tiempo; el envío pudo haberse realizado.",
        )
    } else if err.is_connect() {
        // The connection was never made: nothing reached Doppler.
        return SendOutcome::NotSent {
            code: "connection_refused".into(),
            message: "No se pudo conectar con Doppler Relay; no se envió nada.".into(),
            retry_after: UNREACHABLE_RETRY,
        };
    } else {
        (
            "connection_error",
            "La conexión con Doppler Relay se cortó; el envío pudo haberse realizado.",
        )
    };
    SendOutcome::Ambiguous {
        code: code.into(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{self, HeaderValue};

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn accepted_sends_take_the_id_from_the_body_or_the_location() {
        let body = br#"{"createdResourceId":"abc-1"}"#;
        assert_eq!(
            classify(201, &HeaderMap::new(), body),
            SendOutcome::Sent {
                message_id: "abc-1".into()
            }
        );
        let h = headers(&[(header::LOCATION, "/accounts/1/messages/xyz-9")]);
        assert_eq!(
            classify(201, &h, b""),
            SendOutcome::Sent {
                message_id: "xyz-9".into()
            }
        );
        assert_eq!(
            classify(200, &h, br#"{"messageId":"m-2"}"#),
            SendOutcome::Sent {
                message_id: "m-2".into()
            }
        );
    }

    #[test]
    fn failures_are_classified_as_legacy_4_3() {
        let h = HeaderMap::new();
        assert!(
            matches!(classify(400, &h, br#"{"title":"Validation error"}"#), SendOutcome::Rejected { code, .. } if code == "doppler_http_400")
        );
        assert!(matches!(
            classify(404, &h, b""),
            SendOutcome::Rejected { .. }
        ));
        assert!(
            matches!(classify(500, &h, b""), SendOutcome::Ambiguous { code, .. } if code == "doppler_http_500")
        );
        assert!(matches!(
            classify(503, &h, b""),
            SendOutcome::Ambiguous { .. }
        ));
        assert!(matches!(
            classify(408, &h, b""),
            SendOutcome::Ambiguous { .. }
        ));
        let quota = br#"{"errorCode":1,"resetDate":"2025-11-01T00:00:00Z","deliveriesCount":5,"limit":5,"period":"monthly"}"#;
        assert!(
            matches!(classify(402, &h, quota), SendOutcome::QuotaExceeded(q) if q.limit == Some(5))
        );
    }

    #[test]
    fn rate_limits_wait_as_told() {
        let h = headers(&[(header::RETRY_AFTER, "3")]);
        assert!(
            matches!(classify(429, &h, b""), SendOutcome::NotSent { retry_after, .. } if retry_after == Duration::from_secs(3))
        );
        assert_eq!(retry_after(&HeaderMap::new()), Duration::from_secs(1));
        assert_eq!(
            retry_after(&headers(&[(header::RETRY_AFTER, "0.1")])),
            Duration::from_millis(500)
        );
    }

    #[test]
    fn absurd_retry_after_values_neither_panic_nor_stall() {
        for unreadable in ["-5", "NaN", "inf", "-inf", "soon"] {
            let wait = retry_after(&headers(&[(header::RETRY_AFTER, unreadable)]));
            assert_eq!(wait, Duration::from_secs(1), "{unreadable}");
        }
        for huge in ["1e300", "99999999999"] {
            let wait = retry_after(&headers(&[(header::RETRY_AFTER, huge)]));
            assert_eq!(wait, MAX_RETRY_AFTER, "{huge}");
        }
        assert_eq!(
            retry_after(&headers(&[(header::RETRY_AFTER, "86400")])),
            MAX_RETRY_AFTER
        );
    }
}
