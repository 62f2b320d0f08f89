//! Bulk sends: the list and its cards, one send, its actions, recipients, history and report.

use relay_types::{
    BulkAction, BulkEvent, BulkSend, BulkSendStatus, BulkSummary, CampaignReport, DailyEmails,
    Page, Period, Recipient, ResolveAction, ResolveAmbiguous, ResolveResult, SendStatus,
    ValidationStatus,
};
use web_sys::FormData;

use super::{decode, download, get, post, query, send, spelled, ApiResult, Body};

/// The list's filters, as they stand in the page's URL.
#[derive(Debug, Clone, PartialEq)]
pub struct ListFilter {
    pub q: String,
    /// One status, a card's group of them, or none for all.
    pub status: Vec<BulkSendStatus>,
    pub period: Period,
    pub page: u64,
    /// "Mis envíos": the signed-in user's id.
    pub created_by: Option<i64>,
    /// Sends to this address.
    pub recipient: String,
}

impl ListFilter {
    /// The statuses as the query spells them (`queued,sending,paused`).
    pub fn status_spelled(&self) -> String {
        let spelled: Vec<&str> = self.status.iter().map(|s| s.as_str()).collect();
        spelled.join(",")
    }

    fn query(&self, with_page: bool) -> String {
        let mut pairs = vec![
            ("q", self.q.clone()),
            ("status", self.status_spelled()),
            ("period", self.period.to_string()),
            ("recipient", self.recipient.clone()),
            (
                "created_by",
                self.created_by.map(|id| id.to_string()).unwrap_or_default(),
            ),
        ];
        if with_page {
            pairs.push(("page", self.page.max(1).to_string()));
            pairs.push(("page_size", PAGE_SIZE.to_string()));
        }
        query(&pairs)
    }
}

pub const PAGE_SIZE: u64 = 20;

pub async fn list(filter: &ListFilter) -> ApiResult<Page<BulkSend>> {
    get(&format!("/api/v1/bulk-sends{}", filter.query(true))).await
}

pub async fn summary(filter: &ListFilter) -> ApiResult<BulkSummary> {
    get(&format!(
        "/api/v1/bulk-sends/summary{}",
        filter.query(false)
    ))
    .await
}

/// E-mails sent per local day over the last 30 days by the view's sends (its period aside).
pub async fn activity(filter: &ListFilter) -> ApiResult<Vec<DailyEmails>> {
    let mut pairs = vec![
        ("q", filter.q.clone()),
        ("status", filter.status_spelled()),
        ("recipient", filter.recipient.clone()),
        (
            "created_by",
            filter
                .created_by
                .map(|id| id.to_string())
                .unwrap_or_default(),
        ),
    ];
    pairs.push(("days", "30".into()));
    get(&format!("/api/v1/bulk-sends/activity{}", query(&pairs))).await
}

pub async fn one(id: i64) -> ApiResult<BulkSend> {
    get(&format!("/api/v1/bulk-sends/{id}")).await
}

/// Creates a send from the form; the key makes a repeat (double click, retry after a lost
/// answer) return the send already created.
pub async fn create(form: FormData, idempotency_key: &str) -> ApiResult<BulkSend> {
    let response = send(
        gloo_net::http::Method::POST,
        "/api/v1/bulk-sends",
        &[("Idempotency-Key", idempotency_key)],
        &Body::Form(form),
    )
    .await?;
    decode(response).await
}

/// `queue`, `pause`, `resume` or `cancel`.
/// Takes one of the actions that need nothing but the send (queue, pause, resume, cancel).
pub async fn act(id: i64, action: BulkAction) -> ApiResult<BulkSend> {
    let command = action.command().unwrap_or_default();
    post(&format!("/api/v1/bulk-sends/{id}/{command}"), Body::Empty).await
}

pub async fn history(id: i64) -> ApiResult<Vec<BulkEvent>> {
    get(&format!("/api/v1/bulk-sends/{id}/history")).await
}

/// The recipient table's filters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecipientFilter {
    pub q: String,
    pub send_status: Option<SendStatus>,
    pub validation_status: Option<ValidationStatus>,
    pub page: u64,
}

impl RecipientFilter {
    fn query(&self, with_page: bool) -> String {
        let mut pairs = vec![
            ("q", self.q.clone()),
            ("send_status", spelled(&self.send_status)),
            ("validation_status", spelled(&self.validation_status)),
        ];
        if with_page {
            pairs.push(("page", self.page.max(1).to_string()));
            pairs.push(("page_size", PAGE_SIZE.to_string()));
        }
        query(&pairs)
    }
}

pub async fn recipients(id: i64, filter: &RecipientFilter) -> ApiResult<Page<Recipient>> {
    get(&format!(
        "/api/v1/bulk-sends/{id}/recipients{}",
        filter.query(true)
    ))
    .await
}

/// The recipient of row `row` of the file (rows are listed in file order).
pub async fn recipient_at(id: i64, row: u64) -> ApiResult<Option<Recipient>> {
    let page: Page<Recipient> = get(&format!(
        "/api/v1/bulk-sends/{id}/recipients?page={}&page_size=1",
        row.max(1)
    ))
    .await?;
    Ok(page.items.into_iter().next())
}

pub async fn export_recipients(id: i64, filter: &RecipientFilter) -> ApiResult<()> {
    download(
        format!(
            "/api/v1/bulk-sends/{id}/recipients.csv{}",
            filter.query(false)
        ),
        format!("envio-{id}-destinatarios.csv"),
        "text/csv",
    )
    .await
}

/// Settles ambiguous recipients: the ones given, or all of the send's.
pub async fn resolve(
    id: i64,
    action: ResolveAction,
    recipient_ids: Option<Vec<i64>>,
) -> ApiResult<ResolveResult> {
    let body = ResolveAmbiguous {
        action,
        recipient_ids,
    };
    post(
        &format!("/api/v1/bulk-sends/{id}/recipients/resolve"),
        Body::json(&body),
    )
    .await
}

pub async fn report(id: i64) -> ApiResult<CampaignReport> {
    get(&format!("/api/v1/bulk-sends/{id}/report")).await
}

pub async fn refresh_report(id: i64) -> ApiResult<BulkSend> {
    post(
        &format!("/api/v1/bulk-sends/{id}/report/refresh"),
        Body::Empty,
    )
    .await
}

/// This send's rows of its loaded report.
pub async fn export_report(id: i64) -> ApiResult<()> {
    download(
        format!("/api/v1/bulk-sends/{id}/report.csv"),
        format!("envio-{id}-reporte.csv"),
        "text/csv",
    )
    .await
}

/// The whole consolidated report the send's figures come from (the day's rows).
pub async fn export_day_report(report_id: i64) -> ApiResult<()> {
    download(
        format!("/api/v1/reports/{report_id}/download"),
        format!("reporte-{report_id}.csv"),
        "text/csv",
    )
    .await
}
