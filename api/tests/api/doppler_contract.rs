//! What Doppler's own public code says it does (docs/doppler.md), against a stand-in that
//! answers that way: a key it refuses, a 402 without the legacy fields, Doppler's delivery
//! statuses, two sends of one template to the same people, an empty report, whole local days.

use chrono::{Duration, Utc};
use relay_sim::{Faults, QuotaBody};
use relay_types::{
    BulkReportState, BulkSend, BulkSendStatus as S, CampaignReport, Page, Recipient,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::reports::{fast_reports, load, report, request, today, wait_state};
use crate::support::*;

on_both_databases!(
    a_refused_key_pauses_the_send_and_fails_nobody,
    any_402_pauses_every_send_on_the_account,
    each_send_reports_only_its_own_messages,
    an_empty_report_is_ready_with_no_rows,
    a_cancelled_send_gets_its_report_too,
);

async fn sent_now(app: &TestApp, csv: Vec<u8>) -> BulkSend {
    expect_json(
        app.create_bulk(&app.admin_token, csv, "lista.csv", &[("send_now", "true")])
            .await,
        StatusCode::CREATED,
    )
    .await
}

async fn failed_rows(app: &TestApp, id: i64) -> usize {
    app.recipients(id, "&send_status=send_failed").await.len()
}

async fn a_refused_key_pauses_the_send_and_fails_nobody(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for status in [401, 403] {
        // The key reads templates, but Doppler refuses it for sends.
        app.sim.set_faults(Faults {
            send_auth_status: Some(status),
            ..Faults::default()
        });
        let bulk = sent_now(&app, deuda_csv(20)).await;
        let paused = app.wait_status(bulk.id, &[S::Paused], 30).await;
        assert_eq!(paused.status_reason, "relay_credentials");
        for setting in [
            "DOPPLER_RELAY_API_KEY",
            "DOPPLER_RELAY_AUTH_SCHEME",
            "DOPPLER_RELAY_ACCOUNT_ID",
        ] {
            assert!(
                paused.status_message.contains(setting),
                "{}",
                paused.status_message
            );
        }
        let idle = app.wait_idle(bulk.id).await;
        assert_eq!(
            idle.counts.failed, 0,
            "nobody is marked failed for our credentials"
        );
        assert_eq!(idle.counts.sent, 0);
        assert_eq!(idle.counts.pending, 20, "every recipient waits to be sent");
        assert_eq!(failed_rows(&app, bulk.id).await, 0);
        let history = app.history(bulk.id).await;
        assert!(
            history
                .iter()
                .any(|e| e.kind == relay_types::BulkEventKind::CredentialsPaused),
            "{history:?}"
        );

        // A single message: a clear 502 naming the same settings.
        let problem = expect_problem(
            app.post(
                "/api/v1/messages",
                &app.admin_token,
                &json!({ "to": ["ana@example.com"], "subject": "Hola", "html": "<p>Hola</p>" }),
            )
            .send()
            .await
            .unwrap(),
            StatusCode::BAD_GATEWAY,
            "relay_credentials",
        )
        .await;
        assert_eq!(problem["upstream_status"], status);
        assert!(problem["detail"]
            .as_str()
            .unwrap()
            .contains("DOPPLER_RELAY_API_KEY"));
    }
    // Once the settings are right, the send goes on from where it stopped.
    app.sim.set_faults(Faults::default());
    let paused: Page<BulkSend> = expect_json(
        app.get("/api/v1/bulk-sends?status=paused", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let first = paused.items.last().unwrap().id;
    app.post(
        &format!("/api/v1/bulk-sends/{first}/resume"),
        &app.admin_token,
        &json!({}),
    )
    .send()
    .await
    .unwrap();
    let done = app.wait_status(first, &[S::Done], 30).await;
    assert_eq!(done.counts.sent, 20);
    app.stop().await;
}

async fn any_402_pauses_every_send_on_the_account(backend: Backend) {
    let app = TestApp::spawn_with(backend, |v| {
        v.insert("DOPPLER_QUOTA_RETRY_MIN".into(), "45".into());
        v.insert("SEND_RATE_PER_SECOND".into(), "40".into());
    })
    .await;
    // A 402 with none of the legacy app's fields: still the quota.
    app.sim.set_faults(Faults {
        quota_after: Some(15),
        quota_body: QuotaBody::Bare,
        ..Faults::default()
    });
    let one = sent_now(&app, deuda_csv(30)).await;
    let two = sent_now(&app, deuda_csv(30)).await;
    let before = Utc::now();
    for id in [one.id, two.id] {
        let paused = app.wait_status(id, &[S::Paused], 30).await;
        assert_eq!(paused.status_reason, "quota_exceeded", "{id}");
        assert!(
            paused.status_message.contains("402"),
            "{}",
            paused.status_message
        );
        assert!(
            paused.status_message.contains("DOPPLER_QUOTA_RETRY_MIN"),
            "{}",
            paused.status_message
        );
        let resume = paused.resume_at.expect("a time to resume");
        let minutes = (resume - before).num_minutes();
        assert!((44..=46).contains(&minutes), "resume in {minutes} min");
    }
    for id in [one.id, two.id] {
        let idle = app.wait_idle(id).await;
        assert_eq!(idle.counts.failed, 0, "a 402 fails nobody");
        assert_eq!(failed_rows(&app, id).await, 0);
    }
    let sent = app.bulk(one.id).await.counts.sent + app.bulk(two.id).await.counts.sent;
    assert_eq!(sent, 15, "exactly what Doppler accepted");
    app.stop().await;
}

/// A report row as Doppler's summary writes it.
fn row(
    subject: &str,
    sender: &str,
    email: &str,
    status: &str,
    at: chrono::DateTime<Utc>,
) -> String {
    format!(
        "\"{subject}\",{sender},\"Equipo\",{email},{status},{},0,0\n",
        at.format("%Y-%m-%d %H:%M:%S")
    )
}

async fn each_send_reports_only_its_own_messages(backend: Backend) {
    let app = TestApp::spawn_with(backend, fast_reports).await;
    // One template, the same five debtors, twice.
    let first = sent_now(&app, deuda_csv(5)).await;
    app.wait_status(first.id, &[S::Done], 30).await;
    // The first went out an hour earlier.
    let an_hour_ago = Utc::now() - Duration::hours(1);
    let db = &app.state().db;
    use sea_orm::ConnectionTrait;
    db.conn
        .execute_raw(db.stmt(
            "UPDATE recipients SET sent_at = $1 WHERE bulk_send_id = $2",
            [an_hour_ago.into(), first.id.into()],
        ))
        .await
        .unwrap();
    db.conn
        .execute_raw(db.stmt(
            "UPDATE bulk_sends SET started_at = $1, finished_at = $2 WHERE id = $3",
            [
                (an_hour_ago - Duration::seconds(5)).into(),
                (an_hour_ago + Duration::seconds(5)).into(),
                first.id.into(),
            ],
        ))
        .await
        .unwrap();
    let second = sent_now(&app, deuda_csv(5)).await;
    let second = app.wait_status(second.id, &[S::Done], 30).await;

    let template: Value = expect_json(
        app.get(
            &format!("/api/v1/templates/{}", first.template_id),
            &app.admin_token,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    let subject = template["subject"].as_str().unwrap();
    let sender = &second.from_email;
    let now = Utc::now();
    let mut csv = String::from("Subject,Sender,SenderName,Email,Status,Date,Opens,Clicks\n");
    // The first send's messages: three delivered, one discarded, one status nobody knows.
    for (i, status) in ["Sent", "Sent", "Sent", "Dropped", "Deferred"]
        .iter()
        .enumerate()
    {
        let email = format!("cliente{}@example.com", i + 1);
        csv.push_str(&row(
            subject,
            sender,
            &email,
            status,
            an_hour_ago + Duration::seconds(30),
        ));
    }
    // The second's: all bounced, and one address twice in the report.
    for i in 1..=5 {
        let email = format!("cliente{i}@example.com");
        csv.push_str(&row(
            subject,
            sender,
            &email,
            if i % 2 == 0 { "Invalid" } else { "Rejected" },
            now,
        ));
    }
    csv.push_str(&row(
        subject,
        sender,
        "cliente1@example.com",
        "Sent",
        now + Duration::seconds(10),
    ));
    // Someone else's mail that day.
    csv.push_str(&row(
        "Otro asunto",
        sender,
        "cliente1@example.com",
        "Sent",
        now,
    ));
    app.sim.set_report_csv(Some(csv));
    let yesterday =
        (now.with_timezone(&app.config().time_zone).date_naive() - Duration::days(1)).to_string();
    let created: Value = expect_json(
        request(&app, &app.admin_token, json!({ "report_type": "deliveries", "start_date": yesterday, "end_date": today(&app) })).await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    wait_state(&app, id, "READY").await;
    assert_eq!(
        load(&app, id, "default", &app.admin_token).await.status(),
        StatusCode::OK
    );

    let shared = &app;
    let campaign = |bulk: i64| async move {
        expect_json::<CampaignReport>(
            shared
                .get(
                    &format!("/api/v1/bulk-sends/{bulk}/report"),
                    &shared.admin_token,
                )
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await
    };
    let a = campaign(first.id).await;
    assert_eq!(a.totals.in_report, 5, "{a:?}");
    assert_eq!(
        (
            a.totals.delivered,
            a.totals.dropped,
            a.totals.other,
            a.totals.bounced
        ),
        (3, 1, 1, 0)
    );
    assert_eq!(a.by_status.get("Deferred"), Some(&1));
    assert!((a.rates.delivery - 0.6).abs() < 1e-9);
    let b = campaign(second.id).await;
    assert_eq!(b.totals.in_report, 5, "each recipient once: {b:?}");
    assert_eq!((b.totals.bounced, b.totals.delivered), (5, 0));
    for report in [&a, &b] {
        for rate in [
            report.rates.delivery,
            report.rates.bounce,
            report.rates.dropped,
            report.rates.open,
        ] {
            assert!((0.0..=1.0).contains(&rate), "{report:?}");
        }
        assert_eq!(report.sent_not_in_report, 0);
    }
    // The send's CSV holds its rows and says what each status means.
    let exported = app
        .get(
            &format!("/api/v1/bulk-sends/{}/report.csv", first.id),
            &app.admin_token,
        )
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let records = csv_records(&exported, ';');
    assert_eq!(records.len(), 6);
    assert_eq!(
        records[0][4..],
        [
            "Doppler status",
            "Date (local time)",
            "Opens",
            "Clicks",
            "Outcome"
        ]
    );
    let outcomes: Vec<&str> = records[1..].iter().map(|r| r[8].as_str()).collect();
    assert_eq!(
        outcomes,
        [
            "delivered",
            "delivered",
            "delivered",
            "dropped by Doppler",
            "other"
        ]
    );
    app.stop().await;
}

async fn an_empty_report_is_ready_with_no_rows(backend: Backend) {
    let app = TestApp::spawn_with(backend, fast_reports).await;
    app.sim.set_faults(Faults {
        report_empty: true,
        ..Faults::default()
    });
    let day = today(&app);
    let created: Value = expect_json(
        request(
            &app,
            &app.admin_token,
            json!({ "report_type": "deliveries", "start_date": day, "end_date": day }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    let ready = wait_state(&app, id, "READY").await;
    assert_eq!(ready["error_details"], "");
    let loaded: Value = expect_json(
        load(&app, id, "default", &app.admin_token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(loaded["loads"][0]["rows"], 0);
    // Whole local days: from midnight to the next midnight, the end exclusive as Doppler's is.
    let asked = app.sim.report_requests().pop().unwrap();
    let tz = app.config().time_zone;
    let start = asked.start.with_timezone(&tz);
    let end = asked.end.with_timezone(&tz);
    assert_eq!(
        start.format("%Y-%m-%d %H:%M:%S").to_string(),
        format!("{day} 00:00:00")
    );
    assert_eq!((end - start).num_hours(), 24, "{start} to {end}");
    assert_eq!(end.format("%H:%M:%S").to_string(), "00:00:00");
    let _ = report(&app, id).await;
    app.stop().await;
}

async fn a_cancelled_send_gets_its_report_too(backend: Backend) {
    let app = TestApp::spawn_with(backend, |v| {
        v.insert("SEND_RATE_PER_SECOND".into(), "5".into());
    })
    .await;
    let bulk = sent_now(&app, deuda_csv(200)).await;
    eventually(30, "some recipients are sent", || async {
        app.bulk(bulk.id).await.counts.sent >= 3
    })
    .await;
    let cancelled: BulkSend = expect_json(
        app.post(
            &format!("/api/v1/bulk-sends/{}/cancel", bulk.id),
            &app.admin_token,
            &json!({}),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(cancelled.status, S::Cancelled);
    assert_eq!(
        cancelled.report.status,
        BulkReportState::Pending,
        "{cancelled:?}"
    );
    let sent: Vec<Recipient> = app.recipients(bulk.id, "&send_status=sent").await;
    assert!(!sent.is_empty());
    app.stop().await;
}
