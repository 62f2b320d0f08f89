//! Failures of Doppler calls other than sends, and the quota error shared with sends.

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::error::{AppError, ErrorCode, ErrorKind};

/// Doppler's 402 answer when the account's delivery quota is used up.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaInfo {
    pub reset_at: Option<DateTime<Utc>>,
    pub deliveries_count: Option<i64>,
    pub limit: Option<i64>,
    pub period: Option<String>,
}

impl QuotaInfo {
    /// What a 402 says. Doppler's public code shows no quota body (docs/doppler.md): the
    /// legacy app's fields (`resetDate`, `deliveriesCount`, `limit`, `period`) are read when
    /// they come, and a 402 without them still means "quota used up".
    pub fn from_body(body: &serde_json::Value) -> QuotaInfo {
        QuotaInfo {
            reset_at: body
                .get("resetDate")
                .or_else(|| body.get("reset"))
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
        }
    }

    /// `10.000/10.000` (es) or `10,000/10,000` (en).
    fn counts(&self, separator: char) -> String {
        let grouped = |n: i64| relay_types::group_digits(n, separator);
        match (self.deliveries_count, self.limit) {
            (Some(d), Some(l)) => format!("{}/{}", grouped(d), grouped(l)),
            _ => "?".into(),
        }
    }

    /// Doppler's `period` in words (`monthly` → "al mes"); an unknown one as it came.
    fn period_words(&self, spanish: bool) -> String {
        let period = self.period.as_deref().unwrap_or("");
        match (period, spanish) {
            ("monthly", true) => "al mes".into(),
            ("daily", true) => "al día".into(),
            ("hourly", true) => "por hora".into(),
            ("monthly", false) => "a month".into(),
            ("daily", false) => "a day".into(),
            ("hourly", false) => "an hour".into(),
            (other, _) => other.into(),
        }
    }

    fn local_reset(&self, tz: Tz, format: &str) -> String {
        self.reset_at
            .map(|at| at.with_timezone(&tz).format(format).to_string())
            .unwrap_or_else(|| "?".into())
    }

    /// The legacy wording, with the reset time in the deployment's time zone.
    pub fn message_es(&self, tz: Tz) -> String {
        if self.reset_at.is_none() && self.limit.is_none() {
            return "Doppler Relay respondió 402: se alcanzó el límite de envíos de la cuenta (no indicó cuándo se reinicia).".into();
        }
        format!(
            "Se ha alcanzado el límite de envíos ({} envíos {}). El límite se reiniciará el {} hora local.",
            self.counts('.'),
            self.period_words(true),
            self.local_reset(tz, "%d/%m/%Y a las %H:%M")
        )
        .replace("  ", " ")
    }

    pub fn message_en(&self, tz: Tz) -> String {
        if self.reset_at.is_none() && self.limit.is_none() {
            return "Doppler Relay answered 402: the account's sending limit was reached (it did not say when it resets).".into();
        }
        format!(
            "The sending quota was reached ({} deliveries {}). It resets on {} local time ({}).",
            self.counts(','),
            self.period_words(false),
            self.local_reset(tz, "%Y-%m-%d %H:%M"),
            tz.name()
        )
        .replace("  ", " ")
    }
}

/// What a 401/403 from Doppler means, naming the settings to check.
pub fn credentials_es(status: u16) -> String {
    format!(
        "Doppler Relay rechazó las credenciales (HTTP {status}): revise DOPPLER_RELAY_API_KEY, \
         DOPPLER_RELAY_AUTH_SCHEME (Bearer o token) y DOPPLER_RELAY_ACCOUNT_ID. No se envió nada."
    )
}

pub fn credentials_en(status: u16) -> String {
    format!(
        "Doppler Relay refused the credentials (HTTP {status}): check DOPPLER_RELAY_API_KEY, \
         DOPPLER_RELAY_AUTH_SCHEME (Bearer or token) and DOPPLER_RELAY_ACCOUNT_ID. Nothing was sent."
    )
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
    /// 401 or 403: the key, its scheme or the account is wrong.
    Credentials {
        status: u16,
    },
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
    pub fn code(&self) -> ErrorCode {
        match self {
            RelayError::NotConfigured => ErrorCode::DopplerNotConfigured,
            RelayError::Timeout => ErrorCode::DopplerTimeout,
            RelayError::Connection(_) => ErrorCode::DopplerUnreachable,
            RelayError::Http { .. } => ErrorCode::DopplerError,
            RelayError::Quota(_) => ErrorCode::DopplerQuotaExceeded,
            RelayError::Credentials { .. } => ErrorCode::RelayCredentials,
            RelayError::RateLimited { .. } => ErrorCode::DopplerRateLimited,
            RelayError::Unexpected(_) => ErrorCode::DopplerUnexpectedResponse,
            RelayError::Storage(_) => ErrorCode::ReportStorageFailed,
            RelayError::TooLarge(_) => ErrorCode::DopplerAnswerTooLarge,
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
            RelayError::Credentials { status } => credentials_es(*status),
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
            RelayError::Credentials { status } => credentials_en(*status),
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
                ErrorCode::DopplerNotFound,
                self.message_es(tz),
                self.message_en(tz),
            )
        } else {
            AppError::upstream(self.code(), self.message_es(tz), self.message_en(tz))
        };
        if let RelayError::Http { status, .. } | RelayError::Credentials { status } = &self {
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
        }));
        assert_eq!(
            q.message_es(chrono_tz::America::Guayaquil),
            "Se ha alcanzado el límite de envíos (10.000/10.000 envíos al mes). El límite se reiniciará el 31/10/2025 a las 19:00 hora local."
        );
        // A bare 402 is still the quota, said plainly.
        let bare = QuotaInfo::from_body(&serde_json::json!({ "title": "Payment Required" }));
        assert_eq!(bare.reset_at, None);
        assert!(bare
            .message_es(chrono_tz::America::Guayaquil)
            .contains("no indicó cuándo"));
    }
}
