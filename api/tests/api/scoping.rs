//! Who sees and touches what: attachments scoped to their creator and sends, job retries
//! by kind, and exports a spreadsheet cannot run.

use crate::attachments::upload;
use crate::on_both_databases;
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_databases!(
    message_attachments_are_de_duplicated_and_capped,
    attachments_belong_to_their_creator_and_the_sends_using_them,
    retrying_a_job_needs_the_permission_of_its_kind,
    exported_cells_cannot_run_as_formulas,
);

async fn message_attachments_are_de_duplicated_and_capped(backend: Backend) {
    let app = TestApp::spawn_with(backend, |v| {
        v.insert("MESSAGE_ATTACHMENTS_MAX_BYTES".into(), "3000".into());
    })
    .await;
    let mut ids = Vec::new();
    for i in 0..11 {
        let file: Value = expect_json(
            upload(
                &app,
                &app.admin_token,
                &format!("f{i}.pdf"),
                vec![b'x'; 200],
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        ids.push(file["id"].as_i64().unwrap());
    }
    let send = |attachment_ids: Vec<i64>| {
        app.post(
            "/api/v1/messages",
            &app.admin_token,
            &json!({ "to": ["a@example.com"], "subject": "s", "html": "t", "attachment_ids": attachment_ids }),
        )
        .send()
    };
    let problem = expect_problem(
        send(ids.clone()).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "too_many_items",
    )
    .await;
    assert_eq!(problem["field"], "attachment_ids");
    // The same file named five times is attached once.
    let sent: Value = expect_json(send(vec![ids[0]; 5]).await.unwrap(), StatusCode::CREATED).await;
    assert_eq!(sent["attachment_ids"], json!([ids[0]]));
    assert_eq!(app.sim.messages()[0].attachments.len(), 1);
    // Together over the configured total: 413 naming the limit, nothing sent.
    let big: Value = expect_json(
        upload(&app, &app.admin_token, "big.pdf", vec![b'y'; 2900]).await,
        StatusCode::CREATED,
    )
    .await;
    let problem = expect_problem(
        send(vec![ids[1], big["id"].as_i64().unwrap()])
            .await
            .unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    assert_eq!(problem["limit_bytes"], 3000);
    assert_eq!(app.sim.messages().len(), 1);
    app.stop().await;
}

async fn attachments_belong_to_their_creator_and_the_sends_using_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, ana) = app.user_with("ana", &["Operadores UI"], &[]).await;
    let (_, luis) = app.user_with("luis", &[], &["bulk_sends.operate"]).await;
    let (_, viewer) = app.user_with("viewer", &[], &["bulk_sends.view"]).await;
    let file: Value = expect_json(
        upload(&app, &ana, "deuda.pdf", b"%PDF-1.4 ana".to_vec()).await,
        StatusCode::CREATED,
    )
    .await;
    let id = file["id"].as_i64().unwrap();
    let path = format!("/api/v1/attachments/{id}");

    // Another operator neither sees, downloads, lists, uses nor deletes it.
    for url in [path.clone(), format!("{path}/download")] {
        expect_problem(
            app.get(&url, &luis).send().await.unwrap(),
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    let listed: Value = expect_json(
        app.get("/api/v1/attachments", &luis).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["total"], 0);
    let ids = id.to_string();
    expect_problem(
        app.create_bulk(&luis, deuda_csv(1), "a.csv", &[("attachment_ids", &ids)])
            .await,
        StatusCode::NOT_FOUND,
        "attachment_not_found",
    )
    .await;
    let r = app
        .request(Method::DELETE, &path, Some(&luis))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    expect_problem(
        app.get(&path, &viewer).send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Once a bulk send uses it, whoever may view bulk sends may see it.
    expect_json::<Value>(
        app.create_bulk(&ana, deuda_csv(1), "a.csv", &[("attachment_ids", &ids)])
            .await,
        StatusCode::CREATED,
    )
    .await;
    let seen: Value = expect_json(
        app.get(&path, &viewer).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(seen["name"], "deuda.pdf");
    // Its creator's own unused one can be deleted by them, not by a viewer.
    let other: Value = expect_json(
        upload(&app, &ana, "otro.pdf", b"%PDF-1.4 otro".to_vec()).await,
        StatusCode::CREATED,
    )
    .await;
    let other_path = format!("/api/v1/attachments/{}", other["id"]);
    let r = app
        .request(Method::DELETE, &other_path, Some(&ana))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    app.stop().await;
}

async fn retrying_a_job_needs_the_permission_of_its_kind(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sim.set_faults(relay_sim::Faults {
        report_status: Some(500),
        ..Default::default()
    });
    let day = chrono::Utc::now()
        .with_timezone(&app.config().time_zone)
        .date_naive()
        .to_string();
    let report: Value = expect_json(
        app.post(
            "/api/v1/reports",
            &app.admin_token,
            &json!({ "report_type": "deliveries", "start_date": day, "end_date": day }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let report_id = report["id"].as_i64().unwrap();
    let failed_job = || async {
        let jobs: Value = expect_json(
            app.get(
                "/api/v1/jobs?state=error&job_type=process_report",
                &app.admin_token,
            )
            .send()
            .await
            .unwrap(),
            StatusCode::OK,
        )
        .await;
        jobs["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["report_id"] == report_id)
            .cloned()
    };
    eventually(30, "the report job fails", || async {
        failed_job().await.is_some()
    })
    .await;
    let failed = failed_job().await.unwrap();
    let job = failed["id"].as_i64().unwrap();
    let (_, operator) = app.user_with("operador", &["Operadores UI"], &[]).await;
    let problem = expect_problem(
        app.request(
            Method::POST,
            &format!("/api/v1/jobs/{job}/retry"),
            Some(&operator),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::FORBIDDEN,
        "permission_denied",
    )
    .await;
    assert_eq!(problem["permission"], "reports.can_process_reports");
    let (_, manager) = app.user_with("reportes", &["Report Managers"], &[]).await;
    let retried: Value = expect_json(
        app.request(
            Method::POST,
            &format!("/api/v1/jobs/{job}/retry"),
            Some(&manager),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(retried["retry_of"], job);
    app.stop().await;
}

async fn exported_cells_cannot_run_as_formulas(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csv = "email;identificacion;nombres;deuda;descuento;total_a_pagar\n\
        =HYPERLINK(\"http://evil.example\",\"x\");1;Ana;1;1;1\n\
        @SUM(1);2;Luis;1;1;1\n\
        ok@example.com;3;Eva;1;1;1\n";
    let created: Value = expect_json(
        app.create_bulk(&app.admin_token, csv.as_bytes().to_vec(), "f.csv", &[])
            .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    let export = app
        .get(
            &format!("/api/v1/bulk-sends/{id}/recipients.csv"),
            &app.admin_token,
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let records = csv_records(&export, ';');
    let cells: Vec<&str> = records[1..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        cells[0], "'=HYPERLINK(\"http://evil.example\",\"x\")",
        "{export}"
    );
    assert_eq!(cells[1], "'@SUM(1)");
    assert_eq!(cells[2], "ok@example.com");
    for record in &records {
        for cell in record {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "a cell starts like a formula: {record:?}"
            );
        }
    }

    // A Doppler report downloaded as stored: the same protection.
    app.sim.set_report_csv(Some(
        "Subject,Sender,SenderName,Email,Status,Date,Opens,Clicks\n\
         =1+1,a@example.com,-Equipo,+b@example.com,Delivered,2025-11-03 10:00:00,0,0\n"
            .into(),
    ));
    let day = "2025-11-03";
    let report: Value = expect_json(
        app.post(
            "/api/v1/reports",
            &app.admin_token,
            &json!({ "report_type": "deliveries", "start_date": day, "end_date": day }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let report_id = report["id"].as_i64().unwrap();
    eventually(30, "the report is ready", || async {
        let r: Value = expect_json(
            app.get(&format!("/api/v1/reports/{report_id}"), &app.admin_token)
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        r["state"] == "READY"
    })
    .await;
    let raw = app
        .get(
            &format!("/api/v1/reports/{report_id}/download"),
            &app.admin_token,
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        raw.lines().nth(1).unwrap(),
        "\"'=1+1\",\"a@example.com\",\"'-Equipo\",\"'+b@example.com\",\"Delivered\",\"2025-11-03 10:00:00\",\"0\",\"0\""
    );
    app.stop().await;
}
