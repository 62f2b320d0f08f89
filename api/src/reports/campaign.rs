//! The report of one bulk send, from the rows that belong to **its** messages — not the
//! whole day's rows mixed with other sends (legacy defect 9.3-12), nor the rows of another
//! send of the same template to the same people.
//!
//! A report row belongs to the send when its message id is one of the send's. Without a
//! message id (Doppler's summary has none), it belongs to the **latest** send that went to
//! its address, from its sender, with its subject (unless personalised), before the row's
//! time: two sends of one template to the same debtors an hour apart each get their own
//! rows. Each recipient the send reached counts once, so no figure exceeds what was sent.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use relay_types::{
    CampaignRates, CampaignReport, CampaignTotals, DeliveryOutcome, DomainStats, OpensPoint,
};
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder};

use super::{LoadTarget, ReportState};
use crate::db::Db;
use crate::entities::{bulk_send, generated_report, report_load};
use crate::error::AppResult;
use crate::reports::parse::ReportRow;
use crate::services::Services;

const PAGE: i64 = 5000;

/// Our clock and Doppler's may differ by this much: a row stamped a little before our record
/// of the send is still the send's.
const CLOCK_SKEW: Duration = Duration::minutes(2);

/// The subject rows of a send carry, when it can be compared: a personalised subject
/// (`{{nombres}}`) differs per recipient and is not.
fn comparable_subject(subject: &str, template_subject: &str) -> Option<String> {
    let subject = if subject.is_empty() {
        template_subject
    } else {
        subject
    };
    (!subject.is_empty() && !subject.contains("{{")).then(|| subject.to_string())
}

/// This send's messages to one address.
struct Reached {
    /// The address as stored (the spelling other sends' rows are looked up by).
    stored: String,
    /// When each message to it was accepted.
    sent_at: Vec<DateTime<Utc>>,
}

/// What decides that a report row is this send's.
struct Matcher {
    bulk_id: i64,
    message_ids: HashSet<String>,
    /// Lower-cased address → this send's messages to it.
    reached: HashMap<String, Reached>,
    sender: String,
    subject: Option<String>,
    /// The template's own subject: a row may carry it when Doppler did not take the
    /// override (docs/doppler.md, an assumption).
    template_subject: Option<String>,
    /// Rows already counted per address (at most one per message sent to it).
    counted: HashMap<String, usize>,
}

/// A message of another send to one of this send's addresses.
#[derive(FromQueryResult)]
struct OtherSend {
    email_normalized: String,
    sent_at: Option<DateTime<Utc>>,
    from_email: String,
    subject: String,
    template_subject: String,
}

impl Matcher {
    async fn for_send(services: &Services, bulk: &bulk_send::Model) -> AppResult<Matcher> {
        let mut message_ids = HashSet::new();
        let mut reached: HashMap<String, Reached> = HashMap::new();
        #[derive(FromQueryResult)]
        struct SentRow {
            row_number: i64,
            email_normalized: String,
            message_id: String,
            sent_at: Option<DateTime<Utc>>,
        }
        let mut after = 0i64;
        loop {
            let rows = SentRow::find_by_statement(services.db.stmt(
                "SELECT row_number, email_normalized, message_id, sent_at FROM recipients \
                 WHERE bulk_send_id = $1 AND send_status = 'sent' AND row_number > $2 \
                 ORDER BY row_number LIMIT $3",
                [bulk.id.into(), after.into(), PAGE.into()],
            ))
            .all(&services.db.conn)
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                after = row.row_number;
                let at = row.sent_at.unwrap_or(bulk.created_at);
                reached
                    .entry(row.email_normalized.to_lowercase())
                    .or_insert_with(|| Reached {
                        stored: row.email_normalized.clone(),
                        sent_at: Vec::new(),
                    })
                    .sent_at
                    .push(at);
                if !row.message_id.is_empty() {
                    message_ids.insert(row.message_id);
                }
            }
        }
        Ok(Matcher {
            bulk_id: bulk.id,
            message_ids,
            reached,
            sender: bulk.from_email.to_lowercase(),
            subject: comparable_subject(&bulk.subject, &bulk.template_subject),
            template_subject: comparable_subject("", &bulk.template_subject),
            counted: HashMap::new(),
        })
    }

    /// The latest of this send's messages to `address` accepted before `at`.
    fn ours_before(&self, address: &str, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.reached
            .get(address)?
            .sent_at
            .iter()
            .copied()
            .filter(|sent| *sent - CLOCK_SKEW <= at)
            .max()
    }

    /// Whether a row without a message id could be this send's, by address, sender, subject
    /// and time; answers the address and the time of our message it would belong to.
    fn candidate(&self, row: &ReportRow) -> Option<(String, DateTime<Utc>)> {
        let address = row.email.as_deref()?.trim().to_lowercase();
        let same_sender = row
            .sender
            .as_deref()
            .is_some_and(|s| s.trim().to_lowercase() == self.sender);
        let same_subject = self.subject.as_deref().is_none_or(|s| {
            row.subject.as_deref() == Some(s)
                || row.subject.as_deref() == self.template_subject.as_deref()
        });
        if !same_sender || !same_subject {
            return None;
        }
        let ours = self.ours_before(&address, row.event_at?)?;
        Some((address, ours))
    }

    /// Messages of other sends, from this send's sender and subject, to the addresses of
    /// `candidates` after our message to them: a row newer than such a message is theirs.
    async fn later_sends(
        &self,
        db: &Db,
        candidates: &[(String, DateTime<Utc>)],
    ) -> AppResult<HashMap<String, Vec<DateTime<Utc>>>> {
        let mut later: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
        if candidates.is_empty() {
            return Ok(later);
        }
        let earliest = candidates
            .iter()
            .map(|(_, at)| *at)
            .min()
            .unwrap_or_default();
        let stored: Vec<&str> = candidates
            .iter()
            .filter_map(|(address, _)| self.reached.get(address).map(|r| r.stored.as_str()))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        for chunk in stored.chunks(1000) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
            let mut values: Vec<sea_orm::Value> = vec![self.bulk_id.into(), earliest.into()];
            values.extend(chunk.iter().map(|a| sea_orm::Value::from(a.to_string())));
            let others = OtherSend::find_by_statement(db.stmt(
                &format!(
                    "SELECT r.email_normalized, r.sent_at, b.from_email, b.subject, b.template_subject \
                     FROM recipients r JOIN bulk_sends b ON b.id = r.bulk_send_id \
                     WHERE r.bulk_send_id <> $1 AND r.send_status = 'sent' AND r.sent_at > $2 \
                     AND r.email_normalized IN ({})",
                    placeholders.join(", ")
                ),
                values,
            ))
            .all(&db.conn)
            .await?;
            for other in others {
                let same = other.from_email.to_lowercase() == self.sender
                    && comparable_subject(&other.subject, &other.template_subject) == self.subject;
                if let (true, Some(at)) = (same, other.sent_at) {
                    later
                        .entry(other.email_normalized.to_lowercase())
                        .or_default()
                        .push(at);
                }
            }
        }
        Ok(later)
    }

    /// The rows of a page that are this send's, each with whether it matched by message id.
    async fn select(&mut self, db: &Db, rows: Vec<ReportRow>) -> AppResult<Vec<(ReportRow, bool)>> {
        let candidates: Vec<Option<(String, DateTime<Utc>)>> = rows
            .iter()
            .map(
                |row| match row.message_id.as_deref().filter(|id| !id.is_empty()) {
                    Some(_) => None,
                    None => self.candidate(row),
                },
            )
            .collect();
        let found: Vec<(String, DateTime<Utc>)> = candidates.iter().flatten().cloned().collect();
        let later = self.later_sends(db, &found).await?;
        let mut mine = Vec::new();
        for (row, candidate) in rows.into_iter().zip(candidates) {
            let by_id = row
                .message_id
                .as_deref()
                .is_some_and(|id| !id.is_empty() && self.message_ids.contains(id));
            let address = match (by_id, candidate) {
                (true, _) => row
                    .email
                    .as_deref()
                    .unwrap_or_default()
                    .trim()
                    .to_lowercase(),
                (false, Some((address, ours))) => {
                    let at = row.event_at.unwrap_or(ours);
                    let superseded = later.get(&address).is_some_and(|times| {
                        times.iter().any(|t| *t > ours && *t - CLOCK_SKEW <= at)
                    });
                    if superseded {
                        continue;
                    }
                    address
                }
                (false, None) => continue,
            };
            // One row per message sent to the address, whatever the report repeats.
            let allowed = self.reached.get(&address).map_or(1, |r| r.sent_at.len());
            let counted = self.counted.entry(address).or_default();
            if *counted >= allowed {
                continue;
            }
            *counted += 1;
            mine.push((row, by_id));
        }
        Ok(mine)
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
        let rows = rows.into_iter().map(ReportRow::from).collect();
        Ok(Some(self.matcher.select(db, rows).await?))
    }
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
                let kind = DeliveryOutcome::of(&status);
                let (opens, clicks) = (row.opens.unwrap_or(0), row.clicks.unwrap_or(0));
                totals.in_report += 1;
                match kind {
                    DeliveryOutcome::Delivered => totals.delivered += 1,
                    DeliveryOutcome::Bounced => totals.bounced += 1,
                    DeliveryOutcome::Dropped => totals.dropped += 1,
                    DeliveryOutcome::Pending => totals.pending += 1,
                    DeliveryOutcome::Spam => totals.spam += 1,
                    DeliveryOutcome::Unsubscribed => totals.unsubscribed += 1,
                    DeliveryOutcome::Other => totals.other += 1,
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
                stats.delivered += (kind == DeliveryOutcome::Delivered) as i64;
                stats.bounced += (kind == DeliveryOutcome::Bounced) as i64;
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
        dropped: share(totals.dropped, totals.in_report),
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
    fn a_personalised_subject_is_not_compared() {
        assert_eq!(comparable_subject("", "Aviso"), Some("Aviso".into()));
        assert_eq!(comparable_subject("Hola {{nombres}}", "Aviso"), None);
        assert_eq!(comparable_subject("", ""), None);
    }
}
