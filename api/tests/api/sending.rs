//! Sending bulk sends to the simulator: every recipient ends in exactly one state, nothing
//! is ever sent twice, and the operator's controls work mid-send.

use std::collections::HashMap;

use relay_sim::Faults;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::*;

on_both_databases!(
    a_send_delivers_each_valid_recipient_once,
    injected_faults_leave_every_recipient_in_one_state_and_nothing_twice,
    a_used_up_quota_pauses_the_send_with_the_reset_time,
    pause_resume_and_cancel_work_mid_send,
    a_send_does_not_start_when_rows_lack_template_variables,
    a_scheduled_send_starts_when_due,
    ambiguous_recipients_are_marked_sent_or_resent_by_an_operator,
    a_failed_job_is_retried_and_jobs_are_listed,
    absurd_retry_after_headers_neither_crash_nor_stall_a_send,
);

async fn action(app: &TestApp, id: i64, verb: &str) -> reqwest::Response {
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
fn received_per_email(app: &TestApp) -> HashMap<String, usize> {
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
    let created: Value = expect_json(
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
        ["queued", "sending", "done"].contains(&created["status"].as_str().unwrap()),
        "{created}"
    );
    let id = created["id"].as_i64().unwrap();
    let bulk = app
        .wait_status(id, &["done", "done_with_errors", "failed"], 30)
        .await;
    assert_eq!(bulk["status"], "done");
    assert_eq!(
        bulk["counts"],
        json!({ "total": 4, "valid": 3, "invalid": 1, "warnings": 0, "pending": 0, "sending": 0, "sent": 3, "failed": 0, "ambiguous": 0 })
    );
    assert!(bulk["finished_at"].is_string() && bulk["started_at"].is_string());

    let received = app.sim.messages();
    assert_eq!(received.len(), 3, "the invalid row is never sent");
    let rows = app.recipients(id, "&send_status=sent").await;
    for row in &rows {
        let message = received
            .iter()
            .find(|m| m.recipient == row["email"])
            .unwrap();
        assert_eq!(
            row["message_id"], message.message_id,
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
            row["variables"]["identificacion"]
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

    let jobs: Value = expect_json(
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
    assert_eq!(jobs["total"], 1);
    assert_eq!(jobs["items"][0]["state"], "done");
    assert_eq!(jobs["items"][0]["progress_done"], 3);
    assert_eq!(jobs["items"][0]["triggered_by"], "operador");
    assert!(jobs["items"][0]["message"]
        .as_str()
        .unwrap()
        .contains("3 enviados"));

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
    let created: Value = expect_json(
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
    let id = created["id"].as_i64().unwrap();
    let bulk = app
        .wait_status(id, &["done", "done_with_errors", "failed"], 90)
        .await;
    assert_eq!(bulk["status"], "done_with_errors", "{bulk}");
    let c = &bulk["counts"];
    assert_eq!(c["pending"], 0);
    assert_eq!(c["sending"], 0);
    assert_eq!(
        c["sent"].as_i64().unwrap()
            + c["failed"].as_i64().unwrap()
            + c["ambiguous"].as_i64().unwrap(),
        80
    );
    assert!(
        c["ambiguous"].as_i64().unwrap() > 0,
        "500/503/timeouts/drops make some ambiguous: {c}"
    );

    let received = received_per_email(&app);
    let rows = app.recipients(id, "").await;
    assert_eq!(rows.len(), 80);
    for row in rows {
        let email = row["email"].as_str().unwrap();
        let times = received.get(email).copied().unwrap_or(0);
        match row["send_status"].as_str().unwrap() {
            "sent" => {
                assert_eq!(times, 1, "{email} sent and received exactly once");
                let message = app
                    .sim
                    .messages()
                    .into_iter()
                    .find(|m| m.recipient == email)
                    .unwrap();
                assert_eq!(row["message_id"], message.message_id);
            }
            "ambiguous" => {
                assert!(times <= 1, "{email} ambiguous but received {times} times");
                assert!(row["error_code"].as_str().unwrap().len() > 2, "{row}");
            }
            "send_failed" => assert_eq!(times, 0, "{email} failed but received"),
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
        let created: Value = expect_json(
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
        let id = created["id"].as_i64().unwrap();
        let bulk = app
            .wait_status(id, &["done", "done_with_errors", "failed"], 60)
            .await;
        assert_eq!(bulk["status"], "done", "Retry-After: {raw}: {bulk}");
        assert_eq!(bulk["counts"]["sent"], 12, "Retry-After: {raw}");
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
    let created: Value = expect_json(
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
    let id = created["id"].as_i64().unwrap();
    let bulk = app.wait_status(id, &["paused"], 30).await;
    assert_eq!(bulk["status_reason"], "quota_exceeded");
    let reset = chrono::DateTime::parse_from_rfc3339(bulk["resume_at"].as_str().unwrap()).unwrap();
    let local = reset
        .with_timezone(&chrono_tz::America::Guayaquil)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let message = bulk["status_message"].as_str().unwrap();
    assert!(
        message.contains(&format!("El límite se reiniciará el {local} hora local.")),
        "{message}"
    );
    assert_eq!(bulk["counts"]["sent"], 5);
    assert_eq!(
        bulk["counts"]["pending"], 7,
        "the refused row goes back: nothing was sent"
    );
    assert_eq!(app.sim.messages().len(), 5);

    // The quota resets; the operator resumes and the rest go out once each.
    app.sim.set_faults(Faults::default());
    let resumed: Value = expect_json(action(&app, id, "resume").await, StatusCode::OK).await;
    // The answer is the send as it is now: a worker may have picked it up already.
    assert!(
        ["queued", "sending"].contains(&resumed["status"].as_str().unwrap()),
        "{resumed}"
    );
    let done = app.wait_status(id, &["done", "done_with_errors"], 30).await;
    assert_eq!(done["status"], "done");
    assert_eq!(done["counts"]["sent"], 12);
    let received = received_per_email(&app);
    assert_eq!(received.len(), 12);
    assert!(received.values().all(|n| *n == 1));
    app.stop().await;
}

async fn pause_resume_and_cancel_work_mid_send(backend: Backend) {
    let app = TestApp::spawn_with(backend, |v| {
        v.insert("SEND_CONCURRENCY".into(), "2".into());
    })
    .await;
    app.sim.set_faults(Faults {
        latency_ms: 60,
        ..Faults::default()
    });
    let created: Value = expect_json(
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
    let id = created["id"].as_i64().unwrap();
    eventually(20, "a few sends", || async {
        app.sim.messages().len() >= 6
    })
    .await;
    let paused: Value = expect_json(action(&app, id, "pause").await, StatusCode::OK).await;
    assert_eq!(paused["status"], "paused");
    assert_eq!(paused["status_reason"], "operator");
    // In-flight requests finish and the job ends; what Doppler received is what was sent.
    let bulk = app.wait_idle(id).await;
    let after_pause = app.sim.messages().len();
    assert_eq!(
        bulk["counts"]["sent"].as_u64(),
        Some(after_pause as u64),
        "{bulk}"
    );
    assert!(after_pause < 40, "paused means paused");
    expect_problem(
        action(&app, id, "pause").await,
        StatusCode::CONFLICT,
        "bulk_send_state_conflict",
    )
    .await;

    expect_json::<Value>(action(&app, id, "resume").await, StatusCode::OK).await;
    let done = app.wait_status(id, &["done"], 30).await;
    assert_eq!(done["counts"]["sent"], 40);
    assert!(received_per_email(&app).values().all(|n| *n == 1));

    // Cancel mid-send: what has not gone out never does.
    let second: Value = expect_json(
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
    let id2 = second["id"].as_i64().unwrap();
    eventually(20, "a few more sends", || async {
        app.sim.messages().len() >= 46
    })
    .await;
    let cancelled: Value = expect_json(action(&app, id2, "cancel").await, StatusCode::OK).await;
    assert_eq!(cancelled["status"], "cancelled");
    let bulk = app.wait_idle(id2).await;
    let total = app.sim.messages().len();
    assert!(bulk["counts"]["pending"].as_i64().unwrap() > 0, "{bulk}");
    assert_eq!(
        bulk["counts"]["sent"].as_i64().unwrap() as usize,
        total - 40
    );
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
    let created: Value = expect_json(
        app.create_bulk(&app.admin_token, deuda_csv(3), "v.csv", &[])
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["status"], "ready");
    let id = created["id"].as_i64().unwrap();
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
    assert_eq!(app.bulk(id).await["status"], "ready", "nothing started");
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
    let created: Value = expect_json(
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
        created["status"], "scheduled",
        "a schedule wins over send_now"
    );
    let id = created["id"].as_i64().unwrap();
    let done = app.wait_status(id, &["done"], 30).await;
    let started =
        chrono::DateTime::parse_from_rfc3339(done["started_at"].as_str().unwrap()).unwrap();
    assert!(
        started >= chrono::DateTime::parse_from_rfc3339(&at).unwrap(),
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
    let other: Value = expect_json(
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
    let cancelled: Value = expect_json(
        action(&app, other["id"].as_i64().unwrap(), "cancel").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
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
    let created: Value = expect_json(
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
    let id = created["id"].as_i64().unwrap();
    let bulk = app.wait_status(id, &["failed"], 30).await;
    assert_eq!(
        bulk["counts"]["ambiguous"], 4,
        "all ambiguous is never 'done'"
    );
    app.sim.set_faults(Faults::default());

    let rows = app.recipients(id, "&send_status=ambiguous").await;
    let first = rows[0]["id"].as_i64().unwrap();
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
    let done = app.wait_status(id, &["done"], 30).await;
    assert_eq!(done["counts"]["sent"], 4);
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
    let created: Value = expect_json(
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
    let id = created["id"].as_i64().unwrap();
    // The attachment's file disappears from disk: the job cannot run.
    let stored: Vec<_> = walkdir(&app.data_dir.path().join("attachments"));
    let moved = stored[0].with_extension("moved");
    std::fs::rename(&stored[0], &moved).unwrap();
    expect_json::<Value>(action(&app, id, "queue").await, StatusCode::OK).await;
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
    let done = app.wait_status(id, &["done"], 30).await;
    assert_eq!(done["counts"]["sent"], 2);
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
