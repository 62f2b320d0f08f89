//! Reading bulk sends: one with live counters, a filtered page, the counts of a view, and
//! their answers.

use std::collections::HashMap;

use chrono::Utc;
use relay_types::{BulkCounts, BulkSend, BulkSummary, Page, RecipientsFile};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select,
};

use super::{find, Status};
use crate::config::Config;
use crate::db::{icontains, Db};
use crate::entities::{bulk_send, bulk_send_attachment, user};
use crate::error::AppResult;
use crate::pagination::PageRequest;
use crate::recipients::ledger;

pub fn counts_of(m: &bulk_send::Model) -> BulkCounts {
    BulkCounts {
        total: m.total_count,
        valid: m.valid_count,
        invalid: m.invalid_count,
        warnings: m.warning_count,
        pending: m.pending_count,
        sending: m.sending_count,
        sent: m.sent_count,
        failed: m.failed_count,
        ambiguous: m.ambiguous_count,
    }
}

pub async fn to_dtos(
    db: &impl ConnectionTrait,
    config: &Config,
    models: Vec<bulk_send::Model>,
) -> AppResult<Vec<BulkSend>> {
    let ids: Vec<i64> = models.iter().map(|m| m.id).collect();
    let reports = super::report_status::latest_reports(db, &ids).await?;
    let mut files: HashMap<i64, Vec<i64>> = HashMap::new();
    for link in bulk_send_attachment::Entity::find()
        .filter(bulk_send_attachment::Column::BulkSendId.is_in(ids))
        .all(db)
        .await?
    {
        files
            .entry(link.bulk_send_id)
            .or_default()
            .push(link.attachment_id);
    }
    let user_ids: Vec<i64> = models.iter().filter_map(|m| m.created_by).collect();
    let names: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    Ok(models
        .into_iter()
        .map(|m| BulkSend {
            report: super::report_status::status_of(config, &m, reports.get(&m.id).copied()),
            id: m.id,
            counts: counts_of(&m),
            attachment_ids: files.remove(&m.id).unwrap_or_default(),
            created_by: m.created_by.and_then(|id| names.get(&id).cloned()),
            client_request_id: m.client_request_id,
            template_id: m.template_id,
            template_name: m.template_name,
            subject: m.subject,
            sender_id: m.sender_id,
            from_email: m.from_email,
            from_name: m.from_name,
            mapping: serde_json::from_value(m.mapping).unwrap_or_default(),
            status: m.status,
            status_reason: m.status_reason,
            status_message: m.status_message,
            file: RecipientsFile {
                name: m.file_name,
                size_bytes: m.file_size,
                encoding: m.encoding,
                delimiter: m.delimiter,
                email_column: m.email_column,
                headers: None,
            },
            import_error: m.import_error,
            created_at: m.created_at,
            updated_at: m.updated_at,
            scheduled_at: m.scheduled_at,
            queued_at: m.queued_at,
            started_at: m.started_at,
            finished_at: m.finished_at,
            resume_at: m.resume_at,
        })
        .collect())
}

/// The bulk send with counters live from its ledger.
pub async fn get(db: &Db, config: &Config, id: i64) -> AppResult<BulkSend> {
    let model = find(&db.conn, id).await?;
    let headers = serde_json::from_value(model.headers.clone()).unwrap_or_default();
    let mut dto = to_dtos(&db.conn, config, vec![model]).await?.remove(0);
    dto.file.headers = Some(headers);
    if dto.counts.total > 0 {
        dto.counts = ledger::counts(&db.conn, id).await?;
    }
    Ok(dto)
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BulkFilter {
    /// One status, or several separated by commas (`queued,sending`).
    #[serde(default, deserialize_with = "crate::pagination::comma_list")]
    #[param(value_type = Option<Vec<Status>>, style = Form, explode = false, min_items = 1)]
    pub status: Option<Vec<Status>>,
    /// `current_month` (local calendar month) or `all` (default).
    pub period: Option<relay_types::Period>,
    /// First local day of creation (`YYYY-MM-DD`).
    pub date_from: Option<chrono::NaiveDate>,
    /// Last local day of creation, inclusive.
    pub date_to: Option<chrono::NaiveDate>,
    pub created_by: Option<i64>,
    /// Id, template, subject or file name.
    #[serde(default, deserialize_with = "crate::pagination::search_text")]
    #[param(max_length = 200)]
    pub q: Option<String>,
}

/// The bulk sends a filter chooses; the status filter only when `by_status`.
fn filtered(config: &Config, filter: &BulkFilter, by_status: bool) -> Select<bulk_send::Entity> {
    let mut query = bulk_send::Entity::find();
    if let Some(statuses) = filter.status.as_ref().filter(|_| by_status) {
        query = query.filter(bulk_send::Column::Status.is_in(statuses.iter().copied()));
    }
    let mut from = filter.date_from;
    if filter.period == Some(relay_types::Period::CurrentMonth) {
        let today = Utc::now().with_timezone(&config.time_zone).date_naive();
        from = chrono::NaiveDate::from_ymd_opt(
            chrono::Datelike::year(&today),
            chrono::Datelike::month(&today),
            1,
        );
    }
    if let Some(day) = from {
        query = query.filter(bulk_send::Column::CreatedAt.gte(config.local_midnight(day)));
    }
    if let Some(day) = filter.date_to {
        query = query.filter(
            bulk_send::Column::CreatedAt.lt(config.local_midnight(day + chrono::Days::new(1))),
        );
    }
    if let Some(user) = filter.created_by {
        query = query.filter(bulk_send::Column::CreatedBy.eq(user));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let mut any = Condition::any()
            .add(icontains(Expr::col(bulk_send::Column::TemplateId), q))
            .add(icontains(Expr::col(bulk_send::Column::TemplateName), q))
            .add(icontains(Expr::col(bulk_send::Column::Subject), q))
            .add(icontains(Expr::col(bulk_send::Column::FileName), q));
        if let Ok(id) = q.parse::<i64>() {
            any = any.add(bulk_send::Column::Id.eq(id));
        }
        query = query.filter(any);
    }
    query
}

pub async fn list(
    db: &Db,
    config: &Config,
    filter: &BulkFilter,
    page: PageRequest,
) -> AppResult<Page<BulkSend>> {
    let query = filtered(config, filter, true);
    let total = query.clone().count(&db.conn).await?;
    let models = query
        .order_by_desc(bulk_send::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&db.conn)
        .await?;
    Ok(page.wrap(to_dtos(&db.conn, config, models).await?, total))
}

/// How many sends of the filtered view (whatever its status filter) are in each group.
pub async fn summary(db: &Db, config: &Config, filter: &BulkFilter) -> AppResult<BulkSummary> {
    #[derive(FromQueryResult)]
    struct StatusCount {
        status: Status,
        sends: i64,
    }
    let counts = filtered(config, filter, false)
        .select_only()
        .column(bulk_send::Column::Status)
        .column_as(bulk_send::Column::Id.count(), "sends")
        .group_by(bulk_send::Column::Status)
        .into_model::<StatusCount>()
        .all(&db.conn)
        .await?;
    let mut summary = BulkSummary::default();
    for StatusCount { status, sends } in counts {
        summary.total += sends;
        match status {
            Status::Scheduled => summary.scheduled += sends,
            Status::Importing | Status::Queued | Status::Sending | Status::Paused => {
                summary.in_progress += sends
            }
            Status::Done | Status::Cancelled => summary.finished += sends,
            Status::DoneWithErrors | Status::Failed => {
                summary.finished += sends;
                summary.with_errors += sends;
            }
            Status::ImportFailed => summary.with_errors += sends,
            Status::Ready | Status::ReadyWithErrors => {}
        }
    }
    Ok(summary)
}
