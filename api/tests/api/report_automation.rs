//! Reports without a person: a finished send's own report requested and loaded on its own,
//! the command-line timers, and a load killed midway leaving nothing behind.

use crate::on_both_databases;
use crate::reports::{
    fast_reports, load, quick_sim, report, request, today, wait_state, with_local_file_links,
};
use crate::support::*;
use relay_sim::DownloadStyle;
use relay_types::{BulkReportState, BulkSend, BulkSendStatus as S};
use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

on_both_databases!(
    a_load_killed_midway_leaves_no_row_behind,
    finished_sends_get_their_own_report_automatically,
    reports_are_processed_from_the_command_line,
);

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
    let a: BulkSend = expect_json(
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
    let a_id = a.id;
    app.wait_status(a_id, &[S::Done], 30).await;
    let recordatorio = app.sim.template_id("Recordatorio de pago").unwrap();
    let b: BulkSend = expect_json(
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
    let b_id = b.id;
    app.wait_status(b_id, &[S::Done], 30).await;

    eventually(20, "both sends' reports are ready", || async {
        app.bulk(a_id).await.report.status == BulkReportState::Ready
            && app.bulk(b_id).await.report.status == BulkReportState::Ready
    })
    .await;
    let last = app.bulk(a_id).await.report;
    assert_eq!(last.rows, 6);
    assert!(last.loaded_at.is_some());
    assert!(last.refresh_available_at.is_some());

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
    let outcomes = [
        "delivered",
        "bounced",
        "dropped",
        "spam",
        "unsubscribed",
        "pending",
        "other",
    ]
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
    // The list's figures add up what each loaded report said.
    let summary: relay_types::BulkSummary = expect_json(
        app.get(
            &format!("/api/v1/bulk-sends/summary?q={a_id}"),
            &app.admin_token,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(summary.emails.sent, 6);
    assert_eq!(summary.emails.delivered, t["delivered"].as_i64().unwrap());
    assert_eq!(summary.emails.opened, t["unique_openers"].as_i64().unwrap());
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
    let records = csv_records(&csv, ';');
    assert_eq!(
        records[0],
        [
            "Asunto",
            "Remitente",
            "Nombre del remitente",
            "Correo",
            "Estado en Doppler",
            "Fecha (hora local)",
            "Aperturas",
            "Clics",
            "Resultado"
        ]
    );
    assert_eq!(records.len(), 7);
    assert!(
        records[1..].iter().all(|r| r[..3]
            == [
                "Descuento en su deuda",
                "cobranzas@example.com",
                "Equipo Cobranza"
            ]
            && r[3].starts_with('a')),
        "{csv}"
    );
    // A BOM for Excel, and every cell quoted: Excel set to `,` still keeps each one whole.
    assert!(csv.starts_with('\u{feff}'), "{csv}");
    assert!(
        csv.trim_start_matches('\u{feff}')
            .lines()
            .all(|l| l.starts_with('"') && l.ends_with('"')),
        "{csv}"
    );

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
    let after = app.bulk(a_id).await.report;
    assert_eq!(after.status, BulkReportState::Ready);
    assert_eq!(after.report_id, reports["items"][0]["id"].as_i64());
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
    let bulk: BulkSend = expect_json(
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
    let bulk_id = bulk.id;
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
