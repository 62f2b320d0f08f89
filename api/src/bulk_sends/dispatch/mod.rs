//! Sending a bulk send: one template message per recipient, claimed from the ledger by
//! compare-and-set, with bounded concurrency and a rate limit, each answer classified.
//!
//! Nothing is ever sent twice automatically: a claim is durable before its request, a
//! request that may have reached Doppler ends `ambiguous`, and only refusals that prove
//! nothing was sent (429, 402, no connection) put a row back to `not_started`.
mod results;
mod sending;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{Event, Status};
use crate::attachments;
use crate::entities::bulk_send_attachment;
use crate::error::{AppError, AppResult};
use crate::jobs::Ending;
use crate::jobs::JobContext;
use crate::recipients::ledger::{self, Finish};
use crate::relay::payload::{Address, Attachment};
use crate::relay::QuotaInfo;
use crate::services::Services;
use relay_types::BulkEventKind;
use results::{record, watch};
use serde_json::json;

/// How many times a rate-limited (429) row is tried before it is put back for later.
const RATE_LIMITED_TRIES: u32 = 20;
/// How many times a row is tried while Doppler cannot be reached before the send pauses.
const UNREACHABLE_TRIES: u32 = 5;
/// How often the dispatcher looks at the bulk send's status (pause, cancel) and counters.
const WATCH_EVERY: Duration = Duration::from_millis(250);
/// Results are written in small batches, one commit each. Claims stay individual and
/// durable before their request; a result waits at most this long for its commit (a crash
/// meanwhile leaves the row `sending`, which recovery makes ambiguous).
const RECORD_EVERY: Duration = Duration::from_millis(20);
const RECORD_BATCH: usize = 200;

/// Why sending stopped before the rows ran out.
#[derive(Debug, Clone)]
enum Halt {
    Quota(QuotaInfo),
    Unreachable(String),
    /// Doppler refused our credentials (the HTTP status).
    Credentials(u16),
}

struct Dispatch {
    services: Services,
    job_id: i64,
    bulk_id: i64,
    template_id: String,
    subject: String,
    from: Address,
    email_column: String,
    attachments: Vec<Attachment>,
    /// Stop claiming: operator pause/cancel, quota, Doppler gone, shutdown.
    stop: CancellationToken,
    halt: Mutex<Option<Halt>>,
    /// After a 429, nobody starts a new request before this.
    backoff_until: Mutex<Option<Instant>>,
    unrecorded: AtomicBool,
    /// Where finished rows go to be written; closed once every send is over.
    results: Mutex<Option<UnboundedSender<(i64, Finish)>>>,
}

pub async fn run(ctx: &JobContext) -> AppResult<Ending> {
    let services = &ctx.services;
    let bulk_id = ctx.job.bulk_send_id.ok_or_else(|| {
        AppError::internal(anyhow::anyhow!("send job {} has no bulk send", ctx.job.id))
    })?;
    let bulk = super::find(&services.db.conn, bulk_id).await?;
    if !matches!(bulk.status, Status::Queued | Status::Sending) {
        return Ok(Ending::Done(format!(
            "Nada que enviar: el envío está en '{}'.",
            bulk.status
        )));
    }
    // The template may have changed since the send was queued.
    if let Err(problem) = super::check_variables(services, &bulk).await {
        if problem.kind.is_permanent() {
            let event = Event::system(
                BulkEventKind::StartFailed,
                json!({ "code": problem.code, "message": problem.es, "message_en": problem.en }),
            );
            super::transition(
                &services.db.conn,
                bulk_id,
                &[Status::Queued, Status::Sending],
                Status::Failed,
                problem.code.as_str(),
                super::Said::new(&problem.es, &problem.en),
                Some(event),
            )
            .await?;
            return Ok(Ending::Done(problem.es.clone()));
        }
        return Ok(Ending::Again {
            at: Utc::now() + chrono::Duration::seconds(30),
            message: format!(
                "Doppler no disponible; se reintenta en 30 s. {}",
                problem.es
            ),
        });
    }
    // Chosen (and checked against their creator's rights and the size cap) at creation.
    let attachment_ids: Vec<i64> = bulk_send_attachment::Entity::find()
        .filter(bulk_send_attachment::Column::BulkSendId.eq(bulk_id))
        .all(&services.db.conn)
        .await?
        .into_iter()
        .map(|a| a.attachment_id)
        .collect();
    let chosen = crate::entities::attachment::Entity::find()
        .filter(crate::entities::attachment::Column::Id.is_in(attachment_ids))
        .all(&services.db.conn)
        .await?;
    let files = attachments::read_for_send(&services.config, chosen).await?;
    // The first run of a send says so in its timeline; a resumed one does not again.
    let first = bulk.started_at.is_none().then(|| {
        Event::system(
            BulkEventKind::SendingStarted,
            json!({ "recipients": bulk.valid_count }),
        )
    });
    if !super::transition(
        &services.db.conn,
        bulk_id,
        &[Status::Queued, Status::Sending],
        Status::Sending,
        "",
        super::Said::NOTHING,
        first,
    )
    .await?
    {
        return Ok(Ending::Done(
            "El envío cambió de estado antes de empezar.".into(),
        ));
    }
    services
        .db
        .conn
        .execute_raw(services.db.stmt(
            "UPDATE bulk_sends SET started_at = COALESCE(started_at, $2) WHERE id = $1",
            [bulk_id.into(), Utc::now().into()],
        ))
        .await?;

    let (results, pending_results) = unbounded_channel();
    let recorder = tokio::spawn(record(services.db.clone(), ctx.job.id, pending_results));
    let dispatch = Arc::new(Dispatch {
        services: services.clone(),
        job_id: ctx.job.id,
        bulk_id,
        template_id: bulk.template_id.clone(),
        subject: bulk.subject.clone(),
        from: Address {
            email: bulk.from_email.clone(),
            name: bulk.from_name.clone(),
        },
        email_column: bulk.email_column.clone(),
        attachments: files
            .into_iter()
            .map(|(file, content)| Attachment::of(file, content))
            .collect(),
        stop: ctx.stop.child_token(),
        halt: Mutex::new(None),
        backoff_until: Mutex::new(None),
        unrecorded: AtomicBool::new(false),
        results: Mutex::new(Some(results)),
    });
    let watcher = tokio::spawn(watch(dispatch.clone(), ctx.owner.clone()));
    let claimed = send_all(&dispatch).await;
    watcher.abort();
    // Every result is written before the send is judged.
    drop(
        dispatch
            .results
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take(),
    );
    if !recorder.await.unwrap_or(false) {
        dispatch.unrecorded.store(true, Ordering::SeqCst);
    }
    let claimed = claimed?;
    conclude(ctx, &dispatch, claimed).await
}

/// Claims and sends until the rows run out or something stops the send.
async fn send_all(dispatch: &Arc<Dispatch>) -> AppResult<u64> {
    let slots = Arc::new(Semaphore::new(dispatch.services.config.sending.concurrency));
    let mut in_flight = JoinSet::new();
    let mut cursor = 0i64;
    let mut claimed = 0u64;
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit.map_err(|e| AppError::internal(anyhow::anyhow!(e)))?,
            _ = dispatch.stop.cancelled() => break,
        };
        if !dispatch.wait_turn().await {
            break;
        }
        let Some(row) = ledger::claim_next(
            &dispatch.services.db,
            dispatch.bulk_id,
            dispatch.job_id,
            cursor,
        )
        .await?
        else {
            break;
        };
        cursor = row.row_number;
        claimed += 1;
        let dispatch = dispatch.clone();
        in_flight.spawn(async move {
            dispatch.send_one(row).await;
            drop(permit);
        });
        // Reap finished sends so the set stays small.
        while in_flight.try_join_next().is_some() {}
    }
    // Requests already made are let finish: cutting one short would only make it ambiguous.
    while in_flight.join_next().await.is_some() {}
    Ok(claimed)
}

/// After the last request: the bulk send's status and how the job ends.
async fn conclude(ctx: &JobContext, dispatch: &Dispatch, claimed: u64) -> AppResult<Ending> {
    let db = &ctx.services.db;
    if dispatch.unrecorded.load(Ordering::SeqCst) {
        ledger::abandon_sending(
            &db.conn,
            dispatch.bulk_id,
            "No se pudo registrar el resultado del envío; verifique antes de reenviar.",
        )
        .await?;
    }
    let counts = ledger::refresh_counters(&db.conn, dispatch.bulk_id).await?;
    let done = counts.sent + counts.failed + counts.ambiguous;
    ctx.progress(
        done,
        counts.valid,
        &format!("Procesados {done}/{}", counts.valid),
    )
    .await;
    if ctx.lease_lost.is_cancelled() {
        return Ok(Ending::Released("Lease perdido".into()));
    }
    let halt = dispatch
        .halt
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    match halt {
        Some(Halt::Quota(quota)) => {
            let tz = ctx.services.config.time_zone;
            // Without a reset time in Doppler's answer, DOPPLER_QUOTA_RETRY_MIN from now.
            let resume_at = quota.reset_at.unwrap_or_else(|| {
                Utc::now()
                    + chrono::Duration::from_std(ctx.services.config.relay.quota_retry)
                        .unwrap_or(chrono::Duration::hours(1))
            });
            let mut message = quota.message_es(tz);
            let mut message_en = quota.message_en(tz);
            if quota.reset_at.is_none() {
                let at = resume_at.with_timezone(&tz).format("%H:%M");
                message.push_str(&format!(
                    " Se puede reanudar desde las {at} (DOPPLER_QUOTA_RETRY_MIN)."
                ));
                message_en.push_str(&format!(
                    " It may be resumed from {at} (DOPPLER_QUOTA_RETRY_MIN)."
                ));
            }
            // The quota is the account's: every send on it stops until the reset.
            let paused = super::pause_for_quota(
                &ctx.services,
                dispatch.bulk_id,
                &quota,
                resume_at,
                super::Said::new(&message, &message_en),
            )
            .await?;
            return Ok(Ending::Done(format!(
                "Pausado: {message} ({paused} envío(s) de la cuenta en pausa)."
            )));
        }
        Some(Halt::Credentials(status)) => {
            let message = crate::relay::credentials_es(status);
            let message_en = crate::relay::credentials_en(status);
            let event = Event::system(
                BulkEventKind::CredentialsPaused,
                json!({ "upstream_status": status, "sent": counts.sent, "pending": counts.pending }),
            );
            super::transition(
                &db.conn,
                dispatch.bulk_id,
                &[Status::Sending],
                Status::Paused,
                crate::error::ErrorCode::RelayCredentials.as_str(),
                super::Said::new(&message, &message_en),
                Some(event),
            )
            .await?;
            return Ok(Ending::Done(format!("Pausado: {message}")));
        }
        Some(Halt::Unreachable(reason)) => {
            let message = format!("Doppler Relay no responde; reanude cuando vuelva. {reason}");
            let message_en =
                format!("Doppler Relay does not answer; resume when it is back. {reason}");
            let event = Event::system(
                BulkEventKind::RelayPaused,
                json!({ "reason": reason, "sent": counts.sent, "pending": counts.pending }),
            );
            super::transition(
                &db.conn,
                dispatch.bulk_id,
                &[Status::Sending],
                Status::Paused,
                "doppler_unavailable",
                super::Said::new(&message, &message_en),
                Some(event),
            )
            .await?;
            return Ok(Ending::Done(format!("Pausado: {message}")));
        }
        None => {}
    }
    let bulk = super::find(&db.conn, dispatch.bulk_id).await?;
    // Paused and resumed while this run finished its requests in flight: it carries on.
    if bulk.status == Status::Queued {
        return Ok(Ending::Again {
            at: Utc::now(),
            message: format!("Reanudado tras {claimed} envío(s); se continúa."),
        });
    }
    if bulk.status != Status::Sending {
        return Ok(Ending::Done(format!(
            "Detenido ({}) tras {claimed} envío(s) en esta ejecución.",
            bulk.status
        )));
    }
    if ctx.stop.is_cancelled() {
        return Ok(Ending::Released(format!(
            "Interrumpido al apagar tras {claimed} envío(s); otro proceso continúa."
        )));
    }
    match super::final_status(&counts) {
        Some(end) => {
            let event = Event::system(
                BulkEventKind::Finished,
                json!({
                    "status": end,
                    "sent": counts.sent,
                    "failed": counts.failed,
                    "ambiguous": counts.ambiguous,
                }),
            );
            let finished = super::transition(
                &db.conn,
                dispatch.bulk_id,
                &[Status::Sending],
                end,
                "",
                super::Said::NOTHING,
                Some(event),
            )
            .await?;
            // Cancelled at the last moment: the cancel scheduled the report of what went out.
            if finished && counts.sent > 0 {
                super::report_status::schedule_report(&ctx.services, dispatch.bulk_id, Utc::now())
                    .await?;
            }
            tracing::info!(
                bulk_send = dispatch.bulk_id,
                status = %end,
                sent = counts.sent,
                failed = counts.failed,
                ambiguous = counts.ambiguous,
                "bulk send finished"
            );
            Ok(Ending::Done(format!(
                "Envío procesado: {} enviados, {} fallidos, {} ambiguos.",
                counts.sent, counts.failed, counts.ambiguous
            )))
        }
        // Rows went back to not_started (a refusal ran out its retries): try again shortly.
        None => Ok(Ending::Again {
            at: Utc::now() + chrono::Duration::seconds(5),
            message: format!(
                "Quedan {} destinatario(s) por enviar; se continúa.",
                counts.pending
            ),
        }),
    }
}
