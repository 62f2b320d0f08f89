//! Templates, attachments and single messages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::states::MessageStatus;

/// An e-mail address as a request gives it (checked by the API, which also warns about
/// unknown top-level domains such as `gmail.comm`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(pub String);

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Email {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        // No `maxLength` beside the format: an address is at most 254 characters by its
        // own definition, and generators cannot meet both at the boundary.
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Email {}

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
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = "\\S")
    )]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 998))]
    pub subject: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 254, format = Email))]
    pub from_email: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 255))]
    pub from_name: String,
    /// The HTML body, with `{{variables}}`.
    #[cfg_attr(feature = "openapi", schema(max_length = 200000))]
    pub html: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TemplatePatch {
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = "\\S", nullable = false)
    )]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_length = 998, nullable = false))]
    pub subject: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_length = 254, format = Email, nullable = false))]
    pub from_email: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_length = 255, nullable = false))]
    pub from_name: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_length = 200000, nullable = false))]
    pub html: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    /// A sender identity (one's own, or any with `senders.manage`); otherwise `from_email`
    /// (`senders.manage` only), else the caller's own identity, else the default.
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub sender_id: Option<i64>,
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_length = 254, format = Email, nullable = false))]
    pub from_email: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_length = 255, nullable = false))]
    pub from_name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 50))]
    pub to: Vec<Email>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub cc: Vec<Email>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub bcc: Vec<Email>,
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 998, pattern = "\\S")
    )]
    pub subject: String,
    /// The message's HTML (not empty).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200000))]
    pub html: String,
    /// A plain-text alternative, for mail clients that do not show HTML.
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_length = 200000, nullable = false))]
    pub text: Option<String>,
    /// At most 10, together within `MESSAGE_ATTACHMENTS_MAX_BYTES`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    pub attachment_ids: Vec<i64>,
    /// Makes the call safe to retry: the same id answers the message already sent.
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_length = 64, nullable = false))]
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
    /// `ambiguous`: it may have been sent; check before resending.
    pub status: MessageStatus,
    /// Doppler's id of the message.
    pub relay_message_id: String,
    pub error_code: String,
    pub error_message: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResolveMessage {
    /// `mark_sent`: it did go out (checked in Doppler); `resend`: send it once more.
    pub action: crate::ResolveAction,
}
