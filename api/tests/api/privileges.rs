//! Who may change whom: no self-promotion, no granting what one lacks, only superusers
//! touch superusers, the last superuser stays; tokens and sessions end when they should.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::*;

on_both_databases!(
    a_user_manager_cannot_make_anyone_superuser_or_touch_one,
    nobody_grants_a_permission_they_do_not_hold,
    the_last_active_superuser_cannot_be_locked_out,
    api_tokens_need_the_password_expire_and_are_revoked_with_the_account,
    signing_out_or_a_new_password_ends_access_tokens_at_once,
);

async fn patch(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.request(Method::PATCH, path, Some(token))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn put(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.request(Method::PUT, path, Some(token))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn group_id(app: &TestApp, name: &str) -> i64 {
    let groups: Value = expect_json(
        app.get("/api/v1/groups", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn audit_actions(app: &TestApp, action: &str) -> Vec<Value> {
    let page: Value = expect_json(
        app.get(
            &format!("/api/v1/audit?action={action}&page_size=500"),
            &app.admin_token,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    page["items"].as_array().unwrap().clone()
}

async fn a_user_manager_cannot_make_anyone_superuser_or_touch_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (manager_id, manager) = app.user_with("gerente", &[], &["users.manage"]).await;
    let (plain_id, _) = app.user_with("plain", &[], &[]).await;

    // Not themselves, not anyone else.
    for id in [manager_id, plain_id] {
        expect_problem(
            patch(
                &app,
                &manager,
                &format!("/api/v1/users/{id}"),
                json!({ "is_superuser": true }),
            )
            .await,
            StatusCode::FORBIDDEN,
            "superuser_required",
        )
        .await;
    }
    expect_problem(
        app.post(
            "/api/v1/users",
            &manager,
            &json!({ "username": "boss", "password": "boss-password", "is_superuser": true }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::FORBIDDEN,
        "superuser_required",
    )
    .await;

    // The superuser (id 1, "admin") is out of reach: password, state, groups, permissions, tokens.
    let admin = "/api/v1/users/1";
    for body in [
        json!({ "password": "taken-over-123" }),
        json!({ "is_active": false }),
        json!({ "email": "attacker@example.com" }),
    ] {
        expect_problem(
            patch(&app, &manager, admin, body).await,
            StatusCode::FORBIDDEN,
            "superuser_required",
        )
        .await;
    }
    expect_problem(
        put(
            &app,
            &manager,
            "/api/v1/users/1/groups",
            json!({ "group_ids": [] }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "superuser_required",
    )
    .await;
    expect_problem(
        put(
            &app,
            &manager,
            "/api/v1/users/1/permissions",
            json!({ "permissions": [] }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "superuser_required",
    )
    .await;
    expect_problem(
        app.get("/api/v1/users/1/tokens", &manager)
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
        "superuser_required",
    )
    .await;
    // The admin still signs in with the old password; nothing changed.
    app.login("admin", ADMIN_PASSWORD).await;
    let me: Value = expect_json(
        app.get(&format!("/api/v1/users/{manager_id}"), &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["is_superuser"], false);

    // A superuser can promote, and the change is audited.
    let promoted: Value = expect_json(
        patch(
            &app,
            &app.admin_token,
            &format!("/api/v1/users/{plain_id}"),
            json!({ "is_superuser": true }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(promoted["is_superuser"], true);
    let updates = audit_actions(&app, "users.update").await;
    assert!(updates
        .iter()
        .any(
            |e| e["target_id"].as_str().and_then(|id| id.parse().ok()) == Some(plain_id)
                && e["details"]["is_superuser"] == true
                && e["actor_username"] == "admin"
        ));
    app.stop().await;
}

async fn nobody_grants_a_permission_they_do_not_hold(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, manager) = app
        .user_with("gerente", &[], &["users.manage", "bulk_sends.view"])
        .await;
    let (target, _) = app.user_with("destino", &[], &[]).await;
    let report_managers = group_id(&app, "Report Managers").await;

    let problem = expect_problem(
        put(
            &app,
            &manager,
            &format!("/api/v1/users/{target}/permissions"),
            json!({ "permissions": ["bulk_sends.view", "reports.view"] }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "permission_not_held",
    )
    .await;
    assert_eq!(problem["permission"], "reports.view");
    expect_problem(
        put(
            &app,
            &manager,
            &format!("/api/v1/users/{target}/groups"),
            json!({ "group_ids": [report_managers] }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "permission_not_held",
    )
    .await;
    expect_problem(
        app.post(
            "/api/v1/users",
            &manager,
            &json!({ "username": "nuevo", "password": "nuevo-password", "group_ids": [report_managers] }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::FORBIDDEN,
        "permission_not_held",
    )
    .await;
    expect_problem(
        app.post(
            "/api/v1/groups",
            &manager,
            &json!({ "name": "Atajo", "permissions": ["users.manage", "senders.manage"] }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::FORBIDDEN,
        "permission_not_held",
    )
    .await;
    expect_problem(
        patch(
            &app,
            &manager,
            &format!("/api/v1/groups/{report_managers}"),
            json!({ "permissions": ["reports.view", "audit.view"] }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "permission_not_held",
    )
    .await;

    // What they hold, they can give.
    let given: Value = expect_json(
        put(
            &app,
            &manager,
            &format!("/api/v1/users/{target}/permissions"),
            json!({ "permissions": ["bulk_sends.view"] }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(given["permissions"], json!(["bulk_sends.view"]));
    let audited = audit_actions(&app, "users.set_permissions").await;
    assert_eq!(
        audited.len(),
        1,
        "only the change that happened is recorded"
    );
    assert_eq!(
        audited[0]["details"]["permissions"],
        json!(["bulk_sends.view"])
    );
    app.stop().await;
}

async fn the_last_active_superuser_cannot_be_locked_out(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    expect_problem(
        patch(
            &app,
            &app.admin_token,
            "/api/v1/users/1",
            json!({ "is_superuser": false }),
        )
        .await,
        StatusCode::CONFLICT,
        "cannot_demote_self",
    )
    .await;

    // Two superusers remove each other at the same moment, round after round: never both.
    let mut survivor = ("admin".to_string(), ADMIN_PASSWORD.to_string(), 1i64);
    for round in 0..4 {
        let name = format!("super{round}");
        let survivor_token = app.login(&survivor.0, &survivor.1).await.access_token;
        // The harness acts through whoever is the superuser now.
        app.admin_token = survivor_token.clone();
        let (new_id, _) = app.user_with(&name, &[], &[]).await;
        expect_json::<Value>(
            patch(
                &app,
                &survivor_token,
                &format!("/api/v1/users/{new_id}"),
                json!({ "is_superuser": true }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let new_token = app
            .login(&name, &format!("{name}-password"))
            .await
            .access_token;
        let (new_path, survivor_path) = (
            format!("/api/v1/users/{new_id}"),
            format!("/api/v1/users/{}", survivor.2),
        );
        let (first, second) = tokio::join!(
            patch(
                &app,
                &survivor_token,
                &new_path,
                json!({ "is_active": false })
            ),
            patch(
                &app,
                &new_token,
                &survivor_path,
                json!({ "is_active": false })
            ),
        );
        let statuses = [first.status(), second.status()];
        let succeeded = statuses.iter().filter(|s| **s == StatusCode::OK).count();
        assert_eq!(
            succeeded, 1,
            "round {round}: exactly one removal wins: {statuses:?}"
        );
        for (status, response) in [(statuses[0], first), (statuses[1], second)] {
            if status == StatusCode::CONFLICT {
                let problem: Value = response.json().await.unwrap();
                assert_eq!(problem["code"], "last_superuser", "{problem}");
            } else {
                assert!(
                    [StatusCode::OK, StatusCode::UNAUTHORIZED].contains(&status),
                    "round {round}: {status}"
                );
            }
        }
        // Whoever lost is inactive; the winner is the last active superuser.
        if statuses[0] != StatusCode::OK {
            survivor = (name.clone(), format!("{name}-password"), new_id);
        }
        let token = app.login(&survivor.0, &survivor.1).await.access_token;
        let users: Value = expect_json(
            app.get("/api/v1/users?is_active=true&page_size=500", &token)
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        let active: Vec<&Value> = users["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["is_superuser"] == true)
            .collect();
        assert_eq!(active.len(), 1, "round {round}: {users}");
        assert_eq!(active[0]["username"], survivor.0.as_str());
    }
    app.stop().await;
}

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
            json!({ "name": "forever", "password": "script-password", "expires_in_days": null }),
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
                json!({ "name": "x", "password": "script-password", "expires_in_days": days }),
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
            json!({ "name": "nightly", "password": "script-password" }),
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
    let (_, manager) = app.user_with("gerente", &[], &["users.manage"]).await;
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
            json!({ "name": "second", "password": "script-password" }),
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
            json!({ "password": "new-script-password" }),
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
    let session = app.login("sesion", "sesion-password").await;
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
    let session = app.login("sesion", "sesion-password").await;
    expect_json::<Value>(
        patch(
            &app,
            &app.admin_token,
            &format!("/api/v1/users/{user_id}"),
            json!({ "password": "otra-contrasena" }),
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
    let boss = app.login("jefe", "jefe-password").await;
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
