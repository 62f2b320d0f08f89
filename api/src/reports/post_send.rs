//! After a bulk send finishes: wait `POST_SEND_REPORT_DELAY_MIN`, request the report of
//! the send's local days, follow it to READY, load it into the default database, and keep
//! the bulk send's report status. Failures retry with backoff. Operators may refresh the
//! report by hand `MANUAL_REPORT_REFRESH_MIN` after the send finished.

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use super::{campaign, LoadTarget, ReportOrigin, ReportState, ReportType};
use crate::auth::CurrentUser;
use crate::bulk_sends::history;
use crate::bulk_sends::report_status::{
    refresh_available_at, schedule_report, set_report_status, FINISHED, REPORTABLE,
};
use crate::entities::{bulk_send, generated_report};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::jobs::JobContext;
use crate::jobs::{self, Ending, NewJob};
use crate::services::Services;
use relay_types::{BulkEventKind, BulkReportState};

/// Report requests that fail are tried again this many times, waiting 1, 2, 4 ... minutes.
const RETRIES: i64 = 5;
/// How often the automation looks at a report that is still being prepared.
const CHECK_EVERY: Duration = Duration::seconds(5);

/// "Actualizar reporte": request the send's report again now.
pub async fn refresh(
    services: &Services,
    by: Option<&CurrentUser>,
    bulk_id: i64,
    ignore_delay: bool,
) -> AppResult<()> {
    let bulk = crate::bulk_sends::find(&services.db.conn, bulk_id).await?;
    let Some(available) = refresh_available_at(&services.config, &bulk) else {
        return Err(AppError::conflict(
            ErrorCode::ReportRefreshNotFinished,
            "El reporte se puede actualizar cuando el envío terminó, se canceló o está en pausa, y envió algo.",
            "The report can be refreshed once the send has finished, was cancelled or is paused, and sent something.",
        ));
    };
    let now = Utc::now();
    if now < available && !ignore_delay {
        let minutes = ((available - now).num_seconds() + 59) / 60;
        return Err(AppError::conflict(
            ErrorCode::ReportRefreshTooEarly,
            format!("El reporte manual está disponible en {minutes} min."),
            format!("The manual report is available in {minutes} min."),
        )
        .with("available_at", available.to_rfc3339()));
    }
    if jobs::active_for_bulk(&services.db.conn, jobs::JobType::PostSendReport, bulk_id)
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
            .exec(&services.db.conn)
            .await?;
        let running =
            jobs::active_for_bulk(&services.db.conn, jobs::JobType::PostSendReport, bulk_id)
                .await?;
        if running.is_some_and(|j| j.state == jobs::JobState::Running) {
            return Err(AppError::conflict(
                ErrorCode::ReportRefreshInProgress,
                "Ya existe un reporte en cola o en ejecución para este envío.",
                "A report for this send is already queued or running.",
            ));
        }
    } else {
        jobs::enqueue(
            &services.db.conn,
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
    set_report_status(&services.db.conn, bulk_id, BulkReportState::Pending, "").await?;
    if let Some(by) = by {
        history::record(
            &services.db.conn,
            Some(&by.actor()),
            bulk_id,
            BulkEventKind::ReportRefreshed,
            json!({}),
        )
        .await?;
    }
    services.wakeup.wake();
    Ok(())
}

/// The local days a send's messages went out on.
fn send_days(
    services: &Services,
    bulk: &bulk_send::Model,
) -> (chrono::NaiveDate, chrono::NaiveDate) {
    let tz = services.config.time_zone;
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
    let services = &ctx.services;
    let bulk_id = ctx.job.bulk_send_id.ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "report job {} has no bulk send",
            ctx.job.id
        ))
    })?;
    let bulk = crate::bulk_sends::find(&services.db.conn, bulk_id).await?;
    if !REPORTABLE.contains(&bulk.status) || bulk.sent_count == 0 {
        set_report_status(&services.db.conn, bulk_id, BulkReportState::NotStarted, "").await?;
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
        .one(&services.db.conn)
        .await?;
    // A forced refresh asks for a new report once, then follows that one.
    let report = match latest {
        Some(report) if !(force && report.created_at < ctx.job.created_at) => report,
        _ => {
            let (start, end) = send_days(services, &bulk);
            let report = super::create(
                services,
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
                .exec(&services.db.conn)
                .await?;
            set_report_status(&services.db.conn, bulk_id, BulkReportState::Processing, "").await?;
            return Ok(Ending::Again {
                at: now + CHECK_EVERY,
                message: format!("Reporte {} solicitado", report.id),
            });
        }
    };
    match report.state {
        ReportState::Pending | ReportState::Processing => {
            super::queue_step(&services.db.conn, report.id, None, now).await?;
            set_report_status(&services.db.conn, bulk_id, BulkReportState::Processing, "").await?;
            Ok(Ending::Again {
                at: now + CHECK_EVERY,
                message: format!("Reporte {} en proceso", report.id),
            })
        }
        ReportState::Error => {
            retry_later(ctx, bulk_id, report.id, retries, &report.error_details).await
        }
        ReportState::Ready => {
            let loaded = services
                .db
                .conn
                .query_one_raw(services.db.stmt(
                    "SELECT 1 FROM report_loads WHERE report_id = $1 AND target = 'default'",
                    [report.id.into()],
                ))
                .await?
                .is_some();
            if !loaded {
                if let Err(err) =
                    super::load::load(services, report.id, LoadTarget::Default, None).await
                {
                    if err.code != ErrorCode::ReportAlreadyLoaded {
                        return retry_later(ctx, bulk_id, report.id, retries, &err.es).await;
                    }
                }
            }
            // The figures the home page adds up, kept with the status.
            let totals = campaign::build(services, &bulk).await?.totals;
            let matched = totals.in_report;
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
                .col_expr(
                    bulk_send::Column::ReportDelivered,
                    Expr::value(totals.delivered),
                )
                .col_expr(
                    bulk_send::Column::ReportOpened,
                    Expr::value(totals.unique_openers),
                )
                .filter(bulk_send::Column::Id.eq(bulk_id))
                .exec(&services.db.conn)
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
    let services = &ctx.services;
    if retries >= RETRIES {
        set_report_status(&services.db.conn, bulk_id, BulkReportState::Error, details).await?;
        return Ok(Ending::Done(format!(
            "Reporte en error tras {retries} reintentos: {details}"
        )));
    }
    let wait = Duration::minutes(1 << retries);
    super::reset(&services.db.conn, report_id).await?;
    set_report_status(
        &services.db.conn,
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
        .exec(&services.db.conn)
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
pub async fn schedule_missing(services: &Services) -> AppResult<u64> {
    let delay = Duration::from_std(services.config.reports.post_send_delay).unwrap_or_default();
    let due = bulk_send::Entity::find()
        .filter(bulk_send::Column::Status.is_in(FINISHED))
        .filter(bulk_send::Column::SentCount.gt(0))
        .filter(bulk_send::Column::ReportStatus.eq(BulkReportState::NotStarted))
        .filter(bulk_send::Column::FinishedAt.lte(Utc::now() - delay))
        .all(&services.db.conn)
        .await?;
    let mut scheduled = 0;
    for bulk in due {
        schedule_report(services, bulk.id, bulk.finished_at.unwrap_or_else(Utc::now)).await?;
        scheduled += 1;
    }
    Ok(scheduled)
}

/// The sends `process-post-send-reports` looks at: one (`--bulk-id`) or every finished one
/// whose report is due and not loaded.
pub async fn queue_for_cli(
    services: &Services,
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
    for bulk in query.all(&services.db.conn).await? {
        let result = refresh(services, None, bulk.id, force).await;
        match result {
            Ok(()) => queued.push(bulk.id),
            Err(err) if err.code == ErrorCode::ReportRefreshTooEarly => {
                // Not forced: the automatic run at its due time takes care of it.
                schedule_report(services, bulk.id, bulk.finished_at.unwrap_or_else(Utc::now))
                    .await?;
            }
            Err(err) => {
                tracing::warn!(bulk_send = bulk.id, code = %err.code, "post-send report not queued")
            }
        }
    }
    Ok(queued)
}
