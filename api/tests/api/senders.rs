//! Sender identities: administration, one's own, and the deployment default.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::*;

on_both_databases!(
    senders_are_managed_and_operators_see_the_active_ones,
    each_user_sets_their_own_sender
);

async fn senders_are_managed_and_operators_see_the_active_ones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ana_id, _) = app.user_with("ana", &[], &[]).await;
    let (luis_id, _) = app.user_with("luis", &[], &[]).await;
    let (_, operator) = app.user_with("operador", &["Operadores UI"], &[]).await;

    let ana: Value = expect_json(
        app.post("/api/v1/senders", &app.admin_token, &json!({ "user_id": ana_id, "from_email": "ana@cobranzas.example.ec", "from_name": "Ana Cobranzas" }))
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(ana["label"], "ana - ana@cobranzas.example.ec");
    let luis: Value = expect_json(
        app.post("/api/v1/senders", &app.admin_token, &json!({ "user_id": luis_id, "from_email": "luis@example.com", "from_name": "Luis", "is_active": false }))
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;

    let dup = app
        .post(
            "/api/v1/senders",
            &app.admin_token,
            &json!({ "user_id": ana_id, "from_email": "otra@example.com", "from_name": "Otra" }),
        )
        .send()
        .await
        .unwrap();
    expect_problem(dup, StatusCode::CONFLICT, "sender_exists_for_user").await;
    let typo = app
        .post(
            "/api/v1/senders",
            &app.admin_token,
            &json!({ "user_id": luis_id, "from_email": "luis@gmail.comm", "from_name": "Luis" }),
        )
        .send()
        .await
        .unwrap();
    let problem = expect_problem(
        typo,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sender_email_invalid",
    )
    .await;
    assert_eq!(problem["field"], "from_email");

    let all: Value = expect_json(
        app.get("/api/v1/senders", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(all["total"], 2);
    assert_eq!(
        all["default_sender"]["label"],
        "Usar correo predeterminado: cobranzas@example.com"
    );
    let visible: Value = expect_json(
        app.get("/api/v1/senders", &operator).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(visible["total"], 1, "operators see only active senders");
    assert_eq!(
        visible["items"][0]["from_email"],
        "ana@cobranzas.example.ec"
    );

    let id = luis["id"].as_i64().unwrap();
    let patched: Value = expect_json(
        app.request(
            Method::PATCH,
            &format!("/api/v1/senders/{id}"),
            Some(&app.admin_token),
        )
        .json(&json!({ "is_active": true, "from_name": "Luis Pérez" }))
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(patched["from_name"], "Luis Pérez");
    assert_eq!(patched["is_active"], true);
    let r = app
        .request(
            Method::DELETE,
            &format!("/api/v1/senders/{id}"),
            Some(&app.admin_token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    expect_problem(
        app.get(&format!("/api/v1/senders/{id}"), &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    app.stop().await;
}

async fn each_user_sets_their_own_sender(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.user_with("carla", &["Operadores UI"], &[]).await;
    let before: Value = expect_json(
        app.get("/api/v1/senders/me", &token).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(before["sender"], Value::Null);
    assert_eq!(before["effective_from_email"], "cobranzas@example.com");
    assert_eq!(before["effective_from_name"], "Equipo Cobranza");

    let after: Value = expect_json(
        app.request(Method::PUT, "/api/v1/senders/me", Some(&token))
            .json(&json!({ "from_email": "carla@example.ec", "from_name": "Carla Vélez" }))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(after["sender"]["from_email"], "carla@example.ec");
    assert_eq!(after["effective_from_name"], "Carla Vélez");

    let again: Value = expect_json(
        app.request(Method::PUT, "/api/v1/senders/me", Some(&token))
            .json(&json!({ "from_email": "carla.velez@example.ec", "from_name": "Carla" }))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        again["sender"]["id"], after["sender"]["id"],
        "one identity per user, updated in place"
    );
    let bad = app
        .request(Method::PUT, "/api/v1/senders/me", Some(&token))
        .json(&json!({ "from_email": "carla", "from_name": "Carla" }))
        .send()
        .await
        .unwrap();
    expect_problem(
        bad,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sender_email_invalid",
    )
    .await;
    app.stop().await;
}
