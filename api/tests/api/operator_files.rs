//! Files as operators really have them (issue 21): an e-mail column named anyhow, chosen by
//! the operator or found by its content; a spreadsheet or PDF uploaded by mistake; columns
//! named nearly like the template's variables. And what the list and a send's page answer:
//! filters by template, recipient and creator, the e-mail figures, the daily chart, the time
//! spent sending and when a queued report is due.

use crate::csv_files::preview;
use crate::on_both_databases;
use crate::support::*;
use relay_types::{BulkSend, BulkSendStatus, BulkSummary, DailyEmails, Page};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_databases!(
    the_email_column_is_found_by_content_or_chosen,
    a_spreadsheet_is_not_read_as_a_csv,
    missing_columns_are_said_once_with_a_suggestion,
    the_list_filters_figures_and_daily_chart,
);

const DEUDOR: &str =
    "Cédula;EMAIL_DEUDOR;Email Cliente;nombres;deuda;identificacion;descuento;total_a_pagar\n\
0101;ana@example.com;notas;Ana;10;0101;1;9\n\
0102;luis@example.com;;Luis;20;0102;2;18\n\
0103;no-es-correo;;Eva;30;0103;3;27\n";

async fn preview_of(app: &TestApp, csv: &[u8], fields: &[(&str, &str)]) -> Value {
    expect_json(
        preview(app, csv.to_vec(), "lista.csv", fields).await,
        StatusCode::OK,
    )
    .await
}

async fn the_email_column_is_found_by_content_or_chosen(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // No column named `email`: the one whose values are addresses is read as it, the
    // other one that merely mentions e-mail is not offered.
    let found = preview_of(&app, DEUDOR.as_bytes(), &[]).await;
    assert_eq!(found["problem"], Value::Null, "{found}");
    assert_eq!(found["email_column"], "EMAIL_DEUDOR");
    assert_eq!(found["email_candidates"], json!(["EMAIL_DEUDOR"]));
    assert_eq!(found["valid_rows"], 2);
    assert_eq!(found["invalid_rows"], 1);

    // The operator's choice wins, and the send is created with it.
    let chosen = preview_of(
        &app,
        DEUDOR.as_bytes(),
        &[("email_column", "email cliente")],
    )
    .await;
    assert_eq!(chosen["email_column"], "Email Cliente");
    assert_eq!(chosen["valid_rows"], 0, "{chosen}");
    let missing = preview_of(&app, DEUDOR.as_bytes(), &[("email_column", "correo")]).await;
    assert_eq!(
        missing["problem"]["code"], "email_column_not_found",
        "{missing}"
    );
    assert_eq!(missing["problem"]["field"], "email_column", "{missing}");
    expect_problem(
        app.create_bulk(
            &app.admin_token,
            DEUDOR.as_bytes().to_vec(),
            "l.csv",
            &[("email_column", "correo")],
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "email_column_not_found",
    )
    .await;
    let created: BulkSend = expect_json(
        app.create_bulk(
            &app.admin_token,
            DEUDOR.as_bytes().to_vec(),
            "l.csv",
            &[("email_column", "EMAIL_DEUDOR")],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created.file.email_column, "EMAIL_DEUDOR");
    assert_eq!((created.counts.valid, created.counts.invalid), (2, 1));
    let too_long = "x".repeat(1001);
    expect_problem(
        preview(
            &app,
            DEUDOR.as_bytes().to_vec(),
            "l.csv",
            &[("email_column", &too_long)],
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "field_too_long",
    )
    .await;

    // Nothing looks like an address: the operator is asked to choose, with the columns.
    let none = preview_of(&app, b"nombre;deuda\nAna;1\n", &[]).await;
    assert_eq!(none["problem"]["code"], "email_column_missing");
    assert!(
        none["problem"]["message"]
            .as_str()
            .unwrap()
            .contains("elija"),
        "{none}"
    );
    app.stop().await;
}

async fn a_spreadsheet_is_not_read_as_a_csv(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut xlsx = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00".to_vec();
    xlsx.extend_from_slice(b"[Content_Types].xml");
    xlsx.extend_from_slice(&[0u8; 200]);
    xlsx.extend_from_slice(b"xl/worksheets/sheet1.xml");
    let cases: [(&[u8], &str, &str); 3] = [
        (&xlsx, "excel", "CSV UTF-8"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "pdf", "PDF"),
        (
            &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0],
            "excel",
            "Excel",
        ),
    ];
    for (bytes, kind, words) in cases {
        let answer = preview_of(&app, bytes, &[]).await;
        assert_eq!(answer["problem"]["code"], "file_not_csv", "{answer}");
        let message = answer["problem"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("Esto no es un CSV") && message.contains(words),
            "{kind}: {message}"
        );
        assert_eq!(
            answer["headers"],
            json!([]),
            "no bytes of the file on screen: {answer}"
        );
        let refused = expect_problem(
            app.create_bulk(&app.admin_token, bytes.to_vec(), "lista.xlsx", &[])
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "file_not_csv",
        )
        .await;
        assert_eq!(refused["detected"], kind, "{refused}");
    }
    let sends: Page<BulkSend> = expect_json(
        app.get("/api/v1/bulk-sends", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(sends.total, 0, "nothing was stored");
    app.stop().await;
}

async fn missing_columns_are_said_once_with_a_suggestion(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let template = app.sim.template_id("Descuento en su deuda").unwrap();
    // `Nombre` for {{nombres}}, `Deuda` for {{deuda}}, `Identificación` for
    // {{identificacion}}; nothing for {{descuento}} and {{total_a_pagar}}.
    let csv = "email;Nombre;Deuda;Identificación\nana@example.com;Ana;10;0101\nluis@example.com;Luis;20;0102\n";
    let p = preview_of(&app, csv.as_bytes(), &[("template_id", &template)]).await;
    assert_eq!(
        p["missing_variables"],
        json!([
            "nombres",
            "deuda",
            "identificacion",
            "descuento",
            "total_a_pagar"
        ]),
        "{p}"
    );
    assert_eq!(
        p["suggested_mapping"],
        json!({"deuda": "Deuda", "identificacion": "Identificación", "nombres": "Nombre"}),
        "{p}"
    );
    // The rows are fine: the missing columns are the mapping step's business.
    assert_eq!(
        (p["valid_rows"].as_u64(), p["invalid_rows"].as_u64()),
        (Some(2), Some(0)),
        "{p}"
    );
    assert_eq!(p["error_counts"], json!({}), "{p}");

    // Once mapped, an empty cell is a row's problem again.
    let mapping = json!({"nombres": "Nombre", "deuda": "Deuda", "identificacion": "Identificación",
        "descuento": "Deuda", "total_a_pagar": "Deuda"})
    .to_string();
    let csv = "email;Nombre;Deuda;Identificación\nana@example.com;Ana;10;0101\nluis@example.com;;20;0102\n";
    let mapped = preview_of(
        &app,
        csv.as_bytes(),
        &[("template_id", &template), ("mapping", &mapping)],
    )
    .await;
    assert_eq!(mapped["missing_variables"], json!([]), "{mapped}");
    assert_eq!(
        mapped["error_counts"],
        json!({"required_value_missing": 1}),
        "{mapped}"
    );
    app.stop().await;
}

async fn the_list_filters_figures_and_daily_chart(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (my_id, operator) = app
        .user_with("operadora", &[], &["bulk_sends.view", "bulk_sends.operate"])
        .await;
    let reminder = app.sim.template_id("Recordatorio de pago").unwrap();
    let deuda = deuda_csv(3);
    let mine: BulkSend = expect_json(
        app.create_bulk(&operator, deuda.clone(), "mia.csv", &[("send_now", "true")])
            .await,
        StatusCode::CREATED,
    )
    .await;
    let other: BulkSend = expect_json(
        app.create_bulk(
            &app.admin_token,
            b"email;nombres;deuda;total_a_pagar\nsolo@example.com;Sol;1;1\n".to_vec(),
            "otra.csv",
            &[("template_id", &reminder)],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let done = app.wait_status(mine.id, &[BulkSendStatus::Done], 30).await;
    assert_eq!(done.counts.sent, 3);

    let list = |query: String| {
        let app = &app;
        async move {
            let page: Page<BulkSend> = expect_json(
                app.get(&format!("/api/v1/bulk-sends?{query}"), &app.admin_token)
                    .send()
                    .await
                    .unwrap(),
                StatusCode::OK,
            )
            .await;
            page.items.iter().map(|b| b.id).collect::<Vec<_>>()
        }
    };
    let first_address = String::from_utf8(deuda.clone()).unwrap();
    let address = first_address
        .lines()
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_uppercase();
    assert_eq!(list(format!("template_id={reminder}")).await, [other.id]);
    assert_eq!(
        list(format!("recipient={address}")).await,
        [mine.id],
        "found by address, case aside"
    );
    assert_eq!(
        list("recipient=nadie@example.com".into()).await,
        Vec::<i64>::new()
    );
    assert_eq!(list(format!("created_by={my_id}")).await, [mine.id]);

    let summary: BulkSummary = expect_json(
        app.get(
            "/api/v1/bulk-sends/summary?period=current_month",
            &app.admin_token,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (summary.total, summary.emails.sent, summary.emails.failed),
        (2, 3, 0)
    );

    let days: Vec<DailyEmails> = expect_json(
        app.get("/api/v1/bulk-sends/activity?days=30", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(days.len(), 30);
    let today = chrono::Utc::now()
        .with_timezone(&app.config().time_zone)
        .date_naive();
    assert_eq!(days.last().map(|d| (d.day, d.sent)), Some((today, 3)));
    assert_eq!(days.iter().map(|d| d.sent).sum::<i64>(), 3);
    let theirs: Vec<DailyEmails> = expect_json(
        app.get(
            &format!("/api/v1/bulk-sends/activity?days=7&template_id={reminder}"),
            &app.admin_token,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (theirs.len(), theirs.iter().map(|d| d.sent).sum::<i64>()),
        (7, 0)
    );
    expect_problem(
        app.get("/api/v1/bulk-sends/activity?days=91", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "query_parameter_invalid",
    )
    .await;

    // A send's own answer says how long it spent sending (pauses aside) and, its report
    // queued, when that report is due.
    assert!(done.sending_seconds.is_some_and(|s| s >= 0), "{done:?}");
    assert_eq!(done.report.status, relay_types::BulkReportState::Pending);
    let due = done
        .report
        .due_at
        .expect("a queued report says when it is due");
    assert!(due > done.finished_at.unwrap(), "{done:?}");
    app.stop().await;
}
