//! What a stranger, or a careless client, can throw at a running server, and what it costs:
//! invented methods against the metrics, a header too wide to match, a burst of logins
//! against the memory, slow clients, oversized bodies and lists, NUL characters in a file.

use std::time::{Duration, Instant};

use relay_types::{BulkSend, CsvPreview, ValidationStatus};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::csv_files::preview;
use crate::on_both_databases;
use crate::support::*;

on_both_databases!(
    a_header_too_wide_is_refused_and_lists_leave_headers_out,
    nul_characters_in_a_file_are_a_verdict_not_a_server_error,
    oversized_bodies_and_lists_are_refused_before_any_work,
    reports_and_templates_cost_doppler_a_bounded_amount,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invented_methods_do_not_grow_the_metrics() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let metrics = || async {
        app.request(Method::GET, "/metrics", None)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let before = metrics().await.len();
    for i in 0..200 {
        let method = Method::from_bytes(format!("INVENTED{i}").as_bytes()).unwrap();
        let _ = app.request(method, "/healthz", None).send().await.unwrap();
    }
    let after = metrics().await;
    assert!(
        !after.contains("INVENTED"),
        "a client's method became a label"
    );
    assert!(after.contains("method=\"other\""), "{after}");
    // Two new series at most (a counter and a histogram for `other`), not two hundred.
    assert!(
        after.len() < before + 8 * 1024,
        "metrics grew from {before} to {} bytes",
        after.len()
    );
    app.stop().await;
}

/// A header of exactly `columns` columns of `width` characters each, then rows filling
/// about `bytes`.
fn wide_file(columns: usize, width: usize, bytes: usize) -> (Vec<u8>, Vec<String>) {
    let names: Vec<String> = (0..columns)
        .map(|i| match i {
            0 => "email".to_string(),
            i => format!("{i:0width$}"),
        })
        .collect();
    let mut file = names.join(",");
    file.push('\n');
    let mut row = 0;
    while file.len() < bytes {
        row += 1;
        file.push_str(&format!("c{row}@example.com"));
        for i in 1..columns {
            file.push_str(&format!(",{}", i % 10));
        }
        file.push('\n');
    }
    (file.into_bytes(), names)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widest_allowed_file_previewed_twice_does_not_slow_other_requests() {
    let db = TestDb::new(Backend::Sqlite, tempfile::tempdir().unwrap().path()).await;
    let data = tempfile::tempdir().unwrap();
    let sim = start_sim().await;
    let mut vars = base_vars(&db.url, data.path());
    use_sim(&mut vars, &sim);
    vars.insert("UPLOAD_MAX_BYTES".into(), (4 * 1024 * 1024).to_string());
    let server = ServeProcess::start(&vars).await;
    let token = superuser_token(&vars, &server.base).await;

    // The widest header allowed (500 columns, 32 KB) mapped in full, 4 MB of rows.
    let columns = relay_types::limits::CSV_HEADER_MAX_COLUMNS;
    let width = relay_types::limits::CSV_HEADER_MAX_BYTES / columns - 2;
    let (file, names) = wide_file(columns, width, 4 * 1024 * 1024 - 4096);
    let mapping: serde_json::Map<String, Value> = names[1..]
        .iter()
        .enumerate()
        .map(|(i, name)| (format!("v{i}"), json!(name)))
        .collect();
    let mapping = serde_json::to_string(&mapping).unwrap();
    let client = reqwest::Client::new();
    let previewing = (0..2).map(|_| {
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(file.clone()).file_name("ancho.csv"),
            )
            .text("mapping", mapping.clone());
        client
            .post(format!("{}/api/v1/csv/preview", server.base))
            .bearer_auth(&token)
            .multipart(form)
            .send()
    });
    let previews = tokio::spawn(futures::future::join_all(previewing));

    let mut slowest = Duration::ZERO;
    let mut samples = 0;
    while !previews.is_finished() {
        let started = Instant::now();
        let health = client
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), StatusCode::OK);
        slowest = slowest.max(started.elapsed());
        samples += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for answer in previews.await.unwrap() {
        let preview: CsvPreview = expect_json(answer.unwrap(), StatusCode::OK).await;
        assert_eq!(preview.problem, None);
        assert_eq!(preview.headers.len(), columns);
        assert!(preview.total_rows > 1000, "{}", preview.total_rows);
    }
    assert!(
        samples >= 5,
        "the previews were over before they could be measured ({samples} samples)"
    );
    assert!(
        slowest < Duration::from_millis(100),
        "/healthz took {slowest:?} while two previews ran ({samples} samples)"
    );
}

pub(crate) async fn superuser_token(
    vars: &std::collections::HashMap<String, String>,
    base: &str,
) -> String {
    let mut create = relay_console(vars)
        .args(["create-superuser", "--username", "root", "--password-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut create.stdin.take().unwrap(),
        format!("{ROOT_PASSWORD}\n").as_bytes(),
    )
    .unwrap();
    assert!(create.wait().unwrap().success());
    let login: relay_types::TokenResponse = expect_json(
        reqwest::Client::new()
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({ "username": "root", "password": ROOT_PASSWORD }))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    login.access_token
}

async fn a_header_too_wide_is_refused_and_lists_leave_headers_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let columns = relay_types::limits::CSV_HEADER_MAX_COLUMNS;
    for (file, what) in [
        (wide_file(columns + 1, 3, 0).0, "one column too many"),
        (wide_file(10, 4000, 0).0, "a header over 32 KB"),
    ] {
        let previewed: CsvPreview = expect_json(
            preview(&app, file.clone(), "ancho.csv", &[]).await,
            StatusCode::OK,
        )
        .await;
        let problem = previewed.problem.expect(what);
        assert_eq!(problem.code, "header_too_wide", "{what}");
        assert!(
            problem.message.contains("500 columnas"),
            "{}",
            problem.message
        );
        let refused = expect_problem(
            app.create_bulk(&app.admin_token, file, "ancho.csv", &[])
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "header_too_wide",
        )
        .await;
        assert_eq!(refused["limit_columns"], columns, "{what}");
    }
    // A mapping larger than any header is refused by its name.
    let mapping: serde_json::Map<String, Value> = (0..=columns)
        .map(|i| (format!("v{i}"), json!("nombres")))
        .collect();
    let previewed: CsvPreview = expect_json(
        preview(
            &app,
            deuda_csv(2),
            "deuda.csv",
            &[("mapping", &serde_json::to_string(&mapping).unwrap())],
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(previewed.problem.unwrap().code, "mapping_too_large");

    // The columns of a send are in its own answer, not in every item of the list.
    let created: BulkSend = expect_json(
        app.create_bulk(&app.admin_token, deuda_csv(3), "deuda.csv", &[])
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created.file.headers.as_ref().map(Vec::len), Some(6));
    let list: Value = expect_json(
        app.get("/api/v1/bulk-sends", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["total"], 1);
    assert!(list["items"][0]["file"].get("headers").is_none(), "{list}");
    assert_eq!(app.bulk(created.id).await.file.headers.unwrap()[0], "email");
    app.stop().await;
}

async fn nul_characters_in_a_file_are_a_verdict_not_a_server_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let file = "email;identificacion;nombres;deuda;descuento;total_a_pagar\n\
                ana@example.com;0911;Ana;10;1;9\n\
                bea@example.com;09\u{0}12;Bea;10;1;9\n\
                ca\u{0}rla@example.com;0913;Carla;10;1;9\n"
        .as_bytes()
        .to_vec();
    let previewed: CsvPreview = expect_json(
        preview(&app, file.clone(), "nul.csv", &[]).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!((previewed.valid_rows, previewed.invalid_rows), (1, 2));
    assert_eq!(previewed.error_counts["cell_nul_char"], 2);
    let created: BulkSend = expect_json(
        app.create_bulk(&app.admin_token, file, "nul.csv", &[])
            .await,
        StatusCode::CREATED,
    )
    .await;
    let recipients = app.recipients(created.id, "").await;
    assert_eq!(recipients.len(), 3);
    let nul_rows: Vec<_> = recipients
        .iter()
        .filter(|r| r.validation_code == "cell_nul_char")
        .collect();
    assert_eq!(nul_rows.len(), 2);
    assert!(nul_rows
        .iter()
        .all(|r| r.validation_status == ValidationStatus::Invalid
            && !r.email.contains('\0')
            && r.validation_message.contains("carácter nulo")));
    app.stop().await;
}

async fn oversized_bodies_and_lists_are_refused_before_any_work(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // A sign-in body is a few bytes: 40 KB of it is not read as JSON.
    let padded = json!({ "username": "admin", "password": "x".repeat(40 * 1024) });
    for path in ["/api/v1/auth/login", "/api/v1/auth/refresh"] {
        let answer = app
            .request(Method::POST, path, None)
            .json(&padded)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
    // More ids than the document allows: 422 naming the list, never a 500.
    let (user_id, _) = app.user_with("muchos", &[], &[]).await;
    let ids: Vec<i64> = (1..=40_000).collect();
    let problem = expect_problem(
        app.request(
            Method::PUT,
            &format!("/api/v1/users/{user_id}/groups"),
            Some(&app.admin_token),
        )
        .json(&json!({ "group_ids": ids }))
        .send()
        .await
        .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "too_many_items",
    )
    .await;
    assert_eq!(problem["field"], "group_ids");
    let created: BulkSend = expect_json(
        app.create_bulk(&app.admin_token, deuda_csv(2), "d.csv", &[])
            .await,
        StatusCode::CREATED,
    )
    .await;
    let problem = expect_problem(
        app.post(
            &format!("/api/v1/bulk-sends/{}/recipients/resolve", created.id),
            &app.admin_token,
            &json!({ "action": "mark_sent", "recipient_ids": ids }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "too_many_items",
    )
    .await;
    assert_eq!(problem["field"], "recipient_ids");
    // Nothing the API answers is kept by a cache on the way.
    for path in ["/api/v1/auth/me", "/api/v1/bulk-sends", "/api/v1/nope"] {
        let answer = app.get(path, &app.admin_token).send().await.unwrap();
        assert_eq!(answer.headers()["cache-control"], "no-store", "{path}");
    }
    let login = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .json(&json!({ "username": "admin", "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.headers()["cache-control"], "no-store");
    app.stop().await;
}

async fn reports_and_templates_cost_doppler_a_bounded_amount(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ask = |start: &str, end: &str| {
        app.post(
            "/api/v1/reports",
            &app.admin_token,
            &json!({ "report_type": "deliveries", "start_date": start, "end_date": end }),
        )
        .send()
    };
    for (start, end) in [
        ("2024-01-01", "2025-06-30"),
        ("1999-12-31", "2000-01-02"),
        ("2030-01-01", "2030-01-01"),
    ] {
        expect_problem(
            ask(start, end).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "report_period_invalid",
        )
        .await;
    }
    // Doppler never answers in this test: the requests stay unfinished and count.
    app.sim.set_faults(relay_sim::Faults {
        report_delay_ms: 10 * 60 * 1000,
        ..Default::default()
    });
    for _ in 0..20 {
        assert_eq!(
            ask("2025-11-01", "2025-11-02").await.unwrap().status(),
            StatusCode::CREATED
        );
    }
    let problem = expect_problem(
        ask("2025-11-01", "2025-11-02").await.unwrap(),
        StatusCode::CONFLICT,
        "reports_too_many_unfinished",
    )
    .await;
    assert_eq!(problem["limit"], 20);

    // A template's details are read from Doppler once, then from the shared cache.
    let id = app.sim.template_id("Descuento en su deuda").unwrap();
    let detail_calls = || {
        app.sim
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path.ends_with(&format!("/templates/{id}")))
            .count()
    };
    let before = detail_calls();
    for _ in 0..5 {
        let answer = app
            .post(
                &format!("/api/v1/templates/{id}/preview"),
                &app.admin_token,
                &json!({ "variables": {} }),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
    }
    assert_eq!(detail_calls() - before, 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_cannot_hold_a_connection() {
    let app = TestApp::spawn_with(Backend::Sqlite, |vars| {
        vars.insert("HTTP_READ_TIMEOUT".into(), "1".into());
    })
    .await;
    let address = app.base.trim_start_matches("http://").to_string();

    // Headers that never end: the connection is closed.
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buffer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buffer)).await;
    assert!(
        read.is_ok(),
        "the server still holds the connection after 10 s"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // A body that stops arriving: the request ends with an error, not a held worker.
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"username\"";
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buffer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buffer)).await;
    assert!(
        read.is_ok(),
        "the server still waits for the body after 10 s"
    );
    let answer = String::from_utf8_lossy(&buffer);
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    app.stop().await;
}

/// Resident memory of a process, in bytes.
fn resident_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

/// Where `docs/security.md` says resident memory stays after any burst of sign-ins.
const RESIDENT_AFTER_LOGIN_BURST: u64 = 160 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_logins_leaves_no_memory_behind() {
    let db = TestDb::new(Backend::Sqlite, tempfile::tempdir().unwrap().path()).await;
    let data = tempfile::tempdir().unwrap();
    let sim = start_sim().await;
    let mut vars = base_vars(&db.url, data.path());
    use_sim(&mut vars, &sim);
    let server = ServeProcess::start(&vars).await;
    let _ = superuser_token(&vars, &server.base).await;
    let client = reqwest::Client::new();
    // 120 strangers at once, each from an address of its own (the per-address throttle is
    // not what is measured here), in two waves.
    for wave in 0..2 {
        let logins = (0..60).map(|i| {
            client
                .post(format!("{}/api/v1/auth/login", server.base))
                .header("x-real-ip", format!("203.0.{wave}.{i}"))
                .json(&json!({ "username": format!("desconocido{i}"), "password": "una-clave-cualquiera" }))
                .send()
        });
        for answer in futures::future::join_all(logins).await {
            let status = answer.unwrap().status();
            assert!(
                [StatusCode::UNAUTHORIZED, StatusCode::SERVICE_UNAVAILABLE].contains(&status),
                "{status}"
            );
        }
    }
    let resident = resident_bytes(server.child.id());
    assert!(
        resident < RESIDENT_AFTER_LOGIN_BURST,
        "{} MB resident after 120 logins (bound {} MB)",
        resident / (1024 * 1024),
        RESIDENT_AFTER_LOGIN_BURST / (1024 * 1024)
    );
    println!(
        "resident after 120 parallel logins: {} MB",
        resident / (1024 * 1024)
    );
}
