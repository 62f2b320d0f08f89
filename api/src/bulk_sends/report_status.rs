//! A finished bulk send's own report: when it is due, where it stands, and when an operator
//! may refresh it. `reports::post_send` does the work; this is what the send knows of it.

use chrono::{DateTime, Duration, Utc};
use relay_types::{BulkReportState, ReportState};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use super::Status;
use crate::config::Config;
use crate::entities::{bulk_send, generated_report};
use crate::error::AppResult;
use crate::jobs::{self, NewJob};
use crate::services::Services;

/// The statuses after which a send's report is asked for by itself: the send is over, and
/// a cancelled one gets its report too, for what it did send.
pub const FINISHED: [Status; 4] = [
    Status::Done,
    Status::DoneWithErrors,
    Status::Failed,
    Status::Cancelled,
];

/// The statuses in which a send's report may be asked for: over, or paused (its report
/// shows what went out so far).
pub const REPORTABLE: [Status; 5] = [
    Status::Done,
    Status::DoneWithErrors,
    Status::Failed,
    Status::Cancelled,
    Status::Paused,
];

pub async fn set_report_status(
    db: &impl ConnectionTrait,
    bulk_id: i64,
    status: BulkReportState,
    error: &str,
) -> AppResult<()> {
    bulk_send::Entity::update_many()
        .col_expr(bulk_send::Column::ReportStatus, Expr::value(status))
        .col_expr(
            bulk_send::Column::ReportError,
            Expr::value(error.chars().take(1000).collect::<String>()),
        )
        .filter(bulk_send::Column::Id.eq(bulk_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Called when a bulk send finishes: its report is due after the configured delay.
pub async fn schedule_report(
    services: &Services,
    bulk_id: i64,
    finished_at: DateTime<Utc>,
) -> AppResult<()> {
    let delay = Duration::from_std(services.config.reports.post_send_delay).unwrap_or_default();
    let job = NewJob {
        bulk_send_id: Some(bulk_id),
        run_after: finished_at + delay,
        payload: json!({ "force": false, "retries": 0 }),
        message: "Reporte post-envío programado".into(),
        ..NewJob::new(jobs::JobType::PostSendReport)
    };
    if jobs::enqueue(&services.db.conn, job).await?.is_some() {
        set_report_status(&services.db.conn, bulk_id, BulkReportState::Pending, "").await?;
    }
    Ok(())
}

/// When an operator may refresh a finished or paused send's report by hand.
pub fn refresh_available_at(config: &Config, bulk: &bulk_send::Model) -> Option<DateTime<Utc>> {
    if !REPORTABLE.contains(&bulk.status) || bulk.sent_count == 0 {
        return None;
    }
    // A paused send stopped when its status last changed.
    let finished = bulk.finished_at.unwrap_or(bulk.updated_at);
    Some(finished + Duration::from_std(config.reports.manual_refresh_delay).unwrap_or_default())
}

/// The status part of the bulk send's answer.
pub fn status_of(
    config: &Config,
    bulk: &bulk_send::Model,
    report_id: Option<i64>,
) -> relay_types::BulkReportStatus {
    relay_types::BulkReportStatus {
        status: bulk.report_status,
        report_id,
        requested_at: bulk.report_requested_at,
        loaded_at: bulk.report_loaded_at,
        rows: bulk.report_rows,
        error: bulk.report_error.clone(),
        refresh_available_at: refresh_available_at(config, bulk),
        due_at: None,
    }
}

/// The newest report requested for each of these sends.
pub async fn latest_reports(
    db: &impl ConnectionTrait,
    bulk_ids: &[i64],
) -> AppResult<std::collections::HashMap<i64, i64>> {
    let mut latest = std::collections::HashMap::new();
    for report in generated_report::Entity::find()
        .filter(generated_report::Column::BulkSendId.is_in(bulk_ids.to_vec()))
        .filter(generated_report::Column::State.eq(ReportState::Ready))
        .order_by_asc(generated_report::Column::Id)
        .all(db)
        .await?
    {
        if let Some(bulk) = report.bulk_send_id {
            latest.insert(bulk, report.id);
        }
    }
    Ok(latest)
}
