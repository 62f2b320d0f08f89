//! One step of a report at a time: ask Doppler for it, ask again later whether it is
//! ready, download it. No worker ever waits for Doppler to finish a report: a step that
//! has to wait reschedules its job for `next_poll_at` and lets the worker go.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::ReportState;
use crate::entities::generated_report;
use crate::error::{AppError, AppResult};
use crate::jobs::Ending;
use crate::jobs::JobContext;
use crate::relay::ReportPoll;

/// The next wait between polls: double the last, within the configured bounds.
pub fn next_delay(last: Duration, initial: Duration, max: Duration) -> Duration {
    if last.is_zero() {
        initial
    } else {
        (last * 2).clamp(initial, max.max(initial))
    }
}

/// A collision-free file name: type, the moment, and the report's own id.
fn file_name(report: &generated_report::Model, now: DateTime<Utc>) -> String {
    format!(
        "reports/doppler_{}_{}_{}.csv",
        report.report_type,
        now.format("%Y%m%d_%H%M%S"),
        report.id
    )
}

async fn fail(ctx: &JobContext, id: i64, details: String) -> AppResult<Ending> {
    tracing::warn!(report = id, details = %details, "report failed");
    generated_report::Entity::update_many()
        .col_expr(
            generated_report::Column::State,
            Expr::value(ReportState::Error),
        )
        .col_expr(
            generated_report::Column::ErrorDetails,
            Expr::value(details.chars().take(2000).collect::<String>()),
        )
        .col_expr(
            generated_report::Column::NextPollAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(generated_report::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(generated_report::Column::Id.eq(id))
        .exec(&ctx.services.db.conn)
        .await?;
    // The job failed with its report: the audit shows it in error, and retrying it
    // processes the report again.
    Ok(Ending::Failed {
        message: format!("Reporte {id} en ERROR"),
        error: details,
    })
}

pub async fn run(ctx: &JobContext) -> AppResult<Ending> {
    let services = &ctx.services;
    let id = ctx.job.report_id.ok_or_else(|| {
        AppError::internal(anyhow::anyhow!("report job {} has no report", ctx.job.id))
    })?;
    let report = super::find(&services.db.conn, id).await?;
    let tz = services.config.time_zone;
    let settings = &services.config.reports;
    let now = Utc::now();
    match report.state {
        ReportState::Pending => match services
            .relay
            .create_report_request(
                report.report_type.as_str(),
                report.start_date,
                report.end_date,
            )
            .await
        {
            Ok(request_id) => {
                let delay = settings.poll_initial_delay;
                let next = now + chrono::Duration::from_std(delay).unwrap_or_default();
                generated_report::Entity::update_many()
                    .col_expr(
                        generated_report::Column::State,
                        Expr::value(ReportState::Processing),
                    )
                    .col_expr(
                        generated_report::Column::ReportRequestId,
                        Expr::value(request_id.clone()),
                    )
                    .col_expr(generated_report::Column::ErrorDetails, Expr::value(""))
                    .col_expr(generated_report::Column::PollStartedAt, Expr::value(now))
                    .col_expr(generated_report::Column::NextPollAt, Expr::value(next))
                    .col_expr(
                        generated_report::Column::PollDelayMs,
                        Expr::value(delay.as_millis() as i64),
                    )
                    .col_expr(generated_report::Column::UpdatedAt, Expr::value(now))
                    .filter(generated_report::Column::Id.eq(id))
                    .filter(generated_report::Column::State.eq(ReportState::Pending))
                    .exec(&services.db.conn)
                    .await?;
                Ok(Ending::Again {
                    at: next,
                    message: format!(
                        "Solicitud {request_id} creada; se consulta a las {}",
                        next.with_timezone(&tz).format("%H:%M:%S")
                    ),
                })
            }
            Err(err) => {
                fail(
                    ctx,
                    id,
                    format!("No se pudo solicitar el reporte: {}", err.message_es(tz)),
                )
                .await
            }
        },
        ReportState::Processing => {
            let started = report.poll_started_at.unwrap_or(report.updated_at);
            let budget =
                chrono::Duration::from_std(settings.poll_total_timeout).unwrap_or_default();
            if now - started > budget {
                return fail(
                    ctx,
                    id,
                    format!(
                        "Tiempo de espera excedido al procesar el reporte ({} s sin estar listo).",
                        settings.poll_total_timeout.as_secs()
                    ),
                )
                .await;
            }
            match services.relay.poll_report(&report.report_request_id).await {
                Ok(ReportPoll::Pending) => {
                    let delay = next_delay(
                        Duration::from_millis(report.poll_delay_ms.max(0) as u64),
                        settings.poll_initial_delay,
                        settings.poll_max_delay,
                    );
                    let next = (now + chrono::Duration::from_std(delay).unwrap_or_default())
                        .min(started + budget + chrono::Duration::seconds(1));
                    generated_report::Entity::update_many()
                        .col_expr(generated_report::Column::NextPollAt, Expr::value(next))
                        .col_expr(
                            generated_report::Column::PollDelayMs,
                            Expr::value(delay.as_millis() as i64),
                        )
                        .col_expr(generated_report::Column::UpdatedAt, Expr::value(now))
                        .filter(generated_report::Column::Id.eq(id))
                        .exec(&services.db.conn)
                        .await?;
                    Ok(Ending::Again {
                        at: next,
                        message: format!(
                            "En proceso en Doppler; se vuelve a consultar en {} s",
                            delay.as_secs_f64().ceil()
                        ),
                    })
                }
                Ok(ReportPoll::Ready) => {
                    let relative = file_name(&report, now);
                    let path = services.config.data_dir.join(&relative);
                    match services
                        .relay
                        .download_report(&report.report_request_id, &path)
                        .await
                    {
                        Ok(bytes) => {
                            generated_report::Entity::update_many()
                                .col_expr(
                                    generated_report::Column::State,
                                    Expr::value(ReportState::Ready),
                                )
                                .col_expr(generated_report::Column::FilePath, Expr::value(relative))
                                .col_expr(
                                    generated_report::Column::FileSize,
                                    Expr::value(bytes as i64),
                                )
                                .col_expr(
                                    generated_report::Column::NextPollAt,
                                    Expr::value(Option::<DateTime<Utc>>::None),
                                )
                                .col_expr(generated_report::Column::ReadyAt, Expr::value(now))
                                .col_expr(generated_report::Column::UpdatedAt, Expr::value(now))
                                .filter(generated_report::Column::Id.eq(id))
                                .exec(&services.db.conn)
                                .await?;
                            tracing::info!(report = id, bytes, "report ready");
                            Ok(Ending::Done(format!("Reporte {id} listo ({bytes} bytes)")))
                        }
                        Err(err) => {
                            fail(
                                ctx,
                                id,
                                format!("No se pudo descargar el reporte: {}", err.message_es(tz)),
                            )
                            .await
                        }
                    }
                }
                Err(err) => {
                    fail(
                        ctx,
                        id,
                        format!("No se pudo consultar el reporte: {}", err.message_es(tz)),
                    )
                    .await
                }
            }
        }
        other @ (ReportState::Ready | ReportState::Error) => {
            Ok(Ending::Done(format!("Reporte {id} ya está en {other}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_back_off_up_to_the_maximum() {
        let (initial, max) = (Duration::from_secs(2), Duration::from_secs(15));
        let mut delay = Duration::ZERO;
        let mut seen = Vec::new();
        for _ in 0..5 {
            delay = next_delay(delay, initial, max);
            seen.push(delay.as_secs());
        }
        assert_eq!(seen, [2, 4, 8, 15, 15]);
    }
}
