//! Single messages through a hang-up and a crash: still sent and recorded, or ambiguous and
//! resolved by an operator.

use crate::on_both_databases;
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_databases!(
    a_message_whose_client_hangs_up_is_still_sent_and_recorded,
    a_message_a_crash_left_sending_becomes_ambiguous_and_is_resolved,
);

async fn a_message_whose_client_hangs_up_is_still_sent_and_recorded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sim.set_faults(relay_sim::Faults {
        latency_ms: 1500,
        ..Default::default()
    });
    let impatient = reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(300))
        .build()
        .unwrap();
    let gave_up = impatient
        .post(app.url("/api/v1/messages"))
        .bearer_auth(&app.admin_token)
        .json(&json!({ "to": ["ana@example.com"], "subject": "Hola", "html": "x" }))
        .send()
        .await;
    assert!(gave_up.is_err(), "the client hung up before the answer");
    eventually(20, "the message is recorded as sent", || async {
        let page: Value = expect_json(
            app.get("/api/v1/messages", &app.admin_token)
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        page["items"][0]["status"] == "sent"
    })
    .await;
    assert_eq!(app.sim.messages().len(), 1);
    app.stop().await;
}

async fn a_message_a_crash_left_sending_becomes_ambiguous_and_is_resolved(backend: Backend) {
    let sim = start_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(backend, dir.path()).await;
    let mut vars = base_vars(&db.url, dir.path());
    use_sim(&mut vars, &sim);
    // A short call timeout makes the "still honestly sending" window short; frequent
    // maintenance finds the stale message quickly.
    vars.insert("DOPPLER_RELAY_TIMEOUT".into(), "1".into());
    vars.insert("JOB_LEASE_SECONDS".into(), "2".into());
    let mut child = relay_console(&vars)
        .args(["create-superuser", "--username", "root", "--password-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        format!("{ROOT_PASSWORD}\n").as_bytes(),
    )
    .unwrap();
    assert!(child.wait().unwrap().success());

    sim.set_faults(relay_sim::Faults {
        latency_ms: 800,
        ..Default::default()
    });
    let first = ServeProcess::start(&vars).await;
    let client = reqwest::Client::new();
    let login = |base: String| {
        let client = client.clone();
        async move {
            let tokens: Value = client
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({ "username": "root", "password": ROOT_PASSWORD }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            tokens["access_token"].as_str().unwrap().to_string()
        }
    };
    let token = login(first.base.clone()).await;
    let pending = tokio::spawn({
        let (client, base, token) = (client.clone(), first.base.clone(), token.clone());
        async move {
            client
                .post(format!("{base}/api/v1/messages"))
                .bearer_auth(token)
                .json(&json!({ "to": ["luis@example.com"], "subject": "Hola", "html": "x" }))
                .send()
                .await
        }
    });
    // Recorded as sending before the call to Doppler (which takes 800 ms): kill it then.
    eventually(10, "the message is on its way to Doppler", || async {
        let page: Value = client
            .get(format!("{}/api/v1/messages?status=sending", first.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        page["total"] == 1
    })
    .await;
    first.signal("KILL");
    let _ = first.finish();
    assert!(
        pending.await.unwrap().is_err(),
        "the process died mid-request"
    );

    let second = ServeProcess::start(&vars).await;
    let token = login(second.base.clone()).await;
    let list = |query: &'static str| {
        let (client, base, token) = (client.clone(), second.base.clone(), token.clone());
        async move {
            let page: Value = client
                .get(format!("{base}/api/v1/messages{query}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            page
        }
    };
    assert_eq!(list("?status=sending").await["total"], 1);
    eventually(40, "the stale message is marked ambiguous", || async {
        list("?status=ambiguous").await["total"] == 1
    })
    .await;
    let stale = list("?status=ambiguous").await["items"][0].clone();
    assert_eq!(stale["error_code"], "worker_lost");
    let id = stale["id"].as_i64().unwrap();

    // The operator checked Doppler: it did not go out. Resend it once.
    sim.set_faults(relay_sim::Faults::default());
    let before = sim.messages().len();
    let resolve = |action: &'static str| {
        let (client, base, token) = (client.clone(), second.base.clone(), token.clone());
        async move {
            client
                .post(format!("{base}/api/v1/messages/{id}/resolve"))
                .bearer_auth(token)
                .json(&json!({ "action": action }))
                .send()
                .await
                .unwrap()
        }
    };
    let resent: Value = expect_json(resolve("resend").await, StatusCode::OK).await;
    assert_eq!(resent["status"], "sent", "{resent}");
    assert_eq!(sim.messages().len(), before + 1);
    // Only an ambiguous message can be resolved.
    expect_problem(
        resolve("mark_sent").await,
        StatusCode::CONFLICT,
        "message_not_ambiguous",
    )
    .await;
    second.signal("TERM");
    let _ = second.finish();
}
