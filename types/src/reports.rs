//! Doppler reports, their loading, and the per-campaign report.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::states::{BulkReportState, LoadTarget, ReportOrigin, ReportState, ReportType};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateReport {
    pub report_type: ReportType,
    /// One end of the period: a local day (`YYYY-MM-DD`) in `TIME_ZONE`.
    pub start_date: NaiveDate,
    /// The other end, inclusive (the two may come in either order).
    pub end_date: NaiveDate,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportLoad {
    pub target: LoadTarget,
    pub rows: i64,
    pub loaded_at: DateTime<Utc>,
    pub loaded_by: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    pub id: i64,
    pub report_type: ReportType,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub state: ReportState,
    pub report_request_id: String,
    /// When Doppler is asked again whether the report is ready.
    pub next_poll_at: Option<DateTime<Utc>>,
    /// The downloaded CSV's name (download it from `/download`).
    pub file_name: String,
    pub file_size: i64,
    pub error_details: String,
    pub origin: ReportOrigin,
    pub bulk_send_id: Option<i64>,
    pub requested_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ready_at: Option<DateTime<Utc>>,
    /// Where it was loaded ("Cargado en: default"), when, and how many rows.
    pub loads: Vec<ReportLoad>,
    /// Databases it can still be loaded into (`analytics` only when one is configured).
    pub load_targets: Vec<LoadTarget>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoadReport {
    /// `default` (the application's database) or `analytics`.
    pub target: LoadTarget,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProcessPending {
    /// Reports whose next step was queued now.
    pub queued: u64,
}

/// Where a bulk send's own report stands (the legacy "Reporte" badge).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkReportStatus {
    pub status: BulkReportState,
    pub report_id: Option<i64>,
    pub requested_at: Option<DateTime<Utc>>,
    pub loaded_at: Option<DateTime<Utc>>,
    /// Report rows that belong to this send.
    pub rows: i64,
    pub error: String,
    /// From when an operator may refresh the report by hand.
    pub refresh_available_at: Option<DateTime<Utc>>,
    /// When the queued report will be asked for (`pending`): in a single send's answer only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub due_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignTotals {
    /// Accepted by Doppler, from the send's ledger.
    pub sent: i64,
    /// Report rows matched to this send's recipients.
    pub in_report: i64,
    /// `Sent`: delivered.
    pub delivered: i64,
    /// `Rejected` or `Invalid`: bounces, hard or soft.
    pub bounced: i64,
    /// `Dropped`: discarded by Doppler (its blacklist), never delivered.
    #[serde(default)]
    pub dropped: i64,
    pub spam: i64,
    pub unsubscribed: i64,
    /// `Queued` or `Retrying`: not settled yet.
    pub pending: i64,
    /// Rows whose status we do not know (`by_status` names each).
    #[serde(default)]
    pub other: i64,
    pub opens: i64,
    pub clicks: i64,
    pub unique_openers: i64,
    pub unique_clickers: i64,
}

/// Shares between 0 and 1.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignRates {
    /// delivered / in_report
    pub delivery: f64,
    /// bounced / in_report
    pub bounce: f64,
    /// dropped / in_report
    #[serde(default)]
    pub dropped: f64,
    /// unique_openers / delivered
    pub open: f64,
    /// unique_clickers / delivered
    pub click: f64,
    /// spam / in_report
    pub spam: f64,
    /// unsubscribed / in_report
    pub unsubscribe: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpensPoint {
    /// Local hour (`YYYY-MM-DD HH:00`) of the rows' `Date`.
    pub hour: String,
    pub rows: i64,
    pub opens: i64,
    pub clicks: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DomainStats {
    pub domain: String,
    pub recipients: i64,
    pub delivered: i64,
    pub bounced: i64,
    pub opens: i64,
    pub clicks: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignReport {
    pub bulk_send_id: i64,
    /// The loaded report the figures come from; absent until one is loaded.
    pub report: Option<Report>,
    pub totals: CampaignTotals,
    pub rates: CampaignRates,
    /// Rows per Doppler `Status` as the report wrote it.
    pub by_status: BTreeMap<String, i64>,
    pub opens_over_time: Vec<OpensPoint>,
    /// The 10 domains with most recipients.
    pub top_domains: Vec<DomainStats>,
    pub matched_by_message_id: i64,
    pub matched_by_address: i64,
    /// Sent recipients the report does not show (yet).
    pub sent_not_in_report: i64,
}
