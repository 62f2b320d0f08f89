//! Reading bulk sends: one with live counters, a filtered page, the counts of a view, and
//! their answers.

use std::collections::HashMap;

use chrono::Utc;
use relay_types::{
    BulkCounts, BulkSend, BulkSummary, DailyEmails, Page, RecipientsFile, SendStatus, StatusGroup,
};
use sea_orm::sea_query::{Expr, Func, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};

use super::{find, Status};
use crate::config::Config;
use crate::db::{icontains, Db};
use crate::entities::{bulk_send, bulk_send_attachment, recipient, user};
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
            status_message_en: m.status_message_en,
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
            sending_seconds: None,
        })
        .collect())
}

/// The bulk send with counters live from its ledger.
pub async fn get(db: &Db, config: &Config, id: i64) -> AppResult<BulkSend> {
    let model = find(&db.conn, id).await?;
    let headers = serde_json::from_value(model.headers.clone()).unwrap_or_default();
    let mut dto = to_dtos(&db.conn, config, vec![model]).await?.remove(0);
    dto.file.headers = Some(headers);
    let events = super::history::events(&db.conn, id).await?;
    dto.sending_seconds = Some(sending_seconds(&events, dto.status, Utc::now()));
    if dto.report.status == relay_types::BulkReportState::Pending {
        dto.report.due_at =
            crate::jobs::active_for_bulk(&db.conn, crate::jobs::JobType::PostSendReport, id)
                .await?
                .map(|job| job.run_after);
    }
    if dto.counts.total > 0 {
        dto.counts = ledger::counts(&db.conn, id).await?;
    }
    Ok(dto)
}

/// Seconds a send spent sending, from its history: from each start or resume to the next
/// pause, cancel or end (and to `now` while it still sends).
pub fn sending_seconds(
    events: &[relay_types::BulkEvent],
    status: Status,
    now: chrono::DateTime<Utc>,
) -> i64 {
    use relay_types::BulkEventKind as Kind;
    let mut total = 0;
    let mut since = None;
    for event in events {
        match event.kind {
            Kind::SendingStarted | Kind::Resumed => {
                since.get_or_insert(event.at);
            }
            Kind::Paused
            | Kind::QuotaPaused
            | Kind::RelayPaused
            | Kind::CredentialsPaused
            | Kind::Cancelled
            | Kind::Finished => {
                if let Some(start) = since.take() {
                    total += (event.at - start).num_seconds().max(0);
                }
            }
            _ => {}
        }
    }
    if let Some(start) = since.filter(|_| matches!(status, Status::Queued | Status::Sending)) {
        total += (now - start).num_seconds().max(0);
    }
    total
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
    /// One Doppler template's sends.
    #[serde(default, deserialize_with = "crate::pagination::search_text")]
    #[param(max_length = 200)]
    pub template_id: Option<String>,
    /// Sends with this recipient address (case aside): where did we write to someone.
    #[serde(default, deserialize_with = "crate::pagination::search_text")]
    #[param(max_length = 200)]
    pub recipient: Option<String>,
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
    if let Some(id) = filter
        .template_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        query = query.filter(bulk_send::Column::TemplateId.eq(id));
    }
    if let Some(address) = filter
        .recipient
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        // `lower(email_normalized)` has an index of its own.
        let lower = Expr::expr(Func::lower(Expr::col(recipient::Column::EmailNormalized)));
        query = query.filter(
            bulk_send::Column::Id.in_subquery(
                Query::select()
                    .column(recipient::Column::BulkSendId)
                    .from(recipient::Entity)
                    .and_where(sea_orm::sea_query::ExprTrait::eq(
                        lower,
                        address.to_lowercase(),
                    ))
                    .take(),
            ),
        );
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
        sent: i64,
        failed: i64,
        delivered: i64,
        opened: i64,
    }
    // SUM of a bigint is a numeric on PostgreSQL: cast back.
    let sum = |column: &str| Expr::cust(format!("CAST(SUM({column}) AS BIGINT)"));
    let counts = filtered(config, filter, false)
        .select_only()
        .column(bulk_send::Column::Status)
        .column_as(bulk_send::Column::Id.count(), "sends")
        .column_as(sum("sent_count"), "sent")
        .column_as(sum("failed_count"), "failed")
        .column_as(sum("report_delivered"), "delivered")
        .column_as(sum("report_opened"), "opened")
        .group_by(bulk_send::Column::Status)
        .into_model::<StatusCount>()
        .all(&db.conn)
        .await?;
    let mut summary = BulkSummary::default();
    for StatusCount {
        status,
        sends,
        sent,
        failed,
        delivered,
        opened,
    } in counts
    {
        summary.total += sends;
        summary.emails.sent += sent;
        summary.emails.failed += failed;
        summary.emails.delivered += delivered;
        summary.emails.opened += opened;
        for group in StatusGroup::ALL {
            if group.statuses().contains(&status) {
                *match group {
                    StatusGroup::Scheduled => &mut summary.scheduled,
                    StatusGroup::InProgress => &mut summary.in_progress,
                    StatusGroup::Finished => &mut summary.finished,
                    StatusGroup::WithErrors => &mut summary.with_errors,
                } += sends;
            }
        }
    }
    Ok(summary)
}

/// The longest span the daily chart covers.
pub const MAX_ACTIVITY_DAYS: u32 = 90;

/// E-mails the view's sends (whatever their period) sent on each of the last `days` local
/// days, today included, days without any as 0. Counted by the hour in UTC, in the
/// database, then put on local days: at most `24 × days` groups leave the database.
pub async fn activity(
    db: &Db,
    config: &Config,
    filter: &BulkFilter,
    days: u32,
) -> AppResult<Vec<DailyEmails>> {
    #[derive(FromQueryResult)]
    struct HourCount {
        hour: String,
        sent: i64,
    }
    let today = Utc::now().with_timezone(&config.time_zone).date_naive();
    let first = today - chrono::Days::new(u64::from(days.max(1)) - 1);
    let hour = match db.backend() {
        sea_orm::DbBackend::Postgres => "to_char(sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')",
        _ => "substr(replace(sent_at, 'T', ' '), 1, 13)",
    };
    let sends = filtered(config, filter, true)
        .select_only()
        .column(bulk_send::Column::Id)
        .into_query();
    let hours = recipient::Entity::find()
        .select_only()
        .column_as(Expr::cust(hour), "hour")
        .column_as(Expr::cust("COUNT(*)"), "sent")
        .filter(recipient::Column::SentAt.gte(config.local_midnight(first)))
        .filter(recipient::Column::SendStatus.eq(SendStatus::Sent))
        .filter(recipient::Column::BulkSendId.in_subquery(sends))
        .group_by(Expr::cust(hour))
        .into_model::<HourCount>()
        .all(&db.conn)
        .await?;
    let mut per_day: std::collections::BTreeMap<chrono::NaiveDate, i64> = first
        .iter_days()
        .take_while(|d| *d <= today)
        .map(|d| (d, 0))
        .collect();
    for HourCount { hour, sent } in hours {
        let Ok(at) = chrono::NaiveDateTime::parse_from_str(&format!("{hour}:00"), "%Y-%m-%d %H:%M")
        else {
            continue;
        };
        let day = at.and_utc().with_timezone(&config.time_zone).date_naive();
        if let Some(count) = per_day.get_mut(&day) {
            *count += sent;
        }
    }
    Ok(per_day
        .into_iter()
        .map(|(day, sent)| DailyEmails { day, sent })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use relay_types::{BulkEvent, BulkEventKind as K};

    fn at(minute: i64) -> chrono::DateTime<Utc> {
        chrono::DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap()
            + chrono::Duration::minutes(minute)
    }

    fn event(minute: i64, kind: K) -> BulkEvent {
        BulkEvent {
            at: at(minute),
            kind,
            actor: None,
            data: serde_json::json!({}),
        }
    }

    #[test]
    fn sending_time_leaves_pauses_out() {
        // 10 min sending, a quota pause of an hour, 5 more minutes, done.
        let events = [
            event(0, K::Created),
            event(1, K::Queued),
            event(1, K::SendingStarted),
            event(11, K::QuotaPaused),
            event(71, K::Resumed),
            event(72, K::SendingStarted),
            event(76, K::Finished),
        ];
        assert_eq!(sending_seconds(&events, Status::Done, at(500)), 15 * 60);
        // Still sending: up to now.
        assert_eq!(
            sending_seconds(&events[..6], Status::Sending, at(80)),
            (10 + 9) * 60
        );
        // Paused: the clock stops.
        assert_eq!(
            sending_seconds(&events[..4], Status::Paused, at(500)),
            10 * 60
        );
    }
}
