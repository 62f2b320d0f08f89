//! Sending bulk sends to the simulator: every recipient ends in exactly one state, nothing
//! is ever sent twice, and the operator's controls work mid-send.

use std::collections::HashMap;

use relay_sim::Faults;
use relay_types::{
    BulkCounts, BulkEvent, BulkEventKind, BulkSend, BulkSendStatus as S, BulkSummary, Job, Page,
    SendStatus,
};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::on_both_databases;
use crate::support::*;

on_both_databases!(
    a_send_delivers_each_valid_recipient_once,
    injected_faults_leave_every_recipient_in_one_state_and_nothing_twice,
    a_used_up_quota_pauses_the_send_with_the_reset_time,
    absurd_retry_after_headers_neither_crash_nor_stall_a_send,
    the_list_cards_count_each_group_of_the_view,
);

pub(crate) async fn action(app: &TestApp, id: i64, verb: &str) -> reqwest::Response {
    app.request(
        Method::POST,
        &format!("/api/v1/bulk-sends/{id}/{verb}"),
        Some(&app.admin_token),
    )
    .send()
    .await
    .unwrap()
}

/// Simulator messages received per recipient address.
pub(crate) fn received_per_email(app: &TestApp) -> HashMap<String, usize> {
    let mut map = HashMap::new();
    for m in app.sim.messages() {
        *map.entry(m.recipient).or_insert(0) += 1;
    }
    map
}

async fn a_send_delivers_each_valid_recipient_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, operator) = app.user_with("operador", &["Operadores UI"], &[]).await;
    let file: Value = expect_json(
        crate::attachments::upload(&app, &operator, "detalle.pdf", b"%PDF-1.4 x".to_vec()).await,
        StatusCode::CREATED,
    )
    .await;
    let mut csv = String::from_utf8(fixture("recipients/variables_deuda.csv")).unwrap();
    csv.push_str("no-es-correo;0922000009;Malo;1;1;1\n");
    let created: BulkSend = expect_json(
        app.create_bulk(
            &operator,
            csv.into_bytes(),
            "deuda.csv",
            &[
                ("send_now", "true"),
                ("subject", "Su descuento, {{nombres}}"),
                ("attachment_ids", &file["id"].to_string()),
            ],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    // Queued at creation; the worker may already be at it, or done, by the answer.
    assert!(
        [S::Queued, S::Sending, S::Done].contains(&created.status),
        "{created:?}"
    );
    let id = created.id;
    let bulk = app
        .wait_status(id, &[S::Done, S::DoneWithErrors, S::Failed], 30)
        .await;
    assert_eq!(bulk.status, S::Done);
    assert_eq!(
        bulk.counts,
        BulkCounts {
            total: 4,
            valid: 3,
            invalid: 1,
            warnings: 0,
            pending: 0,
            sending: 0,
            sent: 3,
            failed: 0,
            ambiguous: 0
        }
    );
    assert!(bulk.finished_at.is_some() && bulk.started_at.is_some());

    let received = app.sim.messages();
    assert_eq!(received.len(), 3, "the invalid row is never sent");
    let rows = app.recipients(id, "&send_status=sent").await;
    for row in &rows {
        let message = received.iter().find(|m| m.recipient == row.email).unwrap();
        assert_eq!(
            row.message_id, message.message_id,
            "Doppler's id is kept per recipient"
        );
        assert_eq!(
            message.template_id.as_deref(),
            Some(
                app.sim
                    .template_id("Descuento en su deuda")
                    .unwrap()
                    .as_str()
            )
        );
        assert_eq!(
            message.variables["identificacion"],
            row.variables["identificacion"]
        );
        assert_eq!(message.from_email, "cobranzas@example.com");
        assert_eq!(message.attachments, ["detalle.pdf"]);
    }
    let ana = received
        .iter()
        .find(|m| m.recipient == "tester3@example.com")
        .unwrap();
    assert_eq!(ana.variables["nombres"], "Ana Cañarte");
    assert_eq!(ana.variables["total_a_pagar"], "1080.45");
    assert_eq!(
        ana.subject, "Su descuento, {{nombres}}",
        "Doppler renders the subject"
    );

    let jobs: Page<Job> = expect_json(
        app.get(
            &format!("/api/v1/jobs?bulk_send_id={id}&job_type=bulk_send"),
            &operator,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(jobs.total, 1);
    let job = &jobs.items[0];
    assert_eq!(job.state, relay_types::JobState::Done);
    assert_eq!(job.progress_done, 3);
    assert_eq!(job.triggered_by.as_deref(), Some("operador"));
    assert!(job.message.contains("3 enviados"), "{job:?}");

    // A finished send cannot be queued again, and its attachment cannot be deleted.
    expect_problem(
        action(&app, id, "queue").await,
        StatusCode::CONFLICT,
        "bulk_send_state_conflict",
    )
    .await;
    let del = app
        .request(
            Method::DELETE,
            &format!("/api/v1/attachments/{}", file["id"]),
            Some(&operator),
        )
        .send()
        .await
        .unwrap();
    expect_problem(del, StatusCode::CONFLICT, "attachment_in_use").await;
    let audit: Value = expect_json(
        app.get("/api/v1/audit?action=bulk_sends.*", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "bulk_sends.create" && e["actor_username"] == "operador"));

    // Its timeline: who created it, when it started, how it ended.
    let history: Vec<BulkEvent> = expect_json(
        app.get(&format!("/api/v1/bulk-sends/{id}/history"), &operator)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let kinds: Vec<BulkEventKind> = history.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            BulkEventKind::Created,
            BulkEventKind::Queued,
            BulkEventKind::SendingStarted,
            BulkEventKind::Finished
        ]
    );
    assert_eq!(history[0].actor.as_deref(), Some("operador"));
    assert_eq!(history[0].data["valid"], 3);
    assert_eq!(history[3].actor, None, "the system finished it");
    assert_eq!(history[3].data["status"], "done");
    assert_eq!(history[3].data["sent"], 3);
    app.stop().await;
}

async fn the_list_cards_count_each_group_of_the_view(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let create = |csv: Vec<u8>, fields: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let created: BulkSend = expect_json(
                app.create_bulk(&app.admin_token, csv, "cards.csv", &fields)
                    .await,
                StatusCode::CREATED,
            )
            .await;
            created
        }
    };
    let later = (chrono::Utc::now() + chrono::Duration::hours(3)).to_rfc3339();
    create(deuda_csv(2), vec![("scheduled_at", later)]).await;
    let sent = create(
        deuda_csv(2),
        vec![("send_now", "true".into()), ("subject", "Pague hoy".into())],
    )
    .await;
    app.wait_status(sent.id, &[S::Done], 30).await;
    // No valid address: created, but its import fails (one of "con errores").
    let no_valid = String::from_utf8(deuda_csv(1))
        .unwrap()
        .replace("cliente1@example.com", "no-es-correo");
    create(no_valid.into_bytes(), vec![]).await;
    create(deuda_csv(1), vec![]).await;
    let summary: BulkSummary = expect_json(
        app.get(
            "/api/v1/bulk-sends/summary?period=current_month&status=done",
            &app.admin_token,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        summary,
        BulkSummary {
            total: 4,
            scheduled: 1,
            in_progress: 0,
            finished: 1,
            with_errors: 1,
            emails: relay_types::EmailFigures {
                sent: 2,
                ..Default::default()
            },
        },
        "the status filter does not narrow the cards"
    );
    let searched: BulkSummary = expect_json(
        app.get("/api/v1/bulk-sends/summary?q=Pague", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!((searched.total, searched.finished), (1, 1));
    app.stop().await;
}

async fn injected_faults_leave_every_recipient_in_one_state_and_nothing_twice(backend: Backend) {
    let app = TestApp::spawn_with(backend, |v| {
        v.insert("DOPPLER_RELAY_TIMEOUT".into(), "1".into());
        v.insert("SEND_CONCURRENCY".into(), "6".into());
        v.insert("SEND_RATE_PER_SECOND".into(), "0".into());
    })
    .await;
    app.sim.set_faults(Faults {
        rate_429: 0.2,
        retry_after_secs: 1,
        rate_500: 0.1,
        rate_503: 0.05,
        rate_timeout: 0.05,
        rate_drop: 0.05,
        jitter_ms: 5,
        sends_only: true,
        ..Faults::default()
    });
    let created: BulkSend = expect_json(
        app.create_bulk(
            &app.admin_token,
            deuda_csv(80),
            "faults.csv",
            &[("send_now", "true")],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let bulk = app
        .wait_status(created.id, &[S::Done, S::DoneWithErrors, S::Failed], 90)
        .await;
    assert_eq!(bulk.status, S::DoneWithErrors, "{bulk:?}");
    let c = &bulk.counts;
    assert_eq!((c.pending, c.sending), (0, 0));
    assert_eq!(c.sent + c.failed + c.ambiguous, 80);
    assert!(
        c.ambiguous > 0,
        "500/503/timeouts/drops make some ambiguous: {c:?}"
    );
    let id = created.id;

    let received = received_per_email(&app);
    let rows = app.recipients(id, "").await;
    assert_eq!(rows.len(), 80);
    for row in rows {
        let email = row.email.as_str();
        let times = received.get(email).copied().unwrap_or(0);
        match row.send_status {
            SendStatus::Sent => {
                assert_eq!(times, 1, "{email} sent and received exactly once");
                let message = app
                    .sim
                    .messages()
                    .into_iter()
                    .find(|m| m.recipient == email)
                    .unwrap();
                assert_eq!(row.message_id, message.message_id);
            }
            SendStatus::Ambiguous => {
                assert!(times <= 1, "{email} ambiguous but received {times} times");
                assert!(row.error_code.len() > 2, "{row:?}");
            }
            SendStatus::SendFailed => assert_eq!(times, 0, "{email} failed but received"),
            other => panic!("{email} ended in {other}"),
        }
    }
    // 429s were refused, waited for and retried; nothing else was ever requested twice.
    let mut requests: HashMap<String, Vec<String>> = HashMap::new();
    for r in app
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/message"))
    {
        requests
            .entry(r.recipient.unwrap_or_default())
            .or_default()
            .push(r.outcome);
    }
    for (email, outcomes) in requests {
        let final_attempts = outcomes.iter().filter(|o| *o != "429").count();
        assert_eq!(final_attempts, 1, "{email}: {outcomes:?}");
    }
    app.stop().await;
}

async fn absurd_retry_after_headers_neither_crash_nor_stall_a_send(backend: Backend) {
    let app = TestApp::spawn_with(backend, |v| {
        v.insert("SEND_RATE_PER_SECOND".into(), "0".into());
    })
    .await;
    for (round, raw) in ["-1", "NaN", "-inf"].into_iter().enumerate() {
        app.sim.set_faults(Faults {
            rate_429: 0.3,
            retry_after_raw: Some(raw.into()),
            sends_only: true,
            ..Faults::default()
        });
        let csv = String::from_utf8(deuda_csv(12))
            .unwrap()
            .replace("cliente", &format!("r{round}cliente"));
        let created: BulkSend = expect_json(
            app.create_bulk(
                &app.admin_token,
                csv.into_bytes(),
                "retry.csv",
                &[("send_now", "true")],
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        let bulk = app
            .wait_status(created.id, &[S::Done, S::DoneWithErrors, S::Failed], 60)
            .await;
        assert_eq!(bulk.status, S::Done, "Retry-After: {raw}: {bulk:?}");
        assert_eq!(bulk.counts.sent, 12, "Retry-After: {raw}");
    }
    assert!(
        app.sim.requests().iter().any(|r| r.outcome == "429"),
        "the simulator did refuse some sends"
    );
    app.stop().await;
}

async fn a_used_up_quota_pauses_the_send_with_the_reset_time(backend: Backend) {
    let app = TestApp::spawn_with(backend, |v| {
        v.insert("SEND_CONCURRENCY".into(), "1".into());
    })
    .await;
    app.sim.set_faults(Faults {
        quota_after: Some(5),
        ..Faults::default()
    });
    let created: BulkSend = expect_json(
        app.create_bulk(
            &app.admin_token,
            deuda_csv(12),
            "cuota.csv",
            &[("send_now", "true")],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created.id;
    let bulk = app.wait_status(id, &[S::Paused], 30).await;
    assert_eq!(bulk.status_reason, "quota_exceeded");
    let reset = bulk.resume_at.unwrap();
    let local = reset
        .with_timezone(&chrono_tz::America::Guayaquil)
        .format("%d/%m/%Y a las %H:%M")
        .to_string();
    let message = &bulk.status_message;
    assert!(
        message.contains(&format!("El límite se reiniciará el {local} hora local.")),
        "{message}"
    );
    assert_eq!(bulk.counts.sent, 5);
    assert_eq!(
        bulk.counts.pending, 7,
        "the refused row goes back: nothing was sent"
    );
    assert_eq!(app.sim.messages().len(), 5);
    let history = app.history(id).await;
    let quota = history
        .iter()
        .find(|e| e.kind == BulkEventKind::QuotaPaused)
        .expect("the quota pause is on the timeline");
    let reset_on_timeline: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(quota.data["reset_at"].clone()).unwrap();
    assert_eq!(reset_on_timeline, reset);

    // The quota resets; the operator resumes and the rest go out once each.
    app.sim.set_faults(Faults::default());
    let resumed: BulkSend = expect_json(action(&app, id, "resume").await, StatusCode::OK).await;
    // The answer is the send as it is now: a worker may have picked it up already.
    assert!(
        [S::Queued, S::Sending].contains(&resumed.status),
        "{resumed:?}"
    );
    let done = app.wait_status(id, &[S::Done, S::DoneWithErrors], 30).await;
    assert_eq!(done.status, S::Done);
    assert_eq!(done.counts.sent, 12);
    let received = received_per_email(&app);
    assert_eq!(received.len(), 12);
    assert!(received.values().all(|n| *n == 1));
    app.stop().await;
}
