//! Single messages through the API, against the simulator: success and each failure class.

use relay_sim::Faults;
use relay_types::{AuditAction, AuditEntry, Message, MessageStatus, Page};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::*;

on_both_databases!(
    a_message_is_sent_recorded_and_listed,
    a_repeated_request_id_sends_once,
    a_rate_limited_message_waits_and_is_sent,
    failures_are_recorded_with_their_class,
    bad_messages_are_refused_naming_the_field,
    a_resolved_message_and_its_audit_entry_commit_together,
);

pub(crate) async fn send(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.post("/api/v1/messages", token, body)
        .send()
        .await
        .unwrap()
}

async fn a_message_is_sent_recorded_and_listed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.user_with("mensajero", &[], &["messages.send"]).await;
    let file: Value = expect_json(
        crate::attachments::upload(&app, &token, "detalle.pdf", b"%PDF-1.4 detalle".to_vec()).await,
        StatusCode::CREATED,
    )
    .await;
    let message: Value = expect_json(
        send(
            &app,
            &token,
            &json!({
                "to": ["Ana.Perez@Example.com"], "cc": ["copia@example.org"],
                "subject": "Su estado de cuenta", "html": "<p>Adjuntamos su estado.</p>",
                "attachment_ids": [file["id"]]
            }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(message["status"], "sent");
    assert_eq!(
        message["from_email"], "cobranzas@example.com",
        "the default sender"
    );
    assert_eq!(message["to"], json!(["Ana.Perez@Example.com"]));
    assert_eq!(message["attachment_ids"], json!([file["id"]]));
    let received = app.sim.messages();
    assert_eq!(received.len(), 1);
    assert_eq!(message["relay_message_id"], received[0].message_id);
    assert_eq!(received[0].kind, "message");
    assert_eq!(
        received[0].recipients,
        ["Ana.Perez@Example.com"],
        "cc travels separately"
    );
    assert_eq!(received[0].attachments, ["detalle.pdf"]);
    assert_eq!(received[0].from_name, "Equipo Cobranza");

    // The caller's own identity (an administrator assigns it) takes over the default.
    let me: Value = expect_json(
        app.get("/api/v1/auth/me", &token).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    expect_json::<Value>(
        app.post(
            "/api/v1/senders",
            &app.admin_token,
            &json!({ "user_id": me["user"]["id"], "from_email": "ana.gestora@example.ec", "from_name": "Ana Gestora" }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let second: Value = expect_json(
        send(
            &app,
            &token,
            &json!({ "to": ["luis@example.com"], "subject": "Recordatorio", "html": "Hola" }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(second["from_email"], "ana.gestora@example.ec");
    assert_eq!(app.sim.messages()[1].from_email, "ana.gestora@example.ec");

    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::America::Guayaquil)
        .date_naive();
    let found: Value = expect_json(
        app.get(
            &format!("/api/v1/messages?q=ana.perez&date_from={today}&date_to={today}"),
            &token,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["subject"], "Su estado de cuenta");
    let none: Value = expect_json(
        app.get("/api/v1/messages?date_to=2020-01-01", &token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(none["total"], 0);
    let sent: Value = expect_json(
        app.get("/api/v1/messages?status=sent", &token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(sent["total"], 2);
    let one: Value = expect_json(
        app.get(&format!("/api/v1/messages/{}", message["id"]), &token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(one["relay_message_id"], message["relay_message_id"]);
    app.stop().await;
}

async fn a_repeated_request_id_sends_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = json!({ "to": ["ana@example.com"], "subject": "Una vez", "html": "Hola", "client_request_id": "form-123" });
    let first: Value = expect_json(
        send(&app, &app.admin_token, &body).await,
        StatusCode::CREATED,
    )
    .await;
    let again: Value = expect_json(send(&app, &app.admin_token, &body).await, StatusCode::OK).await;
    assert_eq!(first["id"], again["id"]);
    let by_header = app
        .post(
            "/api/v1/messages",
            &app.admin_token,
            &json!({ "to": ["ana@example.com"], "subject": "Cabecera", "html": "Hola" }),
        )
        .header("Idempotency-Key", "hdr-1");
    let h1: Value = expect_json(by_header.send().await.unwrap(), StatusCode::CREATED).await;
    let h2: Value = expect_json(
        app.post(
            "/api/v1/messages",
            &app.admin_token,
            &json!({ "to": ["ana@example.com"], "subject": "Cabecera", "html": "Hola" }),
        )
        .header("Idempotency-Key", "hdr-1")
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(h1["id"], h2["id"]);
    assert_eq!(app.sim.messages().len(), 2, "two keys, two messages");
    app.stop().await;
}

async fn a_rate_limited_message_waits_and_is_sent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sim.set_faults(Faults {
        rate_429: 1.0,
        retry_after_secs: 1,
        ..Faults::default()
    });
    let body = json!({ "to": ["ana@example.com"], "subject": "Paciencia", "html": "Hola" });
    let pending = send(&app, &app.admin_token, &body);
    // Doppler stops refusing once it has refused the first attempt.
    let lift = async {
        eventually(10, "a first, refused attempt", || async {
            !app.sim.requests().is_empty()
        })
        .await;
        app.sim.set_faults(Faults::default());
    };
    let (response, ()) = tokio::join!(pending, lift);
    let message: Value = expect_json(response, StatusCode::CREATED).await;
    assert_eq!(message["status"], "sent");
    let outcomes: Vec<String> = app
        .sim
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/messages"))
        .map(|r| r.outcome.clone())
        .collect();
    assert_eq!(
        outcomes,
        ["429", "201"],
        "refused once, then sent once after Retry-After"
    );
    app.stop().await;
}

async fn failures_are_recorded_with_their_class(backend: Backend) {
    let app = TestApp::spawn_with(backend, |v| {
        v.insert("DOPPLER_RELAY_TIMEOUT".into(), "1".into());
    })
    .await;
    let cases = [
        (
            Faults {
                rate_500: 1.0,
                ..Faults::default()
            },
            "ambiguous",
            "doppler_http_500",
        ),
        (
            Faults {
                rate_timeout: 1.0,
                ..Faults::default()
            },
            "ambiguous",
            "timeout",
        ),
        (
            Faults {
                rate_drop: 1.0,
                ..Faults::default()
            },
            "ambiguous",
            "connection_error",
        ),
        (
            Faults {
                quota_after: Some(0),
                ..Faults::default()
            },
            "send_failed",
            "doppler_quota_exceeded",
        ),
    ];
    for (i, (faults, status, code)) in cases.into_iter().enumerate() {
        app.sim.set_faults(faults);
        let before = app.sim.requests().len();
        let message: Value = expect_json(
            send(&app, &app.admin_token, &json!({ "to": [format!("caso{i}@example.com")], "subject": "Fallo", "html": "Hola" })).await,
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(message["status"], status, "{code}");
        assert_eq!(message["error_code"], code);
        assert_eq!(message["relay_message_id"], "");
        assert_eq!(
            app.sim.requests().len(),
            before + 1,
            "{code}: no second request"
        );
        if code == "doppler_quota_exceeded" {
            let text = message["error_message"].as_str().unwrap();
            // The simulator counts the sends it accepted before (the timed-out and dropped ones).
            assert!(
                text.starts_with("Se ha alcanzado el límite de envíos (2/0 envíos al mes)."),
                "{text}"
            );
            assert!(
                text.ends_with(" a las 19:00 hora local."),
                "reset shown in America/Guayaquil: {text}"
            );
        }
    }
    let failed: Value = expect_json(
        app.get("/api/v1/messages?status=ambiguous", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(failed["total"], 3);
    app.stop().await;
}

async fn bad_messages_are_refused_naming_the_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cases = [
        (
            json!({ "to": [], "subject": "x", "html": "y" }),
            "to",
            "recipients_required",
        ),
        (
            json!({ "to": ["ok@example.com", "malo"], "subject": "x", "html": "y" }),
            "to[1]",
            "address_invalid",
        ),
        (
            json!({ "to": ["ok@example.com"], "subject": " ", "html": "y" }),
            "subject",
            "subject_required",
        ),
        (
            json!({ "to": ["ok@example.com"], "subject": "x", "html": "" }),
            "html",
            "content_required",
        ),
    ];
    for (body, field, code) in cases {
        let problem = expect_problem(
            send(&app, &app.admin_token, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        )
        .await;
        assert_eq!(problem["field"], field, "{problem}");
    }
    // What the message names but does not exist is not found, naming the field.
    let missing = [
        (
            json!({ "to": ["ok@example.com"], "subject": "x", "html": "y", "sender_id": 999 }),
            "sender_id",
            "sender_not_found",
        ),
        (
            json!({ "to": ["ok@example.com"], "subject": "x", "html": "y", "attachment_ids": [999] }),
            "attachment_ids",
            "attachment_not_found",
        ),
    ];
    for (body, field, code) in missing {
        let problem = expect_problem(
            send(&app, &app.admin_token, &body).await,
            StatusCode::NOT_FOUND,
            code,
        )
        .await;
        assert_eq!(problem["field"], field, "{problem}");
    }
    assert!(app.sim.messages().is_empty());
    let (_, operator) = app.user_with("operador", &["Operadores UI"], &[]).await;
    expect_problem(
        send(
            &app,
            &operator,
            &json!({ "to": ["a@example.com"], "subject": "x", "html": "y" }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "permission_denied",
    )
    .await;
    app.stop().await;
}

/// Settling an ambiguous message and its audit entry are one write: when the audit row is
/// refused (as a crash between the two old writes would have lost it), the message is
/// still ambiguous and the operator is told it failed; then both change, audited once.
async fn a_resolved_message_and_its_audit_entry_commit_together(backend: Backend) {
    let app = TestApp::spawn_with(backend, |v| {
        v.insert("DOPPLER_RELAY_TIMEOUT".into(), "1".into());
    })
    .await;
    app.sim.set_faults(Faults {
        rate_500: 1.0,
        ..Faults::default()
    });
    let body = json!({ "to": ["dudoso@example.com"], "subject": "Aviso", "html": "Hola" });
    let message: Message = expect_json(
        send(&app, &app.admin_token, &body).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(message.status, MessageStatus::Ambiguous);
    let resolve = || async {
        app.post(
            &format!("/api/v1/messages/{}/resolve", message.id),
            &app.admin_token,
            &json!({ "action": "mark_sent" }),
        )
        .send()
        .await
        .unwrap()
    };
    let audited = || async {
        let entries: Page<AuditEntry> = expect_json(
            app.get("/api/v1/audit?action=messages.mark_sent", &app.admin_token)
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        entries.total
    };
    let now = || async {
        let found: Message = expect_json(
            app.get(
                &format!("/api/v1/messages/{}", message.id),
                &app.admin_token,
            )
            .send()
            .await
            .unwrap(),
            StatusCode::OK,
        )
        .await;
        found.status
    };

    app.refuse_audit(AuditAction::MessagesMarkSent).await;
    assert_eq!(resolve().await.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        now().await,
        MessageStatus::Ambiguous,
        "no change without its audit entry"
    );
    assert_eq!(audited().await, 0);

    app.allow_audit().await;
    let settled: Message = expect_json(resolve().await, StatusCode::OK).await;
    assert_eq!(settled.status, MessageStatus::Sent);
    assert_eq!(audited().await, 1);
    app.stop().await;
}
