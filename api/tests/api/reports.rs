//! Doppler reports against the simulator: request → READY → loaded, the error paths and
//! their retry, loading once per database, a load killed midway, the post-send automation
//! and the per-campaign report.

use std::collections::HashMap;

use relay_sim::{DownloadStyle, Faults};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::*;

on_both_databases!(
    a_report_is_requested_downloaded_and_loaded_with_typed_rows,
    failed_reports_end_in_error_with_details_and_recover_on_retry,
);

/// Polls fast and finds reports ready quickly.
pub(crate) fn fast_reports(v: &mut HashMap<String, String>) {
    v.insert("DOPPLER_REPORTS_POLL_INITIAL_DELAY".into(), "0.2".into());
    v.insert("DOPPLER_REPORTS_POLL_MAX_DELAY".into(), "0.4".into());
}

/// Development mode, where a report file link may point at this machine (the simulator's).
pub(crate) fn with_local_file_links(v: &mut HashMap<String, String>) {
    fast_reports(v);
    v.insert("DEBUG".into(), "1".into());
}

pub(crate) fn quick_sim(app: &TestApp, style: DownloadStyle) {
    app.sim.set_faults(Faults {
        report_delay_ms: 400,
        report_download: style,
        ..Faults::default()
    });
}

pub(crate) fn today(app: &TestApp) -> String {
    chrono::Utc::now()
        .with_timezone(&app.config().time_zone)
        .date_naive()
        .to_string()
}

pub(crate) async fn request(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.post("/api/v1/reports", token, &body)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn report(app: &TestApp, id: i64) -> Value {
    expect_json(
        app.get(&format!("/api/v1/reports/{id}"), &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await
}

pub(crate) async fn wait_state(app: &TestApp, id: i64, state: &str) -> Value {
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

pub(crate) async fn load(app: &TestApp, id: i64, target: &str, token: &str) -> reqwest::Response {
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
    // The answer reads the report back after queueing it: a fast worker may have begun.
    assert!(
        matches!(created["state"].as_str(), Some("PENDING" | "PROCESSING")),
        "a new report is waiting or already asked for: {created}"
    );
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
    // The same records as Doppler sent them, every cell quoted.
    let text = downloaded.text().await.unwrap();
    assert!(text.starts_with("\"Subject\",\"Sender\","), "{text}");
    assert_eq!(
        csv_records(&text, ','),
        csv_records(&sample, ','),
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
            "SELECT subject, sender, sender_name, email, status, event_at, event_local, opens, clicks, outcome FROM report_rows WHERE report_id = $1 AND row_number = 3",
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
    assert_eq!(row.try_get_by_index::<String>(4).unwrap(), "Sent");
    assert_eq!(
        row.try_get_by_index::<String>(9).unwrap(),
        "delivered",
        "what the status means is stored beside it"
    );
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
    // The stored outcomes count as the sample's statuses say.
    let outcomes: Vec<(String, i64)> = db
        .conn
        .query_all_raw(db.stmt(
            "SELECT outcome, COUNT(*) FROM report_rows WHERE report_id = $1 GROUP BY outcome ORDER BY outcome",
            [id.into()],
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("bounced".into(), 4),
            ("delivered".into(), 30),
            ("dropped".into(), 3),
            ("pending".into(), 3)
        ]
    );

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
    let delivered_in_analytics: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM report_rows WHERE report_id = $1 AND outcome = 'delivered'",
    )
    .bind(id)
    .fetch_one(&mut analytics)
    .await
    .unwrap();
    assert_eq!(
        delivered_in_analytics, 30,
        "the analytics table counts as the default one"
    );
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
