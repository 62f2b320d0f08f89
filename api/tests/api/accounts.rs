//! Users, groups and permissions, as an admin manages them.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::*;

on_both_databases!(
    seeded_groups_carry_the_legacy_permission_sets,
    users_are_created_listed_and_changed,
    user_input_errors_name_the_field,
    groups_are_managed_and_give_their_permissions,
    changes_are_audited,
);

async fn seeded_groups_carry_the_legacy_permission_sets(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let groups: Value = expect_json(
        app.get("/api/v1/groups", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let find = |name: &str| {
        groups
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        find("Operadores UI")["permissions"],
        json!([
            "bulk_sends.view",
            "bulk_sends.operate",
            "jobs.view",
            "templates.view"
        ])
    );
    assert_eq!(
        find("Report Managers")["permissions"],
        json!([
            "reports.view",
            "reports.request",
            "reports.can_process_reports",
            "reports.can_load_to_db"
        ])
    );
    let catalogue: Value = expect_json(
        app.get("/api/v1/permissions", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let codes: Vec<&str> = catalogue
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    for required in [
        "bulk_sends.view",
        "bulk_sends.operate",
        "reports.view",
        "reports.can_process_reports",
        "reports.can_load_to_db",
        "templates.manage",
        "senders.manage",
        "users.manage",
    ] {
        assert!(
            codes.contains(&required),
            "{required} missing from {codes:?}"
        );
    }
    app.stop().await;
}

async fn users_are_created_listed_and_changed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, token) = app
        .user_with("maria", &["Operadores UI"], &["messages.send"])
        .await;

    let me: Value = expect_json(
        app.get("/api/v1/auth/me", &token).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["groups"][0]["name"], "Operadores UI");
    let perms: Vec<&str> = me["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(
        perms,
        [
            "bulk_sends.view",
            "bulk_sends.operate",
            "jobs.view",
            "templates.view",
            "messages.send"
        ]
    );

    // The same name in another case is taken.
    let dup = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            &json!({ "username": "MARIA", "password": "largo-suficiente-Quito" }),
        )
        .send()
        .await
        .unwrap();
    let problem = expect_problem(dup, StatusCode::CONFLICT, "username_taken").await;
    assert_eq!(problem["field"], "username");

    let patched: Value = expect_json(
        app.request(Method::PATCH, &format!("/api/v1/users/{id}"), Some(&app.admin_token))
            .json(&json!({ "first_name": "María", "last_name": "Núñez", "email": "maria.nunez@example.ec" }))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(patched["first_name"], "María");
    assert_eq!(patched["email"], "maria.nunez@example.ec");

    let listed: Value = expect_json(
        app.get(
            "/api/v1/users?q=nunez&page=1&page_size=10",
            &app.admin_token,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["page"], 1);
    assert_eq!(listed["page_size"], 10);
    assert_eq!(listed["items"][0]["username"], "maria");

    let cleared: Value = expect_json(
        app.request(
            Method::PUT,
            &format!("/api/v1/users/{id}/groups"),
            Some(&app.admin_token),
        )
        .json(&json!({ "group_ids": [] }))
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(cleared["groups"], json!([]));
    let me: Value = expect_json(
        app.get("/api/v1/auth/me", &token).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["permissions"], json!(["messages.send"]));

    // A new password ends the user's sessions.
    let (_, fresh) = (id, app.login("maria", &password_of("maria")).await);
    let r = app
        .request(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&app.admin_token),
        )
        .json(&json!({ "password": "una-clave-nueva-Loja" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let refresh = app
        .request(Method::POST, "/api/v1/auth/refresh", None)
        .json(&json!({ "refresh_token": fresh.refresh_token }))
        .send()
        .await
        .unwrap();
    expect_problem(refresh, StatusCode::UNAUTHORIZED, "auth_refresh_invalid").await;
    app.login("maria", "una-clave-nueva-Loja").await;

    // An admin cannot lock themselves out.
    let me: Value = expect_json(
        app.get("/api/v1/auth/me", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let admin_id = me["user"]["id"].as_i64().unwrap();
    let r = app
        .request(
            Method::PATCH,
            &format!("/api/v1/users/{admin_id}"),
            Some(&app.admin_token),
        )
        .json(&json!({ "is_active": false }))
        .send()
        .await
        .unwrap();
    expect_problem(r, StatusCode::CONFLICT, "cannot_demote_self").await;
    expect_problem(
        app.get("/api/v1/users/999999", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    app.stop().await;
}

async fn user_input_errors_name_the_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cases = [
        (
            json!({ "username": "x", "password": "short" }),
            "password",
            "password_too_short",
        ),
        (
            json!({ "username": "bad name!", "password": "largo-suficiente-Quito" }),
            "username",
            "username_invalid",
        ),
        (
            json!({ "username": "ok", "password": "largo-suficiente-Quito", "email": "not-an-email" }),
            "email",
            "email_invalid",
        ),
        (
            json!({ "username": "ok", "password": "largo-suficiente-Quito", "permissions": ["reports.fly"] }),
            "permissions[0]",
            "field_invalid",
        ),
        (
            json!({ "username": "ok", "password": 12345678 }),
            "password",
            "field_invalid",
        ),
    ];
    for (body, field, code) in cases {
        let r = app
            .post("/api/v1/users", &app.admin_token, &body)
            .send()
            .await
            .unwrap();
        let problem = expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY, code).await;
        assert_eq!(problem["field"], field, "{problem}");
    }
    // A group that does not exist is not found, naming the field.
    let r = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            &json!({ "username": "ok", "password": "largo-suficiente-Quito", "group_ids": [4242] }),
        )
        .send()
        .await
        .unwrap();
    let problem = expect_problem(r, StatusCode::NOT_FOUND, "group_not_found").await;
    assert_eq!(problem["field"], "group_ids");
    app.stop().await;
}

async fn groups_are_managed_and_give_their_permissions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created: Value = expect_json(
        app.post(
            "/api/v1/groups",
            &app.admin_token,
            &json!({ "name": "Auditores", "permissions": ["audit.view"] }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let gid = created["id"].as_i64().unwrap();
    let (_, token) = app.user_with("auditor", &["Auditores"], &[]).await;
    let r = app.get("/api/v1/audit", &token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let dup = app
        .post(
            "/api/v1/groups",
            &app.admin_token,
            &json!({ "name": "Auditores" }),
        )
        .send()
        .await
        .unwrap();
    expect_problem(dup, StatusCode::CONFLICT, "group_name_taken").await;

    let updated: Value = expect_json(
        app.request(
            Method::PATCH,
            &format!("/api/v1/groups/{gid}"),
            Some(&app.admin_token),
        )
        .json(&json!({ "name": "Auditoría", "permissions": [] }))
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(updated["name"], "Auditoría");
    assert_eq!(updated["member_count"], 1);
    expect_problem(
        app.get("/api/v1/audit", &token).send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "permission_denied",
    )
    .await;

    let deleted = app
        .request(
            Method::DELETE,
            &format!("/api/v1/groups/{gid}"),
            Some(&app.admin_token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    expect_problem(
        app.get(&format!("/api/v1/groups/{gid}"), &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    app.stop().await;
}

async fn changes_are_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, _) = app.user_with("pedro", &[], &[]).await;
    app.request(
        Method::PUT,
        &format!("/api/v1/users/{id}/permissions"),
        Some(&app.admin_token),
    )
    .json(&json!({ "permissions": ["reports.view"] }))
    .send()
    .await
    .unwrap();
    let log: Value = expect_json(
        app.get("/api/v1/audit?action=users.*", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    // Newest first; the oldest entry is the harness creating the admin from the CLI side.
    assert_eq!(
        actions,
        ["users.set_permissions", "users.create", "users.create"]
    );
    assert_eq!(log["items"][1]["details"]["username"], "pedro");
    assert_eq!(log["items"][2]["actor_username"], "cli");
    let entry = &log["items"][0];
    assert_eq!(entry["actor_username"], "admin");
    assert_eq!(entry["target_type"], "user");
    assert_eq!(entry["target_id"], id.to_string());
    assert_eq!(entry["details"]["permissions"], json!(["reports.view"]));
    assert_eq!(entry["ip"], "127.0.0.1");

    let logins: Value = expect_json(
        app.get("/api/v1/audit?action=auth.login&q=pedro", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(logins["total"], 1);
    app.stop().await;
}
