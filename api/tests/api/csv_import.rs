//! Recipient CSVs in the real production formats: the verdicts of `samples/README.md`,
//! through the preview and through an import into the ledger.

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::csv_files::{preview, preview_ok, row};
use crate::on_both_databases;
use crate::support::*;
use relay_types::{BulkSend, BulkSendStatus as S, SendStatus};

on_both_databases!(
    samples_import_with_the_same_verdicts,
    required_values_follow_the_template,
    a_repeated_request_id_creates_one_bulk_send,
);

async fn samples_import_with_the_same_verdicts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created: BulkSend = expect_json(
        app.create_bulk(
            &app.admin_token,
            fixture("recipients/cobranza_punto_y_coma.csv"),
            "cobranza.csv",
            &[(
                "template_id",
                &app.sim.template_id("Aviso legal de mora").unwrap(),
            )],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created.status, S::Ready, "warnings are importable");
    assert_eq!(created.counts.total, 8);
    assert_eq!(created.counts.valid, 8);
    assert_eq!(created.counts.warnings, 1);
    assert_eq!(created.counts.pending, 8);
    assert_eq!(created.file.name, "cobranza.csv");
    assert_eq!(created.file.email_column, "email");
    assert_eq!(created.file.encoding, "utf-8");
    assert_eq!(created.template_name, "Aviso legal de mora");
    let id = created.id;
    let rows = app.recipients(id, "").await;
    let eight = &rows[7];
    assert_eq!(eight.email, "CLIENT8@EXAMPLE.COM");
    assert_eq!(eight.email_normalized, "CLIENT8@example.com");
    assert_eq!(rows[0].variables["identificacion"], "0101000001");
    assert_eq!(rows[5].validation_code, "recipient_tld_suspicious");
    assert!(rows.iter().all(|r| r.send_status == SendStatus::NotStarted));

    let errors: BulkSend = expect_json(
        app.create_bulk(
            &app.admin_token,
            fixture("recipients/filas_con_errores.csv"),
            "errores.csv",
            &[("template_id", &solo_nombres(&app).await)],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(errors.status, S::ReadyWithErrors);
    let id = errors.id;
    let invalid = app.recipients(id, "&validation_status=invalid").await;
    let codes: Vec<(i64, &str)> = invalid
        .iter()
        .map(|r| (r.row_number, r.validation_code.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            (2, "recipient_empty"),
            (3, "recipient_invalid"),
            (4, "required_value_missing"),
            (5, "row_structure_invalid")
        ]
    );

    // The export has every row, with its verdict.
    let export = app
        .get(
            &format!("/api/v1/bulk-sends/{id}/recipients.csv"),
            &app.admin_token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(export.headers()["content-type"], "text/csv; charset=utf-8");
    let text = export.text().await.unwrap();
    assert!(
        text.starts_with("\u{feff}\"Fila\";\"Correo\";\"Estado\";\"Validación\""),
        "{text}"
    );
    let records = csv_records(&text, ';');
    assert_eq!(records.len(), 8);
    assert_eq!(
        records[4][..5],
        [
            "4",
            "ok2@example.com",
            "inválido, no se envía",
            "inválido",
            "Faltan valores para: nombres."
        ],
        "{text}"
    );
    assert_eq!(records[4][7], "", "no error code: it was never sent");
    // Each variable is a column of its own, named as in the file.
    assert_eq!(records[0][10..], ["nombres", "deuda"], "{text}");
    assert_eq!(records[1][10..], ["Uno", "100"], "{text}");

    // A file where no row is usable: kept as import_failed so its verdicts can be read.
    let hopeless = "email;nombres;deuda\n;A;1\nmalo;B;2\n".as_bytes().to_vec();
    let failed: BulkSend = expect_json(
        app.create_bulk(
            &app.admin_token,
            hopeless,
            "malo.csv",
            &[("template_id", &solo_nombres(&app).await)],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(failed.status, S::ImportFailed);
    let queue = app
        .request(
            Method::POST,
            &format!("/api/v1/bulk-sends/{}/queue", failed.id),
            Some(&app.admin_token),
        )
        .send()
        .await
        .unwrap();
    expect_problem(queue, StatusCode::CONFLICT, "bulk_send_state_conflict").await;
    app.stop().await;
}

/// A template whose only variables are `{{nombres}}` and `{{deuda}}`.
async fn solo_nombres(app: &TestApp) -> String {
    let created: Value = expect_json(
        app.post(
            "/api/v1/templates",
            &app.admin_token,
            &json!({ "name": "Solo nombres", "subject": "Hola", "from_email": "ops@example.com", "html": "<p>{{nombres}}: {{deuda}}</p>" }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    created["id"].as_str().unwrap().to_string()
}

async fn required_values_follow_the_template(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let template = solo_nombres(&app).await;
    let p = preview_ok(&app, "filas_con_errores.csv", &[("template_id", &template)]).await;
    assert_eq!(p["template_variables"], json!(["nombres", "deuda"]));
    assert_eq!(p["missing_variables"], json!([]));
    assert_eq!(
        row(&p, 4)["code"],
        "required_value_missing",
        "ok2 has no nombres"
    );
    assert_eq!(row(&p, 4)["message"], "Faltan valores para: nombres.");
    assert_eq!(p["valid_rows"], 3);

    // Columns the template needs but the file lacks, with a hint when only the case differs.
    let upper = "email;Nombres;deuda\na@example.com;Ana;1\n"
        .as_bytes()
        .to_vec();
    let p: Value = expect_json(
        preview(&app, upper.clone(), "u.csv", &[("template_id", &template)]).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(p["missing_variables"], json!(["nombres"]));
    let refused = app
        .create_bulk(
            &app.admin_token,
            upper.clone(),
            "u.csv",
            &[("template_id", &template)],
        )
        .await;
    let problem = expect_problem(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "template_variables_missing",
    )
    .await;
    assert_eq!(problem["missing_variables"], json!(["nombres"]));
    assert_eq!(
        problem["suggested_mapping"],
        json!({ "nombres": "Nombres" })
    );
    // The mapping fixes it.
    let mapped: BulkSend = expect_json(
        app.create_bulk(
            &app.admin_token,
            upper,
            "u.csv",
            &[
                ("template_id", &template),
                ("mapping", r#"{"nombres": "Nombres"}"#),
            ],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(mapped.status, S::Ready);
    assert_eq!(
        mapped.mapping,
        [("nombres".to_string(), "Nombres".to_string())].into()
    );
    let rows = app.recipients(mapped.id, "").await;
    assert_eq!(rows[0].variables["nombres"], "Ana");
    let bad_map = app
        .create_bulk(
            &app.admin_token,
            deuda_csv(1),
            "x.csv",
            &[("mapping", r#"{"nombres": "No existe"}"#)],
        )
        .await;
    let problem = expect_problem(
        bad_map,
        StatusCode::UNPROCESSABLE_ENTITY,
        "mapping_column_missing",
    )
    .await;
    assert_eq!(problem["field"], "mapping");
    app.stop().await;
}

async fn a_repeated_request_id_creates_one_bulk_send(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first: BulkSend = expect_json(
        app.create_bulk(
            &app.admin_token,
            deuda_csv(3),
            "a.csv",
            &[("client_request_id", "form-7f3a")],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let again: BulkSend = expect_json(
        app.create_bulk(
            &app.admin_token,
            deuda_csv(3),
            "a.csv",
            &[("client_request_id", "form-7f3a")],
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(first.id, again.id);
    let by_header = app
        .request(Method::POST, "/api/v1/bulk-sends", Some(&app.admin_token))
        .header("Idempotency-Key", "hdr-99")
        .multipart(
            Form::new()
                .part(
                    "recipients_file",
                    Part::bytes(deuda_csv(2)).file_name("b.csv"),
                )
                .text(
                    "template_id",
                    app.sim.template_id("Descuento en su deuda").unwrap(),
                ),
        );
    let b1: Value = expect_json(by_header.send().await.unwrap(), StatusCode::CREATED).await;
    let b2: Value = expect_json(
        app.request(Method::POST, "/api/v1/bulk-sends", Some(&app.admin_token))
            .header("Idempotency-Key", "hdr-99")
            .multipart(
                Form::new()
                    .part(
                        "recipients_file",
                        Part::bytes(deuda_csv(2)).file_name("b.csv"),
                    )
                    .text(
                        "template_id",
                        app.sim.template_id("Descuento en su deuda").unwrap(),
                    ),
            )
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(b1["id"], b2["id"]);
    // Concurrent repeats: still one.
    let body = || {
        app.create_bulk(
            &app.admin_token,
            deuda_csv(3),
            "c.csv",
            &[("client_request_id", "race-1")],
        )
    };
    let (x, y) = tokio::join!(body(), body());
    let statuses = [x.status(), y.status()];
    assert!(statuses.contains(&StatusCode::CREATED), "{statuses:?}");
    let list: Value = expect_json(
        app.get("/api/v1/bulk-sends", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["total"], 3);
    app.stop().await;
}
