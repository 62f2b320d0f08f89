//! Recipient CSVs, bulk sends, their recipients, and background jobs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::states::{
    BulkEventKind, BulkSendStatus, JobState, JobType, SendStatus, ValidationStatus,
};

/// One row of a CSV preview.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreviewRow {
    /// 1-based data row (the header and blank lines are not counted).
    pub row_number: u64,
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub variables: serde_json::Map<String, serde_json::Value>,
    /// `warning`: importable, look at it; `invalid`: not sent.
    pub status: ValidationStatus,
    /// The verdict code, empty when valid.
    pub code: String,
    pub message: String,
}

/// Why a file cannot be imported at all (no e-mail column, not a CSV, too many rows ...).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CsvProblem {
    /// Stable code, e.g. `email_column_missing`: one of [`crate::ErrorCode`]'s.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ErrorCode))]
    pub code: String,
    /// What is wrong and what to do, in the request's language.
    pub message: String,
    /// The form field at fault (`file` or `mapping`).
    pub field: String,
}

/// What the importer concludes about a recipient CSV, without storing anything.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CsvPreview {
    /// Set when the file cannot be imported; the other members then say what could be read.
    pub problem: Option<CsvProblem>,
    /// `utf-8`, `utf-8-sig` (with BOM), `windows-1252` or `utf-16le`/`utf-16be`.
    pub encoding: String,
    pub delimiter: String,
    pub headers: Vec<String>,
    /// The column read as the address: the one asked for (`email_column`), else one named
    /// like it, else the first of `email_candidates`.
    pub email_column: String,
    /// Columns whose first values look like addresses, best first (what the e-mail column
    /// picker suggests).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 500))]
    pub email_candidates: Vec<String>,
    pub total_rows: u64,
    /// Importable rows, those with warnings included.
    pub valid_rows: u64,
    pub invalid_rows: u64,
    pub warning_rows: u64,
    /// Rows per verdict code, warnings included.
    pub error_counts: std::collections::BTreeMap<String, u64>,
    /// Variables the template uses that no column (or mapping) provides.
    pub missing_variables: Vec<String>,
    /// For a missing variable, the column that names the same thing (case, accents, spacing,
    /// singular or plural aside: `Nombre` for `{{nombres}}`): `{variable: column}`.
    #[serde(default)]
    pub suggested_mapping: std::collections::BTreeMap<String, String>,
    /// The template's variables, when a template was given.
    pub template_variables: Vec<String>,
    /// The first 10 rows.
    pub rows: Vec<PreviewRow>,
    /// Rows with an error or a warning (at most 1000, without their variables), to list and
    /// download before creating the send.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 1000))]
    pub problem_rows: Vec<PreviewRow>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkCounts {
    /// Data rows in the file.
    pub total: i64,
    /// Importable rows (warnings included).
    pub valid: i64,
    pub invalid: i64,
    pub warnings: i64,
    /// Valid rows not sent yet.
    pub pending: i64,
    pub sending: i64,
    pub sent: i64,
    pub failed: i64,
    /// May have been sent: an operator decides (mark sent, or resend).
    pub ambiguous: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecipientsFile {
    pub name: String,
    pub size_bytes: i64,
    pub encoding: String,
    pub delimiter: String,
    pub email_column: String,
    /// The file's columns (at most 500): in a single send's answer only, left out of lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_items = 500, nullable = false))]
    pub headers: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkSend {
    pub id: i64,
    pub client_request_id: Option<String>,
    pub template_id: String,
    pub template_name: String,
    /// Empty: the template's subject is used.
    pub subject: String,
    pub sender_id: Option<i64>,
    pub from_email: String,
    pub from_name: String,
    /// Template variable → CSV column.
    pub mapping: std::collections::BTreeMap<String, String>,
    pub attachment_ids: Vec<i64>,
    pub status: BulkSendStatus,
    /// Why it is paused or failed: `operator`, `quota_exceeded`, `doppler_unavailable`, ...
    pub status_reason: String,
    /// What happened, in Spanish (`status_message_en`: in English), e.g. "Pausado por ana".
    pub status_message: String,
    pub status_message_en: String,
    pub counts: BulkCounts,
    pub file: RecipientsFile,
    pub import_error: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub queued_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// When a paused send may go on (the quota's reset time).
    pub resume_at: Option<DateTime<Utc>>,
    /// Seconds spent sending, pauses left out (for the rate and the time left): in a
    /// single send's answer only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub sending_seconds: Option<i64>,
    /// This send's own delivery report.
    pub report: crate::reports::BulkReportStatus,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recipient {
    pub id: i64,
    pub row_number: i64,
    pub email: String,
    pub email_normalized: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub variables: serde_json::Value,
    pub validation_status: ValidationStatus,
    pub validation_code: String,
    pub validation_message: String,
    pub send_status: SendStatus,
    pub attempts: i64,
    /// Doppler's id of the message sent to this recipient.
    pub message_id: String,
    pub error_code: String,
    pub error_message: String,
    pub send_started_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResolveAction {
    /// The message did go out (checked in Doppler): count it as sent.
    MarkSent,
    /// It did not: send it again (once, explicitly).
    Resend,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResolveAmbiguous {
    pub action: ResolveAction,
    /// The ambiguous recipients to resolve (at most 5000); all of the bulk send's when absent.
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_items = 5000, nullable = false))]
    pub recipient_ids: Option<Vec<i64>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResolveResult {
    /// Recipients changed (only ambiguous ones are).
    pub resolved: u64,
    pub bulk_send: BulkSend,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Job {
    pub id: i64,
    pub job_type: JobType,
    pub state: JobState,
    pub bulk_send_id: Option<i64>,
    pub report_id: Option<i64>,
    pub attempts: i64,
    pub message: String,
    pub error: String,
    pub progress_done: i64,
    pub progress_total: i64,
    pub triggered_by: Option<String>,
    pub retry_of: Option<i64>,
    pub run_after: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// How many bulk sends of a filtered view are in each group of statuses (the cards at the
/// top of the list; `StatusGroup` says which statuses each holds).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkSummary {
    pub total: i64,
    /// `scheduled`.
    pub scheduled: i64,
    /// `importing`, `queued`, `sending`, `paused`.
    pub in_progress: i64,
    /// `done`, `done_with_errors`, `failed`, `cancelled`.
    pub finished: i64,
    /// `done_with_errors`, `failed`, `import_failed`.
    pub with_errors: i64,
    /// The e-mails of these sends.
    #[serde(default)]
    pub emails: EmailFigures,
}

/// The e-mails of a view's sends: from their ledgers (sent, failed) and their loaded
/// reports (delivered, opened).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailFigures {
    /// Accepted by Doppler.
    pub sent: i64,
    /// Refused for good.
    pub failed: i64,
    /// `Sent` in the sends' loaded reports.
    pub delivered: i64,
    /// Recipients who opened, in the sends' loaded reports.
    pub opened: i64,
}

/// E-mails sent on one local day (`TIME_ZONE`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DailyEmails {
    pub day: chrono::NaiveDate,
    pub sent: i64,
}

/// One thing that happened to a bulk send, for its timeline.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkEvent {
    pub at: DateTime<Utc>,
    pub kind: BulkEventKind,
    /// Who did it; absent when the system did (scheduler, workers).
    pub actor: Option<String>,
    /// Facts of the event: rows imported, the status it finished in, a quota's reset time...
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
}
