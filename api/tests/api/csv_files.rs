//! What a recipient file does to the importer: the preview of each production sample, the
//! problems that refuse a whole file, and encodings.

use crate::on_both_databases;
use crate::support::*;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_databases!(
    samples_preview_as_the_readme_says,
    file_level_problems_are_refused_and_store_nothing,
    a_file_that_turns_out_not_utf8_is_read_as_windows_1252,
);

pub(crate) async fn preview(
    app: &TestApp,
    bytes: Vec<u8>,
    name: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = Form::new().part(
        "file",
        Part::bytes(bytes)
            .file_name(name.to_string())
            .mime_str("text/csv")
            .unwrap(),
    );
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    app.request(Method::POST, "/api/v1/csv/preview", Some(&app.admin_token))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn preview_ok(app: &TestApp, sample: &str, fields: &[(&str, &str)]) -> Value {
    expect_json(
        preview(
            app,
            fixture(&format!("recipients/{sample}")),
            sample,
            fields,
        )
        .await,
        StatusCode::OK,
    )
    .await
}

pub(crate) fn row(preview: &Value, n: u64) -> &Value {
    preview["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["row_number"] == n)
        .unwrap()
}

async fn samples_preview_as_the_readme_says(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let p = preview_ok(&app, "cobranza_punto_y_coma.csv", &[]).await;
    assert_eq!(
        (
            p["encoding"].as_str(),
            p["delimiter"].as_str(),
            p["email_column"].as_str()
        ),
        (Some("utf-8"), Some(";"), Some("email"))
    );
    assert_eq!(
        (
            p["total_rows"].as_u64(),
            p["valid_rows"].as_u64(),
            p["invalid_rows"].as_u64(),
            p["warning_rows"].as_u64()
        ),
        (Some(8), Some(8), Some(0), Some(1))
    );
    assert_eq!(p["error_counts"], json!({ "recipient_tld_suspicious": 1 }));
    let typo = row(&p, 6);
    assert_eq!(
        (
            typo["email"].as_str(),
            typo["status"].as_str(),
            typo["code"].as_str()
        ),
        (
            Some("typo.tld@gmail.comm"),
            Some("warning"),
            Some("recipient_tld_suspicious")
        )
    );
    assert_eq!(
        row(&p, 1)["variables"]["identificacion"],
        "0101000001",
        "leading zeros stay"
    );
    assert_eq!(
        row(&p, 3)["variables"]["nombres"],
        "EMPRESA EJEMPLO CIA. LTDA.",
        "trailing spaces trimmed"
    );
    assert_eq!(
        row(&p, 2)["variables"]["nombre_abogado"],
        "Lcda, Nombre Apellido",
        "a comma is data with ';'"
    );
    assert_eq!(row(&p, 8)["email"], "CLIENT8@EXAMPLE.COM");
    assert_eq!(row(&p, 4)["variables"]["nombres"], "NÚÑEZ PEÑA MARÍA JOSÉ");
    assert_eq!(row(&p, 7)["variables"]["dias_mora"], "30210");
    // Asked to, the importer rejects the typo.
    let strict = preview_ok(
        &app,
        "cobranza_punto_y_coma.csv",
        &[("reject_suspicious", "true")],
    )
    .await;
    assert_eq!(
        (
            strict["valid_rows"].as_u64(),
            strict["invalid_rows"].as_u64()
        ),
        (Some(7), Some(1))
    );

    let p = preview_ok(&app, "variables_deuda.csv", &[]).await;
    assert_eq!(
        (p["total_rows"].as_u64(), p["valid_rows"].as_u64()),
        (Some(3), Some(3))
    );
    let keys: Vec<&str> = row(&p, 1)["variables"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 5);
    for key in [
        "identificacion",
        "nombres",
        "deuda",
        "descuento",
        "total_a_pagar",
    ] {
        assert!(keys.contains(&key), "{key} in {keys:?}");
    }
    assert_eq!(row(&p, 3)["variables"]["nombres"], "Ana Cañarte");

    let p = preview_ok(&app, "excel_windows1252.csv", &[]).await;
    assert_eq!(
        (
            p["encoding"].as_str(),
            p["delimiter"].as_str(),
            p["email_column"].as_str()
        ),
        (Some("windows-1252"), Some(";"), Some("Correo"))
    );
    assert_eq!(
        p["headers"],
        json!(["Correo", "Nombre", "Valor"]),
        "empty trailing header columns ignored"
    );
    assert_eq!(
        (p["valid_rows"].as_u64(), p["invalid_rows"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(p["error_counts"], json!({ "recipient_empty": 1 }));
    assert_eq!(
        row(&p, 1)["variables"],
        json!({ "Nombre": "Luis Ñuñez", "Valor": "150,75" })
    );
    assert_eq!(row(&p, 2)["variables"]["Nombre"], "Sofía Páez");
    assert_eq!(row(&p, 3)["code"], "recipient_empty");
    assert_eq!(row(&p, 4)["variables"]["Valor"], "1.200,00");

    let p = preview_ok(&app, "utf8_bom_coma.csv", &[]).await;
    assert_eq!(
        (
            p["encoding"].as_str(),
            p["delimiter"].as_str(),
            p["email_column"].as_str()
        ),
        (Some("utf-8-sig"), Some(","), Some("E-mail"))
    );
    assert_eq!(
        p["headers"],
        json!(["E-mail", "Nombre", "Dirección", "Nota"])
    );
    assert_eq!(
        row(&p, 1)["variables"]["Dirección"],
        "Av. Amazonas 123, Quito"
    );
    assert_eq!(row(&p, 1)["variables"]["Nota"], "Cliente \"preferente\"");
    assert_eq!(
        row(&p, 2)["variables"]["Nota"],
        "Primera línea\nsegunda línea"
    );
    assert_eq!(p["valid_rows"], 2);

    let p = preview_ok(&app, "filas_con_errores.csv", &[]).await;
    assert_eq!(p["total_rows"], 7, "the blank line is skipped, not counted");
    let verdicts: Vec<(String, String)> = p["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["status"].as_str().unwrap().to_string(),
                r["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("valid", ""),
        ("invalid", "recipient_empty"),
        ("invalid", "recipient_invalid"),
        ("valid", ""),
        ("invalid", "row_structure_invalid"),
        ("warning", "duplicate_recipient"),
        ("valid", ""),
    ];
    assert_eq!(
        verdicts,
        expected.map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(
        row(&p, 6)["message"],
        "Correo repetido: el mismo de la fila 1."
    );
    assert_eq!(row(&p, 7)["email"], "ok4@example.com");
    assert_eq!(
        (
            p["valid_rows"].as_u64(),
            p["invalid_rows"].as_u64(),
            p["warning_rows"].as_u64()
        ),
        (Some(4), Some(3), Some(1))
    );
    app.stop().await;
}

async fn file_level_problems_are_refused_and_store_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, |v| {
        v.insert("IMPORT_MAX_ROWS".into(), "5".into());
        v.insert("UPLOAD_MAX_BYTES".into(), "4096".into());
    })
    .await;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"nombre;deuda\nAna;1\n".to_vec(), "email_column_missing"),
        (b"".to_vec(), "file_empty"),
        (b"\n\n  \n".to_vec(), "file_empty"),
        (
            b"email;Nombre;nombre\na@example.com;x;y\n".to_vec(),
            "duplicate_header",
        ),
        (deuda_csv(6), "row_limit_exceeded"),
    ];
    for (bytes, code) in cases {
        // The preview answers what is wrong; creating the send refuses the file.
        let answer: Value = expect_json(
            preview(&app, bytes.clone(), "f.csv", &[]).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(answer["problem"]["code"], code, "{answer}");
        assert_eq!(answer["problem"]["field"], "file", "{answer}");
        assert_eq!(answer["total_rows"], 0, "{answer}");
        let p = expect_problem(
            app.create_bulk(&app.admin_token, bytes, "f.csv", &[]).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        )
        .await;
        assert_eq!(p["field"], "recipients_file", "{p}");
    }
    let limit = expect_problem(
        app.create_bulk(&app.admin_token, deuda_csv(6), "f.csv", &[])
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "row_limit_exceeded",
    )
    .await;
    assert_eq!(limit["limit_rows"], 5);
    assert!(
        limit["detail"].as_str().unwrap().contains("5 filas"),
        "{limit}"
    );
    let missing: Value = expect_json(
        preview(&app, b"nombre;deuda\nAna;1\n".to_vec(), "f.csv", &[]).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(missing["problem"]["code"], "email_column_missing");
    assert_eq!(missing["headers"], json!(["nombre", "deuda"]));

    let big: Vec<u8> = deuda_csv(4)
        .into_iter()
        .chain(std::iter::repeat_n(b'#', 5000))
        .collect();
    let too_big = expect_problem(
        preview(&app, big.clone(), "big.csv", &[]).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    assert_eq!(too_big["limit_bytes"], 4096);
    expect_problem(
        app.create_bulk(&app.admin_token, big, "big.csv", &[]).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;

    expect_problem(
        app.create_bulk(
            &app.admin_token,
            deuda_csv(2),
            "f.csv",
            &[("template_id", "no-such-template")],
        )
        .await,
        StatusCode::NOT_FOUND,
        "template_not_found",
    )
    .await;
    expect_problem(
        app.create_bulk(
            &app.admin_token,
            deuda_csv(2),
            "f.csv",
            &[("scheduled_at", "ayer")],
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "scheduled_at_invalid",
    )
    .await;
    expect_problem(
        app.create_bulk(
            &app.admin_token,
            deuda_csv(2),
            "f.csv",
            &[("scheduled_at", "2020-01-01T08:00")],
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "scheduled_at_past",
    )
    .await;
    expect_problem(
        app.create_bulk(
            &app.admin_token,
            deuda_csv(2),
            "f.csv",
            &[("sender_id", "77")],
        )
        .await,
        StatusCode::NOT_FOUND,
        "sender_not_found",
    )
    .await;
    expect_problem(
        app.create_bulk(
            &app.admin_token,
            deuda_csv(2),
            "f.csv",
            &[("attachment_ids", "[5]")],
        )
        .await,
        StatusCode::NOT_FOUND,
        "attachment_not_found",
    )
    .await;

    let list: Value = expect_json(
        app.get("/api/v1/bulk-sends", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["total"], 0, "nothing was stored");
    let uploads = app.data_dir.path().join("uploads");
    let left: Vec<_> = std::fs::read_dir(&uploads)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "no upload left behind: {left:?}");
    app.stop().await;
}

async fn a_file_that_turns_out_not_utf8_is_read_as_windows_1252(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // 70 KB of plain ASCII first, then a Windows-1252 'ñ' (0xF1) past the detection sample.
    let mut bytes = deuda_csv(1200);
    bytes.extend_from_slice(b"ultimo@example.com;0900000000;Pe\xF1a;1;1;1\n");
    assert!(bytes.len() > 64 * 1024);
    let p: Value = expect_json(
        preview(&app, bytes.clone(), "late.csv", &[]).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(p["encoding"], "windows-1252");
    assert_eq!(p["total_rows"], 1201);
    let created: Value = expect_json(
        app.create_bulk(&app.admin_token, bytes, "late.csv", &[])
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["file"]["encoding"], "windows-1252");
    assert_eq!(created["counts"]["total"], 1201);
    let last: Value = expect_json(
        app.get(
            &format!("/api/v1/bulk-sends/{}/recipients?q=ultimo", created["id"]),
            &app.admin_token,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(last["items"][0]["variables"]["nombres"], "Peña");
    app.stop().await;
}
