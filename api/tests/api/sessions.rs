//! Sessions and API tokens: re-authentication, expiry, and revocation that takes effect at
//! once.

use crate::on_both_databases;
use crate::privileges::patch;
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_databases!(
    api_tokens_need_the_password_expire_and_are_revoked_with_the_account,
    signing_out_or_a_new_password_ends_access_tokens_at_once,
);

async fn api_tokens_need_the_password_expire_and_are_revoked_with_the_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (user_id, token) = app.user_with("script", &[], &["bulk_sends.view"]).await;
    let create = |token: &str, body: Value| app.post("/api/v1/tokens", token, &body).send();

    let problem = expect_problem(
        create(&token, json!({ "name": "nightly" })).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "field_invalid",
    )
    .await;
    assert_eq!(problem["field"], "password");
    expect_problem(
        create(
            &token,
            json!({ "name": "nightly", "password": "wrong-password" }),
        )
        .await
        .unwrap(),
        StatusCode::FORBIDDEN,
        "auth_password_confirmation_failed",
    )
    .await;
    expect_problem(
        create(
            &token,
            json!({ "name": "forever", "password": "script-clave-Cotopaxi-42", "expires_in_days": null }),
        )
        .await
        .unwrap(),
        StatusCode::FORBIDDEN,
        "token_without_expiry_forbidden",
    )
    .await;
    for days in [0, 3651] {
        let problem = expect_problem(
            create(
                &token,
                json!({ "name": "x", "password": "script-clave-Cotopaxi-42", "expires_in_days": days }),
            )
            .await
            .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "token_expiry_invalid",
        )
        .await;
        assert_eq!(problem["field"], "expires_in_days");
    }
    let created: Value = expect_json(
        create(
            &token,
            json!({ "name": "nightly", "password": "script-clave-Cotopaxi-42" }),
        )
        .await
        .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(created["token"]["expires_at"].clone()).unwrap();
    let days = (expires - chrono::Utc::now()).num_hours() as f64 / 24.0;
    assert!(
        (89.9..=90.1).contains(&days),
        "default expiry 90 days, got {days}"
    );
    let secret = created["secret"].as_str().unwrap().to_string();

    // A superuser may ask for a token that never expires.
    let forever: Value = expect_json(
        create(
            &app.admin_token,
            json!({ "name": "forever", "password": ADMIN_PASSWORD, "expires_in_days": null }),
        )
        .await
        .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(forever["token"]["expires_at"], Value::Null);

    // An administrator lists and revokes someone else's tokens.
    // (Holding every permission the user holds, as revoking their tokens requires.)
    let (_, manager) = app
        .user_with("gerente", &[], &["users.manage", "bulk_sends.view"])
        .await;
    let listed: Value = expect_json(
        app.get(&format!("/api/v1/users/{user_id}/tokens"), &manager)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let second: Value = expect_json(
        create(
            &token,
            json!({ "name": "second", "password": "script-clave-Cotopaxi-42" }),
        )
        .await
        .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let second_id = second["token"]["id"].as_i64().unwrap();
    let r = app
        .request(
            Method::DELETE,
            &format!("/api/v1/users/{user_id}/tokens/{second_id}"),
            Some(&manager),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    expect_problem(
        app.get("/api/v1/auth/me", second["secret"].as_str().unwrap())
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "auth_token_revoked",
    )
    .await;

    // A new password ends the account's tokens.
    assert_eq!(
        app.get("/api/v1/auth/me", &secret)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    expect_json::<Value>(
        patch(
            &app,
            &manager,
            &format!("/api/v1/users/{user_id}"),
            json!({ "password": "new-script-clave-Ibarra" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    expect_problem(
        app.get("/api/v1/auth/me", &secret).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "auth_token_revoked",
    )
    .await;
    app.stop().await;
}

async fn signing_out_or_a_new_password_ends_access_tokens_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (user_id, _) = app.user_with("sesion", &[], &[]).await;

    // Signing out: the access token in hand stops working now, not in 15 minutes.
    let session = app.login("sesion", &password_of("sesion")).await;
    let r = app
        .request(
            Method::POST,
            "/api/v1/auth/logout",
            Some(&session.access_token),
        )
        .json(&json!({ "refresh_token": session.refresh_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    expect_problem(
        app.get("/api/v1/auth/me", &session.access_token)
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "auth_session_ended",
    )
    .await;

    // A password change by an administrator: access and refresh tokens end.
    let session = app.login("sesion", &password_of("sesion")).await;
    expect_json::<Value>(
        patch(
            &app,
            &app.admin_token,
            &format!("/api/v1/users/{user_id}"),
            json!({ "password": "otra-contrasena-Tena" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    expect_problem(
        app.get("/api/v1/auth/me", &session.access_token)
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "auth_session_ended",
    )
    .await;
    let refresh = app
        .request(Method::POST, "/api/v1/auth/refresh", None)
        .json(&json!({ "refresh_token": session.refresh_token }))
        .send()
        .await
        .unwrap();
    expect_problem(refresh, StatusCode::UNAUTHORIZED, "auth_refresh_invalid").await;

    // Demotion from superuser ends the sessions too.
    let (boss_id, _) = app.user_with("jefe", &[], &[]).await;
    expect_json::<Value>(
        patch(
            &app,
            &app.admin_token,
            &format!("/api/v1/users/{boss_id}"),
            json!({ "is_superuser": true }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let boss = app.login("jefe", &password_of("jefe")).await;
    expect_json::<Value>(
        patch(
            &app,
            &app.admin_token,
            &format!("/api/v1/users/{boss_id}"),
            json!({ "is_superuser": false }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    expect_problem(
        app.get("/api/v1/auth/me", &boss.access_token)
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "auth_session_ended",
    )
    .await;
    app.stop().await;
}
