//! Attachments: upload within the limit, download, safe storage, deletion rules.

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::*;

on_both_databases!(
    attachments_upload_download_and_delete,
    oversize_uploads_are_refused_and_leave_nothing
);

pub fn file_form(name: &str, bytes: Vec<u8>, content_type: &str) -> Form {
    Form::new().part(
        "file",
        Part::bytes(bytes)
            .file_name(name.to_string())
            .mime_str(content_type)
            .unwrap(),
    )
}

pub async fn upload(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    app.request(Method::POST, "/api/v1/attachments", Some(token))
        .multipart(file_form(name, bytes, "application/pdf"))
        .send()
        .await
        .unwrap()
}

fn stored_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out)
            } else {
                out.push(path)
            }
        }
    }
    let mut out = Vec::new();
    walk(&app.data_dir.path().join("attachments"), &mut out);
    out
}

async fn attachments_upload_download_and_delete(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, operator) = app.user_with("operador", &["Operadores UI"], &[]).await;
    let (_, reader) = app.user_with("lector", &["Report Managers"], &[]).await;
    let bytes: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();

    let created: Value = expect_json(
        upload(
            &app,
            &operator,
            "../../etc/detalle deuda ñ.pdf",
            bytes.clone(),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        created["name"], "detalle deuda ñ.pdf",
        "directories in the client's name are dropped"
    );
    assert_eq!(created["content_type"], "application/pdf");
    assert_eq!(created["size_bytes"], 5000);
    assert_eq!(created["created_by"], "operador");
    let files = stored_files(&app);
    assert_eq!(files.len(), 1);
    assert!(files[0].starts_with(app.data_dir.path().join("attachments")));
    assert!(
        !files[0].to_string_lossy().contains("detalle"),
        "stored under a generated name"
    );

    let id = created["id"].as_i64().unwrap();
    let download = app
        .get(&format!("/api/v1/attachments/{id}/download"), &operator)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    // Saved, never shown inline: whatever was uploaded comes back as bytes.
    assert_eq!(
        download.headers()["content-type"],
        "application/octet-stream"
    );
    let disposition = download.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.contains("filename*=UTF-8''detalle%20deuda%20%C3%B1.pdf"),
        "{disposition}"
    );
    assert_eq!(download.bytes().await.unwrap().to_vec(), bytes);

    expect_problem(
        app.get(&format!("/api/v1/attachments/{id}/download"), &reader)
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
        "permission_denied",
    )
    .await;
    let listed: Value = expect_json(
        app.get("/api/v1/attachments", &operator)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["total"], 1);

    let no_file = app
        .request(Method::POST, "/api/v1/attachments", Some(&operator))
        .multipart(Form::new().text("other", "x"))
        .send()
        .await
        .unwrap();
    let problem = expect_problem(
        no_file,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_field_unknown",
    )
    .await;
    assert_eq!(problem["field"], "other");

    let deleted = app
        .request(
            Method::DELETE,
            &format!("/api/v1/attachments/{id}"),
            Some(&operator),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert!(
        stored_files(&app).is_empty(),
        "the file goes with the record"
    );
    expect_problem(
        app.get(&format!("/api/v1/attachments/{id}"), &operator)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // In use by a message: kept.
    let (_, sender) = app.user_with("mensajero", &[], &["messages.send"]).await;
    let used: Value = expect_json(
        upload(&app, &sender, "recibo.pdf", b"%PDF-1.4 recibo".to_vec()).await,
        StatusCode::CREATED,
    )
    .await;
    let used_id = used["id"].as_i64().unwrap();
    let sent = app
        .post("/api/v1/messages", &sender, &json!({ "to": ["ana@example.com"], "subject": "Recibo", "html": "Adjunto.", "attachment_ids": [used_id] }))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::CREATED);
    let refused = app
        .request(
            Method::DELETE,
            &format!("/api/v1/attachments/{used_id}"),
            Some(&sender),
        )
        .send()
        .await
        .unwrap();
    expect_problem(refused, StatusCode::CONFLICT, "attachment_in_use").await;
    app.stop().await;
}

async fn oversize_uploads_are_refused_and_leave_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, |v| {
        v.insert("ATTACHMENT_MAX_BYTES".into(), "2048".into());
    })
    .await;
    let problem = expect_problem(
        upload(&app, &app.admin_token, "grande.pdf", vec![b'x'; 4096]).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    assert_eq!(problem["limit_bytes"], 2048);
    assert!(
        problem["detail"].as_str().unwrap().contains("2 KB"),
        "{problem}"
    );
    assert!(stored_files(&app).is_empty());

    // A few megabytes over: read and discarded, the client gets the 413, told that the
    // connection closes (its next request must not be sent into it).
    let refused = upload(
        &app,
        &app.admin_token,
        "enorme.pdf",
        vec![b'x'; 3 * 1024 * 1024],
    )
    .await;
    assert_eq!(
        refused
            .headers()
            .get("connection")
            .and_then(|v| v.to_str().ok()),
        Some("close")
    );
    let big = expect_problem(refused, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert_eq!(big["limit_bytes"], 2048);
    assert!(stored_files(&app).is_empty());

    // Declared far over the limit: refused from the headers alone, before any byte of body.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 900000000\r\n\r\n",
        app.admin_token
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let n = stream.read(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"limit_bytes\":2048"), "{answer}");
    let ok = upload(&app, &app.admin_token, "justo.pdf", vec![b'x'; 2048]).await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    app.stop().await;
}
