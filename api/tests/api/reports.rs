//! Doppler reports against the simulator: request → READY → loaded, the error paths and
//! their retry, loading once per database, a load killed midway, the post-send automation
//! and the per-campaign report.

use std::collections::HashMap;

use relay_sim::{DownloadStyle, Faults};
use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::*;

on_both_databases!(
    a_report_is_requested_downloaded_and_loaded_with_typed_rows,
    failed_reports_end_in_error_with_details_and_recover_on_retry,
    a_load_killed_midway_leaves_no_row_behind,
    finished_sends_get_their_own_report_automatically,
    reports_are_processed_from_the_command_line,
);

/// Polls fast and finds reports ready quickly.
fn fast_reports(v: &mut HashMap<String, String>) {
    v.insert("DOPPLER_REPORTS_POLL_INITIAL_DELAY".into(), "0.2".into());
    v.insert("DOPPLER_REPORTS_POLL_MAX_DELAY".into(), "0.4".into());
}

/// Development mode, where a report file link may point at this machine (the simulator's).
fn with_local_file_links(v: &mut HashMap<String, String>) {
    fast_reports(v);
    v.insert("DEBUG".into(), "1".into());
}

fn quick_sim(app: &TestApp, style: DownloadStyle) {
    app.sim.set_faults(Faults {
        report_delay_ms: 400,
        report_download: style,
        ..Faults::default()
    });
}

fn today(app: &TestApp) -> String {
    chrono::Utc::now()
        .with_timezone(&app.config().time_zone)
        .date_naive()
        .to_string()
}

async fn request(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.post("/api/v1/reports", token, &body)
        .send()
        .await
        .unwrap()
}

async fn report(app: &TestApp, id: i64) -> Value {
    expect_json(
        app.get(&format!("/api/v1/reports/{id}"), &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await
}

async fn wait_state(app: &TestApp, id: i64, state: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..150 {
        last = report(app, id).await;
        if last["state"] == state {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("report {id} never reached {state}: {last}");
}

async fn load(app: &TestApp, id: i64, target: &str, token: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/reports/{id}/load"),
        token,
        &json!({ "target": target }),
    )
    .send()
    .await
    .unwrap()
}

async fn a_report_is_requested_downloaded_and_loaded_with_typed_rows(backend: Backend) {
    let app = TestApp::spawn_with_analytics(backend, fast_reports).await;
    quick_sim(&app, DownloadStyle::Inline);
    let sample = String::from_utf8(fixture("reports/doppler_deliveries_muestra.csv")).unwrap();
    let sample_rows = sample.lines().count() as i64 - 1;
    app.sim.set_report_csv(Some(sample.clone()));
    let (_, manager) = app.user_with("reportes", &["Report Managers"], &[]).await;
    let (_, operator) = app.user_with("operador", &["Operadores UI"], &[]).await;
    let day = today(&app);

    let bad = request(
        &app,
        &manager,
        json!({ "report_type": "aperturas", "start_date": day, "end_date": day }),
    )
    .await;
    assert_eq!(
        expect_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "field_invalid").await["field"],
        "report_type"
    );
    // The two days are the ends of the period, in either order.
    let backwards = request(&app, &manager, json!({ "report_type": "deliveries", "start_date": "2025-10-27", "end_date": "2025-10-26" })).await;
    let backwards: Value = expect_json(backwards, StatusCode::CREATED).await;
    assert_eq!(backwards["start_date"], "2025-10-26");
    assert_eq!(backwards["end_date"], "2025-10-27");
    expect_problem(
        request(
            &app,
            &operator,
            json!({ "report_type": "deliveries", "start_date": day, "end_date": day }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "permission_denied",
    )
    .await;

    let created: Value = expect_json(
        request(
            &app,
            &manager,
            json!({ "report_type": "deliveries", "start_date": day, "end_date": day }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["state"], "PENDING");
    assert_eq!(created["requested_by"], "reportes");
    let id = created["id"].as_i64().unwrap();
    let ready = wait_state(&app, id, "READY").await;
    assert!(ready["report_request_id"].as_str().unwrap().len() > 2);
    assert_eq!(ready["file_size"], sample.len());
    assert!(ready["file_name"]
        .as_str()
        .unwrap()
        .starts_with("doppler_deliveries_"));
    assert_eq!(ready["load_targets"], json!(["default", "analytics"]));
    let downloaded = app
        .get(&format!("/api/v1/reports/{id}/download"), &manager)
        .send()
        .await
        .unwrap();
    assert_eq!(downloaded.status(), StatusCode::OK);
    // The same records as Doppler sent them; only the quotes a cell needs are written (the
    // sample quotes every text cell, none of which holds a comma or a quote).
    assert_eq!(
        downloaded.text().await.unwrap(),
        sample.replace('"', ""),
        "the file as Doppler sent it"
    );

    // Into the default database, typed.
    let loaded: Value =
        expect_json(load(&app, id, "default", &manager).await, StatusCode::OK).await;
    assert_eq!(loaded["loads"][0]["target"], "default");
    assert_eq!(loaded["loads"][0]["rows"], sample_rows);
    assert_eq!(loaded["loads"][0]["loaded_by"], "reportes");
    assert_eq!(loaded["load_targets"], json!(["analytics"]));
    let db = &app.state().db;
    let row = db
        .conn
        .query_one_raw(db.stmt(
            "SELECT subject, sender, sender_name, email, status, event_at, event_local, opens, clicks FROM report_rows WHERE report_id = $1 AND row_number = 3",
            [id.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.try_get_by_index::<String>(0).unwrap(),
        "Descuento en su deuda"
    );
    assert_eq!(
        row.try_get_by_index::<String>(2).unwrap(),
        "Equipo Cobranza"
    );
    assert_eq!(
        row.try_get_by_index::<String>(3).unwrap(),
        "cliente3@example.org"
    );
    assert_eq!(row.try_get_by_index::<String>(4).unwrap(), "Delivered");
    let at: chrono::DateTime<chrono::Utc> = row.try_get_by_index(5).unwrap();
    assert_eq!(at.to_rfc3339(), "2025-10-26T20:01:14+00:00", "Date is UTC");
    assert_eq!(
        row.try_get_by_index::<String>(6).unwrap(),
        "2025-10-26 15:01:14",
        "local time beside it"
    );
    assert_eq!(row.try_get_by_index::<i64>(7).unwrap(), 2);
    assert_eq!(row.try_get_by_index::<i64>(8).unwrap(), 0);
    let count = db
        .conn
        .query_one_raw(db.stmt(
            "SELECT COUNT(*) FROM report_rows WHERE report_id = $1",
            [id.into()],
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(count, sample_rows);

    // Never twice into the same database...
    let again = expect_problem(
        load(&app, id, "default", &manager).await,
        StatusCode::CONFLICT,
        "report_already_loaded",
    )
    .await;
    assert_eq!(again["detail"], "Este reporte ya fue cargado a 'default'.");
    // ... while the other database takes it.
    let both: Value =
        expect_json(load(&app, id, "analytics", &manager).await, StatusCode::OK).await;
    let targets: Vec<&str> = both["loads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["default", "analytics"]);
    assert_eq!(both["load_targets"], json!([]));
    use sqlx::Connection;
    let mut analytics = sqlx::PgConnection::connect(&app.analytics_db.as_ref().unwrap().url)
        .await
        .unwrap();
    let in_analytics: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM report_rows WHERE report_id = $1")
            .bind(id)
            .fetch_one(&mut analytics)
            .await
            .unwrap();
    assert_eq!(in_analytics, sample_rows);
    expect_problem(
        load(&app, id, "analytics", &manager).await,
        StatusCode::CONFLICT,
        "report_already_loaded",
    )
    .await;
    let loaded_list: Value = expect_json(
        app.get("/api/v1/reports?loaded_into=analytics", &manager)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(loaded_list["total"], 1);
    expect_problem(
        load(&app, id, "elsewhere", &manager).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "field_invalid",
    )
    .await;
    expect_problem(
        load(&app, id, "default", &operator).await,
        StatusCode::FORBIDDEN,
        "permission_denied",
    )
    .await;

    // Without an analytics database, the option is not offered and the load is refused.
    let plain = TestApp::spawn_with(backend, with_local_file_links).await;
    quick_sim(&plain, DownloadStyle::Link);
    let created: Value = expect_json(
        request(
            &plain,
            &plain.admin_token,
            json!({ "report_type": "opens", "start_date": day, "end_date": day }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let pid = created["id"].as_i64().unwrap();
    let ready = wait_state(&plain, pid, "READY").await;
    assert_eq!(ready["load_targets"], json!(["default"]));
    let refused = expect_problem(
        load(&plain, pid, "analytics", &plain.admin_token).await,
        StatusCode::CONFLICT,
        "analytics_not_configured",
    )
    .await;
    assert!(refused["detail"]
        .as_str()
        .unwrap()
        .contains("No hay una base analítica configurada"));
    let me: Value = expect_json(
        plain
            .get("/api/v1/auth/me", &plain.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["ui"]["analytics_available"], false);
    plain.stop().await;
    app.stop().await;
}

async fn failed_reports_end_in_error_with_details_and_recover_on_retry(backend: Backend) {
    let app = TestApp::spawn_with(backend, |v| {
        fast_reports(v);
        v.insert("DOPPLER_REPORTS_POLL_TOTAL_TIMEOUT".into(), "1.5".into());
    })
    .await;
    let day = today(&app);
    let cases = [
        (
            Faults {
                report_status: Some(400),
                ..Faults::default()
            },
            "No se pudo solicitar el reporte",
            "HTTP 400",
        ),
        (
            Faults {
                report_status: Some(503),
                ..Faults::default()
            },
            "No se pudo solicitar el reporte",
            "HTTP 503",
        ),
        (
            Faults {
                report_delay_ms: 60_000,
                ..Faults::default()
            },
            "Tiempo de espera excedido",
            "1 s",
        ),
        (
            Faults {
                report_delay_ms: 200,
                download_status: Some(500),
                ..Faults::default()
            },
            "No se pudo descargar el reporte",
            "HTTP 500",
        ),
        (
            Faults {
                report_delay_ms: 200,
                download_status: Some(502),
                report_download: DownloadStyle::Link,
                ..Faults::default()
            },
            "No se pudo descargar el reporte",
            "HTTP 502",
        ),
    ];
    for (faults, what, detail) in cases {
        app.sim.set_faults(faults);
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
        let failed = wait_state(&app, id, "ERROR").await;
        let details = failed["error_details"].as_str().unwrap();
        assert!(
            details.starts_with(what) && details.contains(detail),
            "{details}"
        );
        assert_eq!(failed["load_targets"], json!([]));
        expect_problem(
            load(&app, id, "default", &app.admin_token).await,
            StatusCode::CONFLICT,
            "report_not_ready",
        )
        .await;

        // The fault passes; a retry starts from the beginning and succeeds.
        quick_sim(&app, DownloadStyle::Inline);
        let retried: Value = expect_json(
            app.post(
                &format!("/api/v1/reports/{id}/retry"),
                &app.admin_token,
                &json!({}),
            )
            .send()
            .await
            .unwrap(),
            StatusCode::OK,
        )
        .await;
        // The answer is the report as it is now: a worker may have started on it already.
        assert!(
            ["PENDING", "PROCESSING"].contains(&retried["state"].as_str().unwrap()),
            "{retried}"
        );
        assert_eq!(retried["error_details"], "");
        wait_state(&app, id, "READY").await;
        let again = app
            .post(
                &format!("/api/v1/reports/{id}/retry"),
                &app.admin_token,
                &json!({}),
            )
            .send()
            .await
            .unwrap();
        expect_problem(again, StatusCode::CONFLICT, "report_not_in_error").await;
    }
    let errors: Value = expect_json(
        app.get("/api/v1/reports?state=ERROR", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(errors["total"], 0);

    // "Procesar pendientes ahora" brings waiting polls forward; it needs its permission.
    app.sim.set_faults(Faults {
        report_delay_ms: 700,
        ..Faults::default()
    });
    let created: Value = expect_json(
        request(
            &app,
            &app.admin_token,
            json!({ "report_type": "sent", "start_date": day, "end_date": day }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let (_, viewer) = app.user_with("lector", &[], &["reports.view"]).await;
    let denied = app
        .post("/api/v1/reports/process-pending", &viewer, &json!({}))
        .send()
        .await
        .unwrap();
    expect_problem(denied, StatusCode::FORBIDDEN, "permission_denied").await;
    let now: Value = expect_json(
        app.post(
            "/api/v1/reports/process-pending",
            &app.admin_token,
            &json!({}),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(now["queued"], 1);
    wait_state(&app, created["id"].as_i64().unwrap(), "READY").await;
    app.stop().await;
}

async fn a_load_killed_midway_leaves_no_row_behind(backend: Backend) {
    let app = TestApp::spawn_with(backend, fast_reports).await;
    quick_sim(&app, DownloadStyle::Inline);
    let generated = std::process::Command::new("python3")
        .args([
            &format!("{}/tests/fixtures/gen_csv.py", env!("CARGO_MANIFEST_DIR")),
            "report",
            "300000",
        ])
        .output()
        .unwrap();
    assert!(generated.status.success());
    app.sim
        .set_report_csv(Some(String::from_utf8(generated.stdout).unwrap()));
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
    wait_state(&app, id, "READY").await;

    let mut child = relay_console(&app.vars)
        .args(["load-report", &id.to_string(), "--target", "default"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once the load is seen writing: COPY running, or SQLite's log growing.
    let db = &app.state().db;
    let wal = app.data_dir.path().join("test.sqlite3-wal");
    let wal_start = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    let mut seen = false;
    for _ in 0..400 {
        seen = match backend {
            Backend::Postgres => db
                .conn
                .query_one_raw(db.stmt("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'COPY report_rows%' AND datname = current_database()", []))
                .await
                .unwrap()
                .is_some(),
            Backend::Sqlite => std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > wal_start + 4 * 1024 * 1024,
        };
        if seen {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(seen, "the load was seen in progress");
    std::process::Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed, not finished");

    let rows = |sql: &'static str| async move {
        db.conn
            .query_one_raw(db.stmt(sql, [id.into()]))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap()
    };
    assert_eq!(
        rows("SELECT COUNT(*) FROM report_rows WHERE report_id = $1").await,
        0,
        "no row behind"
    );
    assert_eq!(
        rows("SELECT COUNT(*) FROM report_loads WHERE report_id = $1").await,
        0,
        "no load recorded"
    );
    let loaded: Value = expect_json(
        load(&app, id, "default", &app.admin_token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(loaded["loads"][0]["rows"], 300000);
    assert_eq!(
        rows("SELECT COUNT(*) FROM report_rows WHERE report_id = $1").await,
        300000
    );
    app.stop().await;
}

async fn finished_sends_get_their_own_report_automatically(backend: Backend) {
    let app = TestApp::spawn_with(backend, |v| {
        fast_reports(v);
        v.insert("POST_SEND_REPORT_DELAY_MIN".into(), "0".into());
        v.insert("MANUAL_REPORT_REFRESH_MIN".into(), "30".into());
    })
    .await;
    quick_sim(&app, DownloadStyle::Inline);
    // Send A: "Descuento en su deuda" to a1..a6; send B the same day, another template,
    // to a1..a3 (the same people) and b1..b4, from the same sender.
    let a_csv = "email;identificacion;nombres;deuda;descuento;total_a_pagar\n".to_string()
        + &(1..=6)
            .map(|i| format!("a{i}@example.com;0{i};A {i};10;1;9\n"))
            .collect::<String>();
    let b_csv = "email;nombres;deuda;total_a_pagar\n".to_string()
        + &(1..=3)
            .map(|i| format!("a{i}@example.com;A {i};10;9\n"))
            .collect::<String>()
        + &(1..=4)
            .map(|i| format!("b{i}@correo.example.ec;B {i};10;9\n"))
            .collect::<String>();
    let a: Value = expect_json(
        app.create_bulk(
            &app.admin_token,
            a_csv.into_bytes(),
            "a.csv",
            &[("send_now", "true")],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let a_id = a["id"].as_i64().unwrap();
    app.wait_status(a_id, &["done"], 30).await;
    let recordatorio = app.sim.template_id("Recordatorio de pago").unwrap();
    let b: Value = expect_json(
        app.create_bulk(
            &app.admin_token,
            b_csv.into_bytes(),
            "b.csv",
            &[("send_now", "true"), ("template_id", &recordatorio)],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let b_id = b["id"].as_i64().unwrap();
    app.wait_status(b_id, &["done"], 30).await;

    let mut last = Value::Null;
    for _ in 0..200 {
        last = app.bulk(a_id).await;
        if last["report"]["status"] == "ready"
            && app.bulk(b_id).await["report"]["status"] == "ready"
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(last["report"]["status"], "ready", "{last}");
    assert_eq!(last["report"]["rows"], 6);
    assert!(last["report"]["loaded_at"].is_string());
    assert!(last["report"]["refresh_available_at"].is_string());

    let report: Value = expect_json(
        app.get(
            &format!("/api/v1/bulk-sends/{a_id}/report"),
            &app.admin_token,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    let t = &report["totals"];
    assert_eq!(t["sent"], 6);
    assert_eq!(
        t["in_report"], 6,
        "only this send's rows, though the day's report has 13: {report}"
    );
    let day_rows: i64 = {
        let id = report["report"]["id"].as_i64().unwrap();
        let db = &app.state().db;
        db.conn
            .query_one_raw(db.stmt(
                "SELECT COUNT(*) FROM report_rows WHERE report_id = $1",
                [id.into()],
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap()
    };
    assert_eq!(day_rows, 13, "the day's report holds both sends");
    let outcomes = ["delivered", "bounced", "spam", "unsubscribed", "pending"]
        .iter()
        .map(|k| t[k].as_i64().unwrap())
        .sum::<i64>();
    assert_eq!(outcomes, 6);
    assert_eq!(
        report["by_status"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_i64().unwrap())
            .sum::<i64>(),
        6
    );
    assert_eq!(report["matched_by_address"], 6);
    assert_eq!(report["sent_not_in_report"], 0);
    assert_eq!(report["top_domains"][0]["domain"], "example.com");
    assert_eq!(report["top_domains"][0]["recipients"], 6);
    assert!(report["rates"]["delivery"].as_f64().unwrap() <= 1.0);
    let b_report: Value = expect_json(
        app.get(
            &format!("/api/v1/bulk-sends/{b_id}/report"),
            &app.admin_token,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(b_report["totals"]["in_report"], 7);

    let csv = app
        .get(
            &format!("/api/v1/bulk-sends/{a_id}/report.csv"),
            &app.admin_token,
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "Subject,Sender,SenderName,Email,Status,Date,Opens,Clicks,Date_Local"
    );
    assert_eq!(lines.len(), 7);
    assert!(lines[1..].iter().all(|l| l.starts_with("Descuento en su deuda,cobranzas@example.com,Equipo Cobranza,a")), "{csv}");

    // Refreshing by hand waits for MANUAL_REPORT_REFRESH_MIN after the send finished.
    let early = app
        .request(
            Method::POST,
            &format!("/api/v1/bulk-sends/{a_id}/report/refresh"),
            Some(&app.admin_token),
        )
        .send()
        .await
        .unwrap();
    let problem = expect_problem(early, StatusCode::CONFLICT, "report_refresh_too_early").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("El reporte manual está disponible en"),
        "{problem}"
    );
    // The command line can force it: a new report is requested and loaded.
    let forced = relay_console(&app.vars)
        .args([
            "process-post-send-reports",
            "--bulk-id",
            &a_id.to_string(),
            "--force",
        ])
        .output()
        .unwrap();
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    let reports: Value = expect_json(
        app.get(
            &format!("/api/v1/reports?bulk_send_id={a_id}"),
            &app.admin_token,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(reports["total"], 2);
    let after = app.bulk(a_id).await;
    assert_eq!(after["report"]["status"], "ready");
    assert_eq!(after["report"]["report_id"], reports["items"][0]["id"]);
    app.stop().await;
}

async fn reports_are_processed_from_the_command_line(backend: Backend) {
    let app = TestApp::spawn_with(backend, |v| {
        with_local_file_links(v);
        v.insert("JOBS_ENABLED".into(), "false".into());
    })
    .await;
    quick_sim(&app, DownloadStyle::Link);
    let day = today(&app);
    let created: Value = expect_json(
        request(
            &app,
            &app.admin_token,
            json!({ "report_type": "clicks", "start_date": day, "end_date": day }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        report(&app, id).await["state"],
        "PENDING",
        "no worker in this server"
    );
    // Other work waits in the same table: a queued bulk send, and a post-send report due in
    // 15 minutes. The command must neither take them up nor wait for them.
    let bulk: Value = expect_json(
        app.create_bulk(
            &app.admin_token,
            deuda_csv(3),
            "q.csv",
            &[("send_now", "true")],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let bulk_id = bulk["id"].as_i64().unwrap();
    relay_console::jobs::enqueue(
        &app.state().db.conn,
        relay_console::jobs::NewJob {
            bulk_send_id: Some(bulk_id),
            run_after: chrono::Utc::now() + chrono::Duration::minutes(15),
            ..relay_console::jobs::NewJob::new(relay_console::jobs::JobType::PostSendReport)
        },
    )
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let mut child = relay_console(&app.vars)
        .arg("process-reports-pending")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = started + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("process-reports-pending still running after 60 s");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("Reportes pendientes procesados: 1"));
    assert_eq!(report(&app, id).await["state"], "READY");
    let untouched: Value = expect_json(
        app.get(
            &format!("/api/v1/jobs?bulk_send_id={bulk_id}"),
            &app.admin_token,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    for job in untouched["items"].as_array().unwrap() {
        assert_eq!(job["state"], "queued", "{job}");
        assert_eq!(job["attempts"], 0, "{job}");
    }
    assert!(
        app.sim.messages().is_empty(),
        "the bulk send was not worked on"
    );
    let loaded = relay_console(&app.vars)
        .args(["load-report", &id.to_string(), "--target", "default"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&loaded.stdout)
            .contains("Carga a BD completada en 'default' (0 filas)"),
        "{}",
        String::from_utf8_lossy(&loaded.stdout)
    );
    let twice = relay_console(&app.vars)
        .args(["load-report", &id.to_string(), "--target", "default"])
        .output()
        .unwrap();
    assert!(!twice.status.success());
    assert!(
        String::from_utf8_lossy(&twice.stderr).contains("Este reporte ya fue cargado a 'default'.")
    );
    app.stop().await;
}
