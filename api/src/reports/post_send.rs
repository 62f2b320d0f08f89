//! After a bulk send finishes: wait `POST_SEND_REPORT_DELAY_MIN`, request the report of
//! the send's local days, follow it to READY, load it into the default database, and keep
//! the bulk send's report status. Failures retry with backoff. Operators may refresh the
//! report by hand `MANUAL_REPORT_REFRESH_MIN` after the send finished.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use super::{campaign, LoadTarget, ReportOrigin, ReportState, ReportType};
use crate::app::AppState;
use crate::audit::{self, Target};
use crate::auth::CurrentUser;
use crate::bulk_sends::Status;
use crate::config::Config;
use crate::entities::{bulk_send, generated_report};
use crate::error::{AppError, AppResult};
use crate::jobs::runner::JobContext;
use crate::jobs::{self, Ending, NewJob};
use relay_types::BulkReportState;

/// Report requests that fail are tried again this many times, waiting 1, 2, 4 ... minutes.
const RETRIES: i64 = 5;
/// How often the automation looks at a report that is still being prepared.
const CHECK_EVERY: Duration = Duration::seconds(5);

const FINISHED: [Status; 3] = [Status::Done, Status::DoneWithErrors, Status::Failed];

async fn set_report_status(
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
pub async fn schedule(state: &AppState, bulk_id: i64, finished_at: DateTime<Utc>) -> AppResult<()> {
    let delay = Duration::from_std(state.config.reports.post_send_delay).unwrap_or_default();
    let job = NewJob {
        bulk_send_id: Some(bulk_id),
        run_after: finished_at + delay,
        payload: json!({ "force": false, "retries": 0 }),
        message: "Reporte post-envío programado".into(),
        ..NewJob::new(jobs::JobType::PostSendReport)
    };
    if jobs::enqueue(&state.db.conn, job).await?.is_some() {
        set_report_status(&state.db.conn, bulk_id, BulkReportState::Pending, "").await?;
    }
    Ok(())
}

/// When an operator may refresh a finished send's report by hand.
pub fn refresh_available_at(config: &Config, bulk: &bulk_send::Model) -> Option<DateTime<Utc>> {
    let finished = bulk
        .finished_at
        .filter(|_| FINISHED.contains(&bulk.status) && bulk.sent_count > 0)?;
    Some(finished + Duration::from_std(config.reports.manual_refresh_delay).unwrap_or_default())
}

/// "Actualizar reporte": request the send's report again now.
pub async fn refresh(
    state: &AppState,
    by: Option<&CurrentUser>,
    bulk_id: i64,
    ignore_delay: bool,
) -> AppResult<()> {
    let bulk = crate::bulk_sends::find(&state.db.conn, bulk_id).await?;
    let Some(available) = refresh_available_at(&state.config, &bulk) else {
        return Err(AppError::conflict(
            "report_refresh_not_finished",
            "El reporte se puede actualizar cuando el envío termina y envió algo.",
            "The report can be refreshed once the send has finished and sent something.",
        ));
    };
    let now = Utc::now();
    if now < available && !ignore_delay {
        let minutes = ((available - now).num_seconds() + 59) / 60;
        return Err(AppError::conflict(
            "report_refresh_too_early",
            format!("El reporte manual está disponible en {minutes} min."),
            format!("The manual report is available in {minutes} min."),
        )
        .with("available_at", available.to_rfc3339()));
    }
    if jobs::active_for_bulk(&state.db.conn, jobs::JobType::PostSendReport, bulk_id)
        .await?
        .is_some()
    {
        // A scheduled automatic run is simply brought forward.
        crate::entities::job::Entity::update_many()
            .col_expr(crate::entities::job::Column::RunAfter, Expr::value(now))
            .col_expr(
                crate::entities::job::Column::Payload,
                Expr::value(json!({ "force": true, "retries": 0 })),
            )
            .filter(
                crate::entities::job::Column::DedupeKey
                    .eq(format!("{}:bulk:{bulk_id}", jobs::JobType::PostSendReport)),
            )
            .filter(crate::entities::job::Column::State.eq(jobs::JobState::Queued))
            .exec(&state.db.conn)
            .await?;
        let running =
            jobs::active_for_bulk(&state.db.conn, jobs::JobType::PostSendReport, bulk_id).await?;
        if running.is_some_and(|j| j.state == jobs::JobState::Running) {
            return Err(AppError::conflict(
                "report_refresh_in_progress",
                "Ya existe un reporte en cola o en ejecución para este envío.",
                "A report for this send is already queued or running.",
            ));
        }
    } else {
        jobs::enqueue(
            &state.db.conn,
            NewJob {
                bulk_send_id: Some(bulk_id),
                triggered_by: by.map(|u| u.id),
                payload: json!({ "force": true, "retries": 0 }),
                message: "Actualización de reporte encolada".into(),
                ..NewJob::new(jobs::JobType::PostSendReport)
            },
        )
        .await?;
    }
    set_report_status(&state.db.conn, bulk_id, BulkReportState::Pending, "").await?;
    if let Some(by) = by {
        audit::record(
            &state.db.conn,
            &by.actor(),
            "bulk_sends.refresh_report",
            Some(Target::new("bulk_send", bulk_id)),
            json!({}),
        )
        .await?;
    }
    state.wakeup.wake();
    Ok(())
}

/// The local days a send's messages went out on.
fn send_days(state: &AppState, bulk: &bulk_send::Model) -> (chrono::NaiveDate, chrono::NaiveDate) {
    let tz = state.config.time_zone;
    let first = bulk
        .started_at
        .or(bulk.queued_at)
        .unwrap_or(bulk.created_at);
    let last = bulk.finished_at.unwrap_or_else(Utc::now);
    (
        first.with_timezone(&tz).date_naive(),
        last.with_timezone(&tz).date_naive(),
    )
}

/// The post-send job: one look at where the send's report stands, then either done or
/// back later.
pub async fn run(ctx: &JobContext) -> AppResult<Ending> {
    let state = &ctx.state;
    let bulk_id = ctx.job.bulk_send_id.ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "report job {} has no bulk send",
            ctx.job.id
        ))
    })?;
    let bulk = crate::bulk_sends::find(&state.db.conn, bulk_id).await?;
    if !FINISHED.contains(&bulk.status) || bulk.sent_count == 0 {
        set_report_status(&state.db.conn, bulk_id, BulkReportState::NotStarted, "").await?;
        return Ok(Ending::Done(
            "El envío no terminó o no envió nada: no hay reporte que pedir.".into(),
        ));
    }
    let force = ctx.job.payload["force"].as_bool().unwrap_or(false);
    let retries = ctx.job.payload["retries"].as_i64().unwrap_or(0);
    let now = Utc::now();

    let latest = generated_report::Entity::find()
        .filter(generated_report::Column::BulkSendId.eq(bulk_id))
        .filter(generated_report::Column::Origin.eq(ReportOrigin::PostSend))
        .order_by_desc(generated_report::Column::Id)
        .one(&state.db.conn)
        .await?;
    // A forced refresh asks for a new report once, then follows that one.
    let report = match latest {
        Some(report) if !(force && report.created_at < ctx.job.created_at) => report,
        _ => {
            let (start, end) = send_days(state, &bulk);
            let report = super::create(
                state,
                None,
                ReportType::Deliveries,
                start,
                end,
                ReportOrigin::PostSend,
                Some(bulk_id),
            )
            .await?;
            bulk_send::Entity::update_many()
                .col_expr(bulk_send::Column::ReportRequestedAt, Expr::value(now))
                .filter(bulk_send::Column::Id.eq(bulk_id))
                .exec(&state.db.conn)
                .await?;
            set_report_status(&state.db.conn, bulk_id, BulkReportState::Processing, "").await?;
            return Ok(Ending::Again {
                at: now + CHECK_EVERY,
                message: format!("Reporte {} solicitado", report.id),
            });
        }
    };
    match report.state {
        ReportState::Pending | ReportState::Processing => {
            super::queue_step(&state.db.conn, report.id, None, now).await?;
            set_report_status(&state.db.conn, bulk_id, BulkReportState::Processing, "").await?;
            Ok(Ending::Again {
                at: now + CHECK_EVERY,
                message: format!("Reporte {} en proceso", report.id),
            })
        }
        ReportState::Error => {
            retry_later(ctx, bulk_id, report.id, retries, &report.error_details).await
        }
        ReportState::Ready => {
            let loaded = state
                .db
                .conn
                .query_one_raw(state.db.stmt(
                    "SELECT 1 FROM report_loads WHERE report_id = $1 AND target = 'default'",
                    [report.id.into()],
                ))
                .await?
                .is_some();
            if !loaded {
                if let Err(err) =
                    super::load::load(state, report.id, LoadTarget::Default, None).await
                {
                    if err.code != "report_already_loaded" {
                        return retry_later(ctx, bulk_id, report.id, retries, &err.es).await;
                    }
                }
            }
            let matched = campaign::matched_rows(state, &bulk, report.id).await?;
            let status = if matched > 0 {
                BulkReportState::Ready
            } else {
                BulkReportState::ZeroRows
            };
            bulk_send::Entity::update_many()
                .col_expr(bulk_send::Column::ReportStatus, Expr::value(status))
                .col_expr(bulk_send::Column::ReportError, Expr::value(""))
                .col_expr(bulk_send::Column::ReportLoadedAt, Expr::value(now))
                .col_expr(bulk_send::Column::ReportRows, Expr::value(matched))
                .filter(bulk_send::Column::Id.eq(bulk_id))
                .exec(&state.db.conn)
                .await?;
            Ok(Ending::Done(format!(
                "Reporte {} cargado: {matched} filas de este envío",
                report.id
            )))
        }
    }
}

/// The report failed: ask again later (1, 2, 4 ... minutes), up to [`RETRIES`] times.
async fn retry_later(
    ctx: &JobContext,
    bulk_id: i64,
    report_id: i64,
    retries: i64,
    details: &str,
) -> AppResult<Ending> {
    let state = &ctx.state;
    if retries >= RETRIES {
        set_report_status(&state.db.conn, bulk_id, BulkReportState::Error, details).await?;
        return Ok(Ending::Done(format!(
            "Reporte en error tras {retries} reintentos: {details}"
        )));
    }
    let wait = Duration::minutes(1 << retries);
    super::reset(&state.db.conn, report_id).await?;
    set_report_status(
        &state.db.conn,
        bulk_id,
        BulkReportState::Processing,
        details,
    )
    .await?;
    crate::entities::job::Entity::update_many()
        .col_expr(
            crate::entities::job::Column::Payload,
            Expr::value(json!({ "force": false, "retries": retries + 1 })),
        )
        .filter(crate::entities::job::Column::Id.eq(ctx.job.id))
        .exec(&state.db.conn)
        .await?;
    Ok(Ending::Again {
        at: Utc::now() + wait,
        message: format!(
            "El reporte falló ({details}); se reintenta en {} min",
            wait.num_minutes()
        ),
    })
}

/// Finished sends whose automatic report never got scheduled (say, a crash at the end of
/// the send): scheduled now. Answers how many.
pub async fn schedule_missing(state: &AppState) -> AppResult<u64> {
    let delay = Duration::from_std(state.config.reports.post_send_delay).unwrap_or_default();
    let due = bulk_send::Entity::find()
        .filter(bulk_send::Column::Status.is_in(FINISHED))
        .filter(bulk_send::Column::SentCount.gt(0))
        .filter(bulk_send::Column::ReportStatus.eq(BulkReportState::NotStarted))
        .filter(bulk_send::Column::FinishedAt.lte(Utc::now() - delay))
        .all(&state.db.conn)
        .await?;
    let mut scheduled = 0;
    for bulk in due {
        schedule(state, bulk.id, bulk.finished_at.unwrap_or_else(Utc::now)).await?;
        scheduled += 1;
    }
    Ok(scheduled)
}

/// The sends `process-post-send-reports` looks at: one (`--bulk-id`) or every finished one
/// whose report is due and not loaded.
pub async fn queue_for_cli(
    state: &AppState,
    bulk_id: Option<i64>,
    force: bool,
) -> AppResult<Vec<i64>> {
    let mut query = bulk_send::Entity::find()
        .filter(bulk_send::Column::Status.is_in(FINISHED))
        .filter(bulk_send::Column::SentCount.gt(0));
    match bulk_id {
        Some(id) => query = query.filter(bulk_send::Column::Id.eq(id)),
        None if !force => {
            query = query.filter(bulk_send::Column::ReportStatus.is_in([
                BulkReportState::NotStarted,
                BulkReportState::Pending,
                BulkReportState::Error,
            ]))
        }
        None => {}
    }
    let mut queued = Vec::new();
    for bulk in query.all(&state.db.conn).await? {
        let result = refresh(state, None, bulk.id, force).await;
        match result {
            Ok(()) => queued.push(bulk.id),
            Err(err) if err.code == "report_refresh_too_early" => {
                // Not forced: the automatic run at its due time takes care of it.
                schedule(state, bulk.id, bulk.finished_at.unwrap_or_else(Utc::now)).await?;
            }
            Err(err) => {
                tracing::warn!(bulk_send = bulk.id, code = %err.code, "post-send report not queued")
            }
        }
    }
    Ok(queued)
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
