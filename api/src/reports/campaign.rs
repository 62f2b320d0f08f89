//! The report of one bulk send, from the rows that belong to **its** recipients — not the
//! whole day's rows mixed with other sends (legacy defect 9.3-12). A report row belongs to
//! the send when its message id is one of the send's; without a message id, when its
//! address is one the send delivered to, from the send's sender, with the send's subject
//! (unless the subject is personalised), within the send's time window.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use relay_types::{CampaignRates, CampaignReport, CampaignTotals, DomainStats, OpensPoint};
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder};

use super::{LoadTarget, ReportState};
use crate::db::Db;
use crate::entities::{bulk_send, generated_report, report_load};
use crate::error::AppResult;
use crate::reports::parse::ReportRow;
use crate::services::Services;

const PAGE: i64 = 5000;

/// Doppler statuses by outcome, compared without case (legacy 4.9).
fn outcome(status: &str) -> &'static str {
    match status.to_lowercase().as_str() {
        "delivered" | "delivery" | "success" => "delivered",
        "bounced" | "bounce" | "rejected" => "bounced",
        "spam" | "complaint" => "spam",
        "unsubscribed" | "unsubscribe" => "unsubscribed",
        _ => "pending",
    }
}

/// What decides that a report row is this send's.
struct Matcher {
    message_ids: HashSet<String>,
    addresses: HashSet<String>,
    sender: String,
    subject: Option<String>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

impl Matcher {
    async fn for_send(services: &Services, bulk: &bulk_send::Model) -> AppResult<Matcher> {
        let mut message_ids = HashSet::new();
        let mut addresses = HashSet::new();
        #[derive(FromQueryResult)]
        struct SentRow {
            row_number: i64,
            email: String,
            message_id: String,
        }
        let mut after = 0i64;
        loop {
            let rows = SentRow::find_by_statement(services.db.stmt(
                "SELECT row_number, email, message_id FROM recipients WHERE bulk_send_id = $1 \
                 AND send_status = 'sent' AND row_number > $2 ORDER BY row_number LIMIT $3",
                [bulk.id.into(), after.into(), PAGE.into()],
            ))
            .all(&services.db.conn)
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                after = row.row_number;
                addresses.insert(row.email.to_lowercase());
                if !row.message_id.is_empty() {
                    message_ids.insert(row.message_id);
                }
            }
        }
        let subject = if bulk.subject.is_empty() {
            &bulk.template_subject
        } else {
            &bulk.subject
        };
        let started = bulk
            .started_at
            .or(bulk.queued_at)
            .unwrap_or(bulk.created_at);
        let finished = bulk.finished_at.unwrap_or_else(Utc::now);
        Ok(Matcher {
            message_ids,
            addresses,
            sender: bulk.from_email.to_lowercase(),
            // A personalised subject ({{nombres}}) differs per recipient: not compared.
            subject: (!subject.is_empty() && !subject.contains("{{")).then(|| subject.clone()),
            from: started - Duration::minutes(5),
            to: finished + Duration::hours(2),
        })
    }

    /// `Some(true)` matched by message id, `Some(false)` by address, `None` not this send's.
    fn matches(&self, row: &ReportRow) -> Option<bool> {
        if let Some(id) = row.message_id.as_deref().filter(|id| !id.is_empty()) {
            return self.message_ids.contains(id).then_some(true);
        }
        let address = row.email.as_deref()?.to_lowercase();
        let same_sender = row
            .sender
            .as_deref()
            .is_some_and(|s| s.to_lowercase() == self.sender);
        let same_subject = self
            .subject
            .as_deref()
            .is_none_or(|s| row.subject.as_deref() == Some(s));
        let in_window = row
            .event_at
            .is_some_and(|at| at >= self.from && at <= self.to);
        (self.addresses.contains(&address) && same_sender && same_subject && in_window)
            .then_some(false)
    }
}

/// The loaded report the send's figures come from: its own (post-send) report, else the
/// newest loaded report covering its days.
pub async fn report_for(
    services: &Services,
    bulk: &bulk_send::Model,
) -> AppResult<Option<generated_report::Model>> {
    let loaded: HashSet<i64> = report_load::Entity::find()
        .filter(report_load::Column::Target.eq(LoadTarget::Default))
        .all(&services.db.conn)
        .await?
        .into_iter()
        .map(|l| l.report_id)
        .collect();
    let tz = services.config.time_zone;
    let first = bulk
        .started_at
        .unwrap_or(bulk.created_at)
        .with_timezone(&tz)
        .date_naive();
    let last = bulk
        .finished_at
        .unwrap_or_else(Utc::now)
        .with_timezone(&tz)
        .date_naive();
    let candidates = generated_report::Entity::find()
        .filter(generated_report::Column::State.eq(ReportState::Ready))
        .filter(generated_report::Column::Id.is_in(loaded))
        .order_by_desc(generated_report::Column::Id)
        .all(&services.db.conn)
        .await?;
    let own = candidates
        .iter()
        .find(|r| r.bulk_send_id == Some(bulk.id))
        .cloned();
    Ok(own.or_else(|| {
        candidates
            .into_iter()
            .find(|r| r.start_date <= first && r.end_date >= last)
    }))
}

/// The columns of `report_rows` a campaign reads.
#[derive(FromQueryResult)]
struct StoredRow {
    row_number: i64,
    subject: Option<String>,
    sender: Option<String>,
    sender_name: Option<String>,
    email: Option<String>,
    status: Option<String>,
    event_at: Option<DateTime<Utc>>,
    event_local: Option<String>,
    opens: Option<i64>,
    clicks: Option<i64>,
    message_id: Option<String>,
}

impl From<StoredRow> for ReportRow {
    fn from(row: StoredRow) -> ReportRow {
        ReportRow {
            row_number: row.row_number,
            subject: row.subject,
            sender: row.sender,
            sender_name: row.sender_name,
            email: row.email,
            status: row.status,
            event_at: row.event_at,
            event_local: row.event_local,
            opens: row.opens,
            clicks: row.clicks,
            message_id: row.message_id,
            extra: Default::default(),
        }
    }
}

/// The rows of a loaded report that belong to one send, a page at a time (keyset on the
/// row number), so that memory stays flat whatever the report's size.
pub struct SendRows {
    matcher: Matcher,
    report_id: i64,
    after: i64,
}

impl SendRows {
    pub async fn new(
        services: &Services,
        bulk: &bulk_send::Model,
        report_id: i64,
    ) -> AppResult<SendRows> {
        Ok(SendRows {
            matcher: Matcher::for_send(services, bulk).await?,
            report_id,
            after: 0,
        })
    }

    /// The send's rows in the next page of the report, each with whether it matched by
    /// message id (rather than by address); `None` once the report is read to the end.
    pub async fn next_page(&mut self, db: &Db) -> AppResult<Option<Vec<(ReportRow, bool)>>> {
        let rows = StoredRow::find_by_statement(db.stmt(
            "SELECT row_number, subject, sender, sender_name, email, status, event_at, event_local, opens, clicks, message_id \
             FROM report_rows WHERE report_id = $1 AND row_number > $2 ORDER BY row_number LIMIT $3",
            [self.report_id.into(), self.after.into(), PAGE.into()],
        ))
        .all(&db.conn)
        .await?;
        let Some(last) = rows.last() else {
            return Ok(None);
        };
        self.after = last.row_number;
        Ok(Some(
            rows.into_iter()
                .map(ReportRow::from)
                .filter_map(|row| self.matcher.matches(&row).map(|by_id| (row, by_id)))
                .collect(),
        ))
    }
}

/// How many rows of a report belong to the send.
pub async fn matched_rows(
    services: &Services,
    bulk: &bulk_send::Model,
    report_id: i64,
) -> AppResult<i64> {
    let mut rows = SendRows::new(services, bulk, report_id).await?;
    let mut count = 0;
    while let Some(page) = rows.next_page(&services.db).await? {
        count += page.len() as i64;
    }
    Ok(count)
}

fn share(part: i64, whole: i64) -> f64 {
    if whole > 0 {
        part as f64 / whole as f64
    } else {
        0.0
    }
}

pub async fn build(services: &Services, bulk: &bulk_send::Model) -> AppResult<CampaignReport> {
    let report = report_for(services, bulk).await?;
    let mut totals = CampaignTotals {
        sent: bulk.sent_count,
        ..Default::default()
    };
    let mut by_status: BTreeMap<String, i64> = BTreeMap::new();
    let mut hours: BTreeMap<String, OpensPoint> = BTreeMap::new();
    let mut domains: HashMap<String, DomainStats> = HashMap::new();
    let mut seen_addresses: HashSet<String> = HashSet::new();
    let (mut by_id, mut by_address) = (0, 0);
    if let Some(report) = &report {
        let tz = services.config.time_zone;
        let mut rows = SendRows::new(services, bulk, report.id).await?;
        while let Some(page) = rows.next_page(&services.db).await? {
            for (row, via_id) in page {
                if via_id {
                    by_id += 1
                } else {
                    by_address += 1
                }
                let status = row.status.clone().unwrap_or_default();
                let kind = outcome(&status);
                let (opens, clicks) = (row.opens.unwrap_or(0), row.clicks.unwrap_or(0));
                totals.in_report += 1;
                match kind {
                    "delivered" => totals.delivered += 1,
                    "bounced" => totals.bounced += 1,
                    "spam" => totals.spam += 1,
                    "unsubscribed" => totals.unsubscribed += 1,
                    _ => totals.pending += 1,
                }
                totals.opens += opens;
                totals.clicks += clicks;
                totals.unique_openers += (opens > 0) as i64;
                totals.unique_clickers += (clicks > 0) as i64;
                *by_status.entry(status).or_default() += 1;
                if let Some(at) = row.event_at {
                    let hour = at.with_timezone(&tz).format("%Y-%m-%d %H:00").to_string();
                    let point = hours.entry(hour.clone()).or_insert(OpensPoint {
                        hour,
                        rows: 0,
                        opens: 0,
                        clicks: 0,
                    });
                    point.rows += 1;
                    point.opens += opens;
                    point.clicks += clicks;
                }
                let email = row.email.unwrap_or_default().to_lowercase();
                let domain = email
                    .rsplit_once('@')
                    .map(|(_, d)| d.to_string())
                    .unwrap_or_default();
                let stats = domains.entry(domain.clone()).or_insert(DomainStats {
                    domain,
                    recipients: 0,
                    delivered: 0,
                    bounced: 0,
                    opens: 0,
                    clicks: 0,
                });
                if seen_addresses.insert(email) {
                    stats.recipients += 1;
                }
                stats.delivered += (kind == "delivered") as i64;
                stats.bounced += (kind == "bounced") as i64;
                stats.opens += opens;
                stats.clicks += clicks;
            }
        }
    }
    let mut top_domains: Vec<DomainStats> = domains.into_values().collect();
    top_domains.sort_by(|a, b| {
        b.recipients
            .cmp(&a.recipients)
            .then_with(|| a.domain.cmp(&b.domain))
    });
    top_domains.truncate(10);
    let rates = CampaignRates {
        delivery: share(totals.delivered, totals.in_report),
        bounce: share(totals.bounced, totals.in_report),
        open: share(totals.unique_openers, totals.delivered),
        click: share(totals.unique_clickers, totals.delivered),
        spam: share(totals.spam, totals.in_report),
        unsubscribe: share(totals.unsubscribed, totals.in_report),
    };
    let sent_not_in_report = (totals.sent - seen_addresses.len() as i64).max(0);
    Ok(CampaignReport {
        bulk_send_id: bulk.id,
        report: match report {
            Some(model) => Some(super::to_dtos(services, vec![model]).await?.remove(0)),
            None => None,
        },
        totals,
        rates,
        by_status,
        opens_over_time: hours.into_values().collect(),
        top_domains,
        matched_by_message_id: by_id,
        matched_by_address: by_address,
        sent_not_in_report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_fold_into_outcomes() {
        assert_eq!(outcome("Delivered"), "delivered");
        assert_eq!(outcome("REJECTED"), "bounced");
        assert_eq!(outcome("complaint"), "spam");
        assert_eq!(outcome("Unsubscribed"), "unsubscribed");
        assert_eq!(outcome("Sent"), "pending");
    }
}
