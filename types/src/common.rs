//! Shapes every resource shares: pages, problems, health.

use serde::{Deserialize, Serialize};

/// One page of a list: `{items, total, page, page_size}`, pages are 1-based.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Number of items matching the filters, over all pages.
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

/// RFC 9457 problem details, with a stable machine `code` and a message in the
/// language asked for by `Accept-Language` (Spanish by default). Problems may carry
/// further members with machine-readable facts: `permission`, `limit_bytes`,
/// `retry_after`, `reset_at`, `missing_variables`, `rows` ...
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// URI reference naming the problem type (`about:blank` or a code URI).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// Human-readable explanation, in Spanish or English.
    pub detail: String,
    /// Stable machine-readable code, e.g. `auth_invalid_credentials`: one of [`ErrorCode`]'s
    /// (kept as text here, so that a client older than its server still reads the problem).
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ErrorCode))]
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The request field at fault, for validation errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Further machine-readable facts, as top-level members.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: crate::states::HealthStatus,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Readiness {
    pub status: crate::states::ReadinessStatus,
    pub database: bool,
    pub migrations_applied: bool,
    /// Migrations known to the binary but not applied to the database.
    pub pending_migrations: Vec<String>,
}

/// One check of the deployment: what it found, and what to do when it failed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SystemCheck {
    pub name: crate::SystemCheckName,
    pub ok: bool,
    /// What was found, in the caller's language (never a secret).
    pub detail: String,
    /// What to change, naming the setting, when the check failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub fix: Option<String>,
}

/// Every check of the deployment ("Probar conexión"); `ok` when none failed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SystemChecks {
    pub ok: bool,
    pub checks: Vec<SystemCheck>,
}

/// `n` with its digits in groups of three: `1.234.567` with `'.'` (Spanish), `1,234,567`
/// with `','` (English). The API's messages and the SPA's figures write numbers this way.
pub fn group_digits(n: i64, separator: char) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::group_digits;

    #[test]
    fn digits_are_grouped_by_three() {
        assert_eq!(group_digits(0, '.'), "0");
        assert_eq!(group_digits(999, '.'), "999");
        assert_eq!(group_digits(19430, '.'), "19.430");
        assert_eq!(group_digits(-1234567, ','), "-1,234,567");
    }
}
