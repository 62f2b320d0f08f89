//! Templates, attachments and single messages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateSummary {
    pub id: String,
    pub name: String,
    pub subject: String,
    pub from_email: String,
    pub from_name: String,
    /// `"{name} (id={id})"`, as the legacy select showed it.
    pub label: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateList {
    pub items: Vec<TemplateSummary>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
    /// The list came from the shared cache rather than from Doppler just now.
    pub cached: bool,
    /// When the list was fetched from Doppler.
    pub fetched_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateDetail {
    pub id: String,
    pub name: String,
    pub subject: String,
    pub from_email: String,
    pub from_name: String,
    /// The HTML body (through Doppler's `get-template-body` link).
    pub html: String,
    /// Variables the body uses (`{{name}}`, `{{{name}}}`), case preserved, in order of appearance.
    pub variables: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateInput {
    pub name: String,
    pub subject: String,
    pub from_email: String,
    #[serde(default)]
    pub from_name: String,
    /// The HTML body, with `{{variables}}`.
    pub html: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplatePatch {
    pub name: Option<String>,
    pub subject: Option<String>,
    pub from_email: Option<String>,
    pub from_name: Option<String>,
    pub html: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreviewRequest {
    /// Values by variable name (for example the first CSV row).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub variables: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreviewResponse {
    pub subject: String,
    /// The body rendered as Doppler's Mustache would: `{{x}}` escaped, `{{{x}}}` raw, unknown names empty.
    pub html: String,
    pub variables: Vec<String>,
    /// Variables the body uses that the given values lack.
    pub missing_variables: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    pub id: i64,
    /// The uploaded file's name (display only; files are stored under generated names).
    pub name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendMessage {
    /// A sender identity; otherwise `from_email`, else the caller's own identity, else the default.
    #[serde(default)]
    pub sender_id: Option<i64>,
    #[serde(default)]
    pub from_email: Option<String>,
    #[serde(default)]
    pub from_name: Option<String>,
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    #[serde(default)]
    pub bcc: Vec<String>,
    pub subject: String,
    #[serde(default)]
    pub html: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub attachment_ids: Vec<i64>,
    /// Makes the call safe to retry: the same id answers the message already sent.
    #[serde(default)]
    pub client_request_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    pub id: i64,
    pub client_request_id: Option<String>,
    pub created_by: Option<String>,
    pub from_email: String,
    pub from_name: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub subject: String,
    pub html: Option<String>,
    pub text: Option<String>,
    pub attachment_ids: Vec<i64>,
    /// `sent`, `send_failed` or `ambiguous` (may have been sent: check before resending).
    pub status: String,
    /// Doppler's id of the message.
    pub relay_message_id: String,
    pub error_code: String,
    pub error_message: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResolveMessage {
    /// `mark_sent`: it did go out (checked in Doppler); `resend`: send it once more.
    pub action: crate::ResolveAction,
}
