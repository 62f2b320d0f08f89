//! The operator's actions on a bulk send: queue, pause, resume, cancel, and settling
//! ambiguous recipients. Each is a compare-and-set on the status.

use relay_types::{BulkAction, BulkSend, ResolveAction, ResolveResult};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

use super::history;
use relay_types::BulkEventKind;

use super::{
    final_status, find, get, state_conflict, template_lookup_error, transition, Event, Said, Status,
};
use crate::auth::CurrentUser;
use crate::entities::bulk_send;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::jobs::{self, NewJob};
use crate::recipients::ledger;
use crate::services::Services;
use crate::templates;

/// Every sendable row still to send has a value for every template variable; otherwise
/// 422 naming the variables and rows.
pub async fn check_variables(services: &Services, bulk: &bulk_send::Model) -> AppResult<()> {
    let template = templates::fresh_detail(&services.relay, &services.config, &bulk.template_id)
        .await
        .map_err(|e| template_lookup_error(e, &bulk.template_id))?;
    let required: Vec<String> = template
        .variables
        .into_iter()
        .filter(|v| *v != bulk.email_column)
        .collect();
    let (missing, rows, total) =
        ledger::rows_missing_variables(&services.db, bulk.id, &required, 20).await?;
    if total == 0 {
        return Ok(());
    }
    let sample: Vec<String> = rows.iter().map(i64::to_string).collect();
    Err(AppError::invalid(
        "template_id",
        ErrorCode::TemplateVariablesMissing,
        format!(
            "La plantilla usa {} y {total} destinatario(s) no tienen valor (filas {}). El envío no empezó.",
            missing.join(", "),
            sample.join(", ")
        ),
        format!(
            "The template uses {} and {total} recipient(s) have no value (rows {}). The send did not start.",
            missing.join(", "),
            sample.join(", ")
        ),
    )
    .with("missing_variables", missing)
    .with("rows", rows)
    .with("rows_total", total))
}

/// Starts sending: checks the template's variables against every row, then queues the job.
pub async fn queue(services: &Services, by: &CurrentUser, id: i64) -> AppResult<BulkSend> {
    let event = Event::by(by.actor(), BulkEventKind::Queued, json!({}));
    start(services, Some(by), id, BulkAction::Queue, Some(event)).await?;
    get(&services.db, &services.config, id).await
}

/// The common part of queue, resume, resend and scheduled starts: `action` says from which
/// statuses the send may start, `event` what its timeline says (written with the status).
pub async fn start(
    services: &Services,
    by: Option<&CurrentUser>,
    id: i64,
    action: BulkAction,
    event: Option<Event>,
) -> AppResult<()> {
    let bulk = find(&services.db.conn, id).await?;
    if !bulk.status.allows(action) {
        return Err(state_conflict(action, bulk.status));
    }
    let from = Status::allowing(action);
    // Resuming right after a pause finds the paused run still finishing its requests in
    // flight: that run is adopted (it sees the send queued again and carries on, or, had
    // it already ended, `queue_if_resumed` queues a new one) instead of a 409.
    let adopt = action == BulkAction::Resume;
    if !adopt
        && jobs::active_for_bulk(&services.db.conn, jobs::JobType::BulkSend, id)
            .await?
            .is_some()
    {
        return Err(job_active());
    }
    check_variables(services, &bulk).await?;
    if adopt {
        // The status first, committed, then the run: a run that ends meanwhile looks at
        // the status after it ended (`queue_if_resumed`) and so cannot miss it.
        let queued = Status::Queued;
        if !transition(
            &services.db.conn,
            id,
            &from,
            queued,
            "",
            Said::NOTHING,
            event,
        )
        .await?
        {
            return Err(state_conflict(
                action,
                find(&services.db.conn, id).await?.status,
            ));
        }
        // None: the paused run is still finishing, and carries on.
        enqueue_send(&services.db.conn, id, by.map(|u| u.id)).await?;
    } else {
        let txn = services.db.conn.begin().await?;
        if !transition(&txn, id, &from, Status::Queued, "", Said::NOTHING, event).await? {
            return Err(state_conflict(
                action,
                find(&services.db.conn, id).await?.status,
            ));
        }
        if enqueue_send(&txn, id, by.map(|u| u.id)).await?.is_none() {
            return Err(job_active());
        }
        txn.commit().await?;
    }
    services.wakeup.wake();
    Ok(())
}

fn job_active() -> AppError {
    AppError::conflict(
        ErrorCode::BulkSendJobActive,
        "Ya existe un envío en cola o en ejecución para este envío masivo.",
        "A send for this bulk send is already queued or running.",
    )
}

async fn enqueue_send(
    db: &impl ConnectionTrait,
    id: i64,
    by: Option<i64>,
) -> AppResult<Option<crate::entities::job::Model>> {
    let job = NewJob {
        bulk_send_id: Some(id),
        triggered_by: by,
        message: "Envío en cola".into(),
        ..NewJob::new(jobs::JobType::BulkSend)
    };
    jobs::enqueue(db, job).await
}

/// After a send's run ended: a send resumed while that run was winding down (it had
/// already decided to stop) is queued again, so no resumed send waits without a run.
/// The run ends before this looks, so either this finds the send queued, or the resume
/// came later and queued its own run.
pub async fn queue_if_resumed(services: &Services, id: i64) -> AppResult<()> {
    if find(&services.db.conn, id).await?.status == Status::Queued
        && enqueue_send(&services.db.conn, id, None).await?.is_some()
    {
        services.wakeup.wake();
    }
    Ok(())
}

pub async fn pause(services: &Services, by: &CurrentUser, id: i64) -> AppResult<BulkSend> {
    let bulk = find(&services.db.conn, id).await?;
    let (es, en) = (
        format!("Pausado por {}", by.username),
        format!("Paused by {}", by.username),
    );
    let event = Event::by(
        by.actor(),
        BulkEventKind::Paused,
        json!({ "from": bulk.status }),
    );
    if !transition(
        &services.db.conn,
        id,
        &Status::allowing(BulkAction::Pause),
        Status::Paused,
        "operator",
        Said::new(&es, &en),
        Some(event),
    )
    .await?
    {
        return Err(state_conflict(BulkAction::Pause, bulk.status));
    }
    get(&services.db, &services.config, id).await
}

pub async fn resume(services: &Services, by: &CurrentUser, id: i64) -> AppResult<BulkSend> {
    let event = Event::by(by.actor(), BulkEventKind::Resumed, json!({}));
    start(services, Some(by), id, BulkAction::Resume, Some(event)).await?;
    get(&services.db, &services.config, id).await
}

pub async fn cancel(services: &Services, by: &CurrentUser, id: i64) -> AppResult<BulkSend> {
    let bulk = find(&services.db.conn, id).await?;
    let (es, en) = (
        format!("Cancelado por {}", by.username),
        format!("Cancelled by {}", by.username),
    );
    let event = Event::by(
        by.actor(),
        BulkEventKind::Cancelled,
        json!({ "from": bulk.status }),
    );
    if !transition(
        &services.db.conn,
        id,
        &Status::allowing(BulkAction::Cancel),
        Status::Cancelled,
        "operator",
        Said::new(&es, &en),
        Some(event),
    )
    .await?
    {
        return Err(state_conflict(BulkAction::Cancel, bulk.status));
    }
    // What it did send gets its report, as a finished send's does.
    if ledger::counts(&services.db.conn, id).await?.sent > 0 {
        super::report_status::schedule_report(services, id, chrono::Utc::now()).await?;
    }
    get(&services.db, &services.config, id).await
}

/// An operator settles ambiguous recipients: they did go out (`mark_sent`), or they did not
/// and are sent again (`resend`, which queues the bulk send when it had finished).
pub async fn resolve(
    services: &Services,
    by: &CurrentUser,
    id: i64,
    action: ResolveAction,
    ids: Option<Vec<i64>>,
) -> AppResult<ResolveResult> {
    if let Some(ids) = &ids {
        crate::input::at_most(ids, relay_types::limits::RESOLVE_MAX_IDS, "recipient_ids")?;
    }
    let bulk = find(&services.db.conn, id).await?;
    if !bulk.status.allows(BulkAction::ResolveAmbiguous) {
        return Err(state_conflict(BulkAction::ResolveAmbiguous, bulk.status));
    }
    let resend = action == ResolveAction::Resend;
    let resolved =
        ledger::resolve_ambiguous(&services.db.conn, id, resend, ids.as_deref(), &by.username)
            .await?;
    let counts = ledger::refresh_counters(&services.db.conn, id).await?;
    history::record(
        &services.db.conn,
        Some(&by.actor()),
        id,
        if resend {
            BulkEventKind::Resent
        } else {
            BulkEventKind::MarkedSent
        },
        json!({ "recipients": resolved, "recipient_ids": ids }),
    )
    .await?;
    // A finished send whose recipients changed: sent again, or its ending recomputed.
    if resolved > 0 && bulk.status.allows(BulkAction::Resend) {
        if resend {
            // The timeline's "resent" entry above says why it runs again.
            start(services, Some(by), id, BulkAction::Resend, None).await?;
        } else if let Some(end) = final_status(&counts) {
            let finished = Status::allowing(BulkAction::Resend);
            // The "marked sent" entry above says why its ending changed.
            transition(
                &services.db.conn,
                id,
                &finished,
                end,
                "",
                Said::NOTHING,
                None,
            )
            .await?;
        }
    }
    Ok(ResolveResult {
        resolved,
        bulk_send: get(&services.db, &services.config, id).await?,
    })
}
