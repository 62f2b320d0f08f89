//! The Doppler API key never appears in a log line, an answer, or a stored value.

use std::process::{Command, Stdio};

use relay_sim::Faults;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::*;

on_both_databases!(the_api_key_is_never_logged_answered_or_stored);

async fn every_stored_value(backend: Backend, url: &str, data_dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => {
            let mut all = Vec::new();
            for entry in std::fs::read_dir(data_dir).unwrap().flatten() {
                if entry.file_name().to_string_lossy().contains("sqlite3") {
                    all.extend(std::fs::read(entry.path()).unwrap());
                }
            }
            String::from_utf8_lossy(&all).into_owned()
        }
        Backend::Postgres => {
            use sqlx::{Connection, Row};
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            let tables: Vec<String> = sqlx::query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect();
            let mut dump = String::new();
            for table in tables {
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT t::text FROM \"{table}\" t"
                )))
                .fetch_all(&mut conn)
                .await
                .unwrap();
                for row in rows {
                    dump.push_str(&row.get::<String, _>(0));
                }
            }
            dump
        }
    }
}

async fn the_api_key_is_never_logged_answered_or_stored(backend: Backend) {
    let sim = start_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(backend, dir.path()).await;
    let mut vars = base_vars(&db.url, dir.path());
    use_sim(&mut vars, &sim);
    vars.insert("DOPPLER_RELAY_TIMEOUT".into(), "1".into());
    // As verbose as it gets, the HTTP client's internals included.
    vars.insert("RUST_LOG".into(), "trace".into());

    let mut create = Command::new(env!("CARGO_BIN_EXE_relay-console"))
        .env_clear()
        .envs(&vars)
        .args(["create-superuser", "--username", "root", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut create.stdin.take().unwrap(),
        format!("{ROOT_PASSWORD}\n").as_bytes(),
    )
    .unwrap();
    assert!(create.wait().unwrap().success());
    // Trace logging is voluminous: the harness reads it as it comes.
    let server = ServeProcess::start(&vars).await;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let login: Value = expect_json(
        client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({ "username": "root", "password": ROOT_PASSWORD }))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let token = login["access_token"].as_str().unwrap().to_string();

    let mut answers = String::new();
    let template = sim.template_id("Descuento en su deuda").unwrap();
    let call = |path: String, body: Option<Value>| {
        let request = match body {
            Some(b) => client.post(format!("{base}{path}")).json(&b),
            None => client.get(format!("{base}{path}")),
        };
        request.bearer_auth(&token).send()
    };
    answers.push_str(
        &call("/api/v1/templates".into(), None)
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    answers.push_str(
        &call(format!("/api/v1/templates/{template}"), None)
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    for faults in [
        Faults::default(),
        Faults {
            rate_500: 1.0,
            ..Faults::default()
        },
        Faults {
            rate_timeout: 1.0,
            ..Faults::default()
        },
        Faults {
            quota_after: Some(0),
            ..Faults::default()
        },
        Faults {
            rate_503: 1.0,
            ..Faults::default()
        },
    ] {
        sim.set_faults(faults);
        let body = json!({ "to": ["ana@example.com"], "subject": "s", "html": "t" });
        answers.push_str(
            &call("/api/v1/messages".into(), Some(body))
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
        answers.push_str(
            &call("/api/v1/templates?refresh=true".into(), None)
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
    }
    sim.set_faults(Faults::default());
    answers.push_str(
        &call("/api/v1/audit?page_size=500".into(), None)
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );

    server.signal("TERM");
    let logs = server.finish();
    assert!(
        logs.len() > 10_000,
        "trace logging was on ({} bytes)",
        logs.len()
    );
    assert!(
        logs.contains("doppler") || logs.contains("reqwest") || logs.contains("hyper"),
        "the client's calls were logged"
    );
    assert!(answers.contains("\"status\":\"sent\""), "{answers}");
    assert!(answers.contains("doppler_quota_exceeded"));

    assert!(
        !logs.contains(SIM_API_KEY),
        "the API key leaked into the logs"
    );
    assert!(
        !answers.contains(SIM_API_KEY),
        "the API key leaked into an answer"
    );
    let stored = every_stored_value(backend, &db.url, dir.path()).await;
    assert!(
        stored.contains("ana@example.com"),
        "the dump holds the stored rows"
    );
    assert!(!stored.contains(SIM_API_KEY), "the API key was stored");
}
