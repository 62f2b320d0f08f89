//! An operator's hand on a send: pause, resume, cancel, schedules, ambiguous recipients, and
//! a failed job retried.

use crate::on_both_databases;
use crate::sending::{action, received_per_email};
use crate::support::*;
use relay_sim::Faults;
use relay_types::{AuditAction, BulkEventKind, BulkSend, BulkSendStatus as S};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_databases!(
    pause_resume_and_cancel_work_mid_send,
    a_send_does_not_start_when_rows_lack_template_variables,
    a_scheduled_send_starts_when_due,
    ambiguous_recipients_are_marked_sent_or_resent_by_an_operator,
    a_failed_job_is_retried_and_jobs_are_listed,
    a_status_change_and_its_history_entry_commit_together,
);

async fn pause_resume_and_cancel_work_mid_send(backend: Backend) {
    let app = TestApp::spawn_with(backend, |v| {
        v.insert("SEND_CONCURRENCY".into(), "2".into());
    })
    .await;
    app.sim.set_faults(Faults {
        latency_ms: 60,
        ..Faults::default()
    });
    let created: BulkSend = expect_json(
        app.create_bulk(
            &app.admin_token,
            deuda_csv(40),
            "pausa.csv",
            &[("send_now", "true")],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created.id;
    eventually(20, "a few sends", || async {
        app.sim.messages().len() >= 6
    })
    .await;
    let paused: BulkSend = expect_json(action(&app, id, "pause").await, StatusCode::OK).await;
    assert_eq!(paused.status, S::Paused);
    assert_eq!(paused.status_reason, "operator");
    // Said in both languages: the dashboard shows the one its user chose.
    assert_eq!(paused.status_message, "Pausado por admin");
    assert_eq!(paused.status_message_en, "Paused by admin");
    // In-flight requests finish and the job ends; what Doppler received is what was sent.
    let bulk = app.wait_idle(id).await;
    let after_pause = app.sim.messages().len();
    assert_eq!(bulk.counts.sent, after_pause as i64, "{bulk:?}");
    assert!(after_pause < 40, "paused means paused");
    expect_problem(
        action(&app, id, "pause").await,
        StatusCode::CONFLICT,
        "bulk_send_state_conflict",
    )
    .await;

    expect_json::<BulkSend>(action(&app, id, "resume").await, StatusCode::OK).await;
    // Paused and resumed at once, while the run still finishes its requests in flight:
    // the resume is taken (no 409 to retry) and that run carries on.
    eventually(20, "more sends after resuming", || async {
        app.sim.messages().len() >= after_pause + 4
    })
    .await;
    expect_json::<BulkSend>(action(&app, id, "pause").await, StatusCode::OK).await;
    let resumed: BulkSend = expect_json(action(&app, id, "resume").await, StatusCode::OK).await;
    assert!(
        matches!(resumed.status, S::Queued | S::Sending),
        "{resumed:?}"
    );
    let done = app.wait_status(id, &[S::Done], 30).await;
    assert_eq!(done.counts.sent, 40);
    assert!(received_per_email(&app).values().all(|n| *n == 1));

    // Cancel mid-send: what has not gone out never does.
    let second: BulkSend = expect_json(
        app.create_bulk(
            &app.admin_token,
            deuda_csv(40),
            "cancela.csv",
            &[("send_now", "true")],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id2 = second.id;
    eventually(20, "a few more sends", || async {
        app.sim.messages().len() >= 46
    })
    .await;
    let cancelled: BulkSend = expect_json(action(&app, id2, "cancel").await, StatusCode::OK).await;
    assert_eq!(cancelled.status, S::Cancelled);
    let bulk = app.wait_idle(id2).await;
    let total = app.sim.messages().len();
    assert!(bulk.counts.pending > 0, "{bulk:?}");
    assert_eq!(bulk.counts.sent as usize, total - 40);
    expect_problem(
        action(&app, id2, "resume").await,
        StatusCode::CONFLICT,
        "bulk_send_state_conflict",
    )
    .await;
    app.stop().await;
}

async fn a_send_does_not_start_when_rows_lack_template_variables(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id_template = app.sim.template_id("Descuento en su deuda").unwrap();
    let created: BulkSend = expect_json(
        app.create_bulk(&app.admin_token, deuda_csv(3), "v.csv", &[])
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created.status, S::Ready);
    let id = created.id;
    // The template changes in Doppler after the import.
    app.request(
        Method::PATCH,
        &format!("/api/v1/templates/{id_template}"),
        Some(&app.admin_token),
    )
    .json(&json!({ "html": "<p>{{nombres}} {{fecha_limite}}</p>" }))
    .send()
    .await
    .unwrap();
    let problem = expect_problem(
        action(&app, id, "queue").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "template_variables_missing",
    )
    .await;
    assert_eq!(problem["missing_variables"], json!(["fecha_limite"]));
    assert_eq!(problem["rows"], json!([1, 2, 3]));
    assert_eq!(problem["rows_total"], 3);
    assert!(problem["detail"].as_str().unwrap().contains("fecha_limite"));
    assert_eq!(app.bulk(id).await.status, S::Ready, "nothing started");
    assert!(app.sim.messages().is_empty());
    app.stop().await;
}

async fn a_scheduled_send_starts_when_due(backend: Backend) {
    let app = TestApp::spawn_with(backend, |v| {
        v.insert("BULK_SCHEDULER_ENABLED".into(), "true".into());
        v.insert("BULK_SCHEDULER_INTERVAL_MIN".into(), "0.01".into());
    })
    .await;
    let at = (chrono::Utc::now() + chrono::Duration::seconds(3)).to_rfc3339();
    let created: BulkSend = expect_json(
        app.create_bulk(
            &app.admin_token,
            deuda_csv(3),
            "prog.csv",
            &[("scheduled_at", &at), ("send_now", "true")],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        created.status,
        S::Scheduled,
        "a schedule wins over send_now"
    );
    let id = created.id;
    let done = app.wait_status(id, &[S::Done], 30).await;
    assert!(
        done.started_at.unwrap() >= chrono::DateTime::parse_from_rfc3339(&at).unwrap(),
        "not before its time"
    );
    assert_eq!(app.sim.messages().len(), 3);
    let audit: Value = expect_json(
        app.get(
            "/api/v1/audit?action=bulk_sends.scheduled_start",
            &app.admin_token,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(audit["total"], 1);

    // A schedule can be cancelled before it is due.
    let later = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let other: BulkSend = expect_json(
        app.create_bulk(
            &app.admin_token,
            deuda_csv(2),
            "luego.csv",
            &[("scheduled_at", &later)],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let cancelled: BulkSend =
        expect_json(action(&app, other.id, "cancel").await, StatusCode::OK).await;
    assert_eq!(cancelled.status, S::Cancelled);
    app.stop().await;
}

async fn ambiguous_recipients_are_marked_sent_or_resent_by_an_operator(backend: Backend) {
    let app = TestApp::spawn_with(backend, |v| {
        v.insert("DOPPLER_RELAY_TIMEOUT".into(), "1".into());
    })
    .await;
    app.sim.set_faults(Faults {
        rate_500: 1.0,
        sends_only: true,
        ..Faults::default()
    });
    let created: BulkSend = expect_json(
        app.create_bulk(
            &app.admin_token,
            deuda_csv(4),
            "amb.csv",
            &[("send_now", "true")],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created.id;
    let bulk = app.wait_status(id, &[S::Failed], 30).await;
    assert_eq!(bulk.counts.ambiguous, 4, "all ambiguous is never 'done'");
    app.sim.set_faults(Faults::default());

    let rows = app.recipients(id, "&send_status=ambiguous").await;
    let first = rows[0].id;
    let marked: Value = expect_json(
        app.post(
            &format!("/api/v1/bulk-sends/{id}/recipients/resolve"),
            &app.admin_token,
            &json!({ "action": "mark_sent", "recipient_ids": [first] }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(marked["resolved"], 1);
    assert_eq!(marked["bulk_send"]["counts"]["sent"], 1);
    assert_eq!(marked["bulk_send"]["status"], "done_with_errors");
    assert!(app.sim.messages().is_empty(), "marking sends nothing");

    let resent: Value = expect_json(
        app.post(
            &format!("/api/v1/bulk-sends/{id}/recipients/resolve"),
            &app.admin_token,
            &json!({ "action": "resend" }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(resent["resolved"], 3);
    assert!(
        ["queued", "sending"].contains(&resent["bulk_send"]["status"].as_str().unwrap()),
        "{resent}"
    );
    let done = app.wait_status(id, &[S::Done], 30).await;
    assert_eq!(done.counts.sent, 4);
    assert_eq!(app.sim.messages().len(), 3, "exactly the three resent ones");
    let again: Value = expect_json(
        app.post(
            &format!("/api/v1/bulk-sends/{id}/recipients/resolve"),
            &app.admin_token,
            &json!({ "action": "resend" }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(again["resolved"], 0, "only ambiguous rows can be resent");
    let audit: Value = expect_json(
        app.get("/api/v1/audit?action=bulk_sends.*", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"bulk_sends.mark_sent")
            && actions.contains(&"bulk_sends.resend_ambiguous"),
        "{actions:?}"
    );
    app.stop().await;
}

async fn a_failed_job_is_retried_and_jobs_are_listed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let file: Value = expect_json(
        crate::attachments::upload(
            &app,
            &app.admin_token,
            "anexo.pdf",
            b"%PDF-1.4 anexo".to_vec(),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let created: BulkSend = expect_json(
        app.create_bulk(
            &app.admin_token,
            deuda_csv(2),
            "job.csv",
            &[("attachment_ids", &file["id"].to_string())],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created.id;
    // The attachment's file disappears from disk: the job cannot run.
    let stored: Vec<_> = walkdir(&app.data_dir.path().join("attachments"));
    let moved = stored[0].with_extension("moved");
    std::fs::rename(&stored[0], &moved).unwrap();
    expect_json::<BulkSend>(action(&app, id, "queue").await, StatusCode::OK).await;
    let errored = || async {
        let jobs: Value = expect_json(
            app.get(
                &format!("/api/v1/jobs?bulk_send_id={id}&state=error"),
                &app.admin_token,
            )
            .send()
            .await
            .unwrap(),
            StatusCode::OK,
        )
        .await;
        jobs["items"][0].clone()
    };
    eventually(20, "the job fails", || async {
        errored().await.is_object()
    })
    .await;
    let failed = errored().await;
    assert!(failed["error"].as_str().unwrap().len() > 5, "{failed}");
    assert!(app.sim.messages().is_empty());

    std::fs::rename(&moved, &stored[0]).unwrap();
    let job_id = failed["id"].as_i64().unwrap();
    let retried: Value = expect_json(
        app.request(
            Method::POST,
            &format!("/api/v1/jobs/{job_id}/retry"),
            Some(&app.admin_token),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(retried["retry_of"], job_id);
    let done = app.wait_status(id, &[S::Done], 30).await;
    assert_eq!(done.counts.sent, 2);
    let retry_again = app
        .request(
            Method::POST,
            &format!("/api/v1/jobs/{}/retry", retried["id"]),
            Some(&app.admin_token),
        )
        .send()
        .await
        .unwrap();
    expect_problem(retry_again, StatusCode::CONFLICT, "job_not_in_error").await;
    let one: Value = expect_json(
        app.get(&format!("/api/v1/jobs/{job_id}"), &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(one["state"], "error", "the original keeps its story");
    app.stop().await;
}

fn walkdir(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.path().is_dir() {
            out.extend(walkdir(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out
}

/// A status change and its timeline entry are one write: when the second part fails (a
/// database trigger refuses the history row, as a crash between the two old writes would
/// have lost it), the send keeps its status and the operator is told it failed; once the
/// history can be written, both change, and the timeline says it once.
async fn a_status_change_and_its_history_entry_commit_together(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created: BulkSend = expect_json(
        app.create_bulk(&app.admin_token, deuda_csv(3), "juntos.csv", &[])
            .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created.id;
    assert_eq!(created.status, S::Ready);
    app.refuse_audit(AuditAction::BulkSendsCancel).await;
    let timeline = || async {
        app.history(id)
            .await
            .iter()
            .filter(|e| e.kind == BulkEventKind::Cancelled)
            .count()
    };

    let refused = action(&app, id, "cancel").await;
    assert_eq!(refused.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        app.bulk(id).await.status,
        S::Ready,
        "the status does not change without its history"
    );
    assert_eq!(timeline().await, 0);

    app.allow_audit().await;
    let cancelled: BulkSend = expect_json(action(&app, id, "cancel").await, StatusCode::OK).await;
    assert_eq!(cancelled.status, S::Cancelled);
    assert_eq!(timeline().await, 1);
    app.stop().await;
}
