//! Failures of Doppler calls other than sends, and the quota error shared with sends.

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::error::{AppError, ErrorKind};

/// Doppler's 402 answer when the account's delivery quota is used up.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaInfo {
    pub reset_at: Option<DateTime<Utc>>,
    pub deliveries_count: Option<i64>,
    pub limit: Option<i64>,
    pub period: Option<String>,
}

impl QuotaInfo {
    pub fn from_body(body: &serde_json::Value) -> Option<QuotaInfo> {
        if body.get("errorCode").and_then(serde_json::Value::as_i64) != Some(1) {
            return None;
        }
        Some(QuotaInfo {
            reset_at: body
                .get("resetDate")
                .and_then(serde_json::Value::as_str)
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|d| d.with_timezone(&Utc)),
            deliveries_count: body
                .get("deliveriesCount")
                .and_then(serde_json::Value::as_i64),
            limit: body.get("limit").and_then(serde_json::Value::as_i64),
            period: body
                .get("period")
                .and_then(serde_json::Value::as_str)
                .map(str::to_string),
        })
    }

    fn counts(&self) -> String {
        match (self.deliveries_count, self.limit) {
            (Some(d), Some(l)) => format!("{d}/{l}"),
            _ => "?".into(),
        }
    }

    fn local_reset(&self, tz: Tz) -> String {
        self.reset_at
            .map(|at| {
                at.with_timezone(&tz)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_else(|| "?".into())
    }

    /// The legacy wording, with the reset time in the deployment's time zone.
    pub fn message_es(&self, tz: Tz) -> String {
        format!(
            "Se ha alcanzado el límite de envíos ({} envíos {}). El límite se reiniciará el {} hora local.",
            self.counts(),
            self.period.as_deref().unwrap_or(""),
            self.local_reset(tz)
        )
        .replace("  ", " ")
    }

    pub fn message_en(&self, tz: Tz) -> String {
        format!(
            "The sending quota was reached ({} deliveries {}). It resets on {} local time ({}).",
            self.counts(),
            self.period.as_deref().unwrap_or(""),
            self.local_reset(tz),
            tz.name()
        )
        .replace("  ", " ")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum RelayError {
    /// No `DOPPLER_RELAY_API_KEY`.
    NotConfigured,
    Timeout,
    Connection(String),
    Http {
        status: u16,
        title: Option<String>,
        detail: Option<String>,
    },
    Quota(QuotaInfo),
    RateLimited {
        retry_after: Duration,
    },
    /// The answer could not be understood.
    Unexpected(String),
    /// Writing a download to disk failed.
    Storage(String),
    /// The answer or file was larger than we accept (bytes).
    TooLarge(u64),
}

impl RelayError {
    pub fn code(&self) -> &'static str {
        match self {
            RelayError::NotConfigured => "doppler_not_configured",
            RelayError::Timeout => "doppler_timeout",
            RelayError::Connection(_) => "doppler_unreachable",
            RelayError::Http { .. } => "doppler_error",
            RelayError::Quota(_) => "doppler_quota_exceeded",
            RelayError::RateLimited { .. } => "doppler_rate_limited",
            RelayError::Unexpected(_) => "doppler_unexpected_response",
            RelayError::Storage(_) => "report_storage_failed",
            RelayError::TooLarge(_) => "doppler_answer_too_large",
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, RelayError::Http { status: 404, .. })
    }

    fn http_text(status: u16, title: &Option<String>, detail: &Option<String>) -> String {
        let mut text = format!("HTTP {status}");
        for part in [title, detail].into_iter().flatten() {
            if !part.is_empty() {
                text.push_str(": ");
                text.push_str(part);
            }
        }
        text
    }

    pub fn message_es(&self, tz: Tz) -> String {
        match self {
            RelayError::NotConfigured => {
                "Doppler Relay no está configurado (falta DOPPLER_RELAY_API_KEY).".into()
            }
            RelayError::Timeout => "Doppler Relay no respondió a tiempo.".into(),
            RelayError::Connection(e) => format!("No se pudo conectar con Doppler Relay: {e}"),
            RelayError::Http {
                status,
                title,
                detail,
            } => {
                format!(
                    "Doppler Relay respondió con error ({}).",
                    Self::http_text(*status, title, detail)
                )
            }
            RelayError::Quota(q) => q.message_es(tz),
            RelayError::RateLimited { retry_after } => format!(
                "Doppler Relay limitó la frecuencia de llamadas; reintenta en {} s.",
                retry_after.as_secs().max(1)
            ),
            RelayError::Unexpected(e) => format!("Respuesta inesperada de Doppler Relay: {e}"),
            RelayError::Storage(e) => format!("No se pudo guardar el archivo descargado: {e}"),
            RelayError::TooLarge(limit) => format!(
                "La respuesta de Doppler Relay supera el límite de {} y se descartó.",
                crate::error::human_bytes(*limit)
            ),
        }
    }

    pub fn message_en(&self, tz: Tz) -> String {
        match self {
            RelayError::NotConfigured => {
                "Doppler Relay is not configured (DOPPLER_RELAY_API_KEY is missing).".into()
            }
            RelayError::Timeout => "Doppler Relay did not answer in time.".into(),
            RelayError::Connection(e) => format!("Could not connect to Doppler Relay: {e}"),
            RelayError::Http {
                status,
                title,
                detail,
            } => {
                format!(
                    "Doppler Relay answered with an error ({}).",
                    Self::http_text(*status, title, detail)
                )
            }
            RelayError::Quota(q) => q.message_en(tz),
            RelayError::RateLimited { retry_after } => format!(
                "Doppler Relay rate-limited the call; retry in {} s.",
                retry_after.as_secs().max(1)
            ),
            RelayError::Unexpected(e) => format!("Unexpected answer from Doppler Relay: {e}"),
            RelayError::Storage(e) => format!("The downloaded file could not be stored: {e}"),
            RelayError::TooLarge(limit) => format!(
                "Doppler Relay's answer is over the limit of {} and was dropped.",
                crate::error::human_bytes(*limit)
            ),
        }
    }

    /// A 502 problem naming what went wrong (404 stays 404).
    pub fn into_app_error(self, tz: Tz) -> AppError {
        let mut err = if self.is_not_found() {
            AppError::new(
                ErrorKind::NotFound,
                "doppler_not_found",
                self.message_es(tz),
                self.message_en(tz),
            )
        } else {
            AppError::upstream(self.code(), self.message_es(tz), self.message_en(tz))
        };
        if let RelayError::Http { status, .. } = &self {
            err = err.with("upstream_status", *status);
        }
        if let RelayError::Quota(q) = &self {
            if let Some(at) = q.reset_at {
                err = err.with("reset_at", at.to_rfc3339());
            }
        }
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_message_shows_the_reset_in_local_time() {
        let q = QuotaInfo::from_body(&serde_json::json!({
            "errorCode": 1, "resetDate": "2025-11-01T00:00:00Z", "deliveriesCount": 10000, "limit": 10000, "period": "monthly"
        }))
        .unwrap();
        assert_eq!(
            q.message_es(chrono_tz::America::Guayaquil),
            "Se ha alcanzado el límite de envíos (10000/10000 envíos monthly). El límite se reiniciará el 2025-10-31 19:00:00 hora local."
        );
        assert!(QuotaInfo::from_body(&serde_json::json!({ "errorCode": 2 })).is_none());
    }
}
