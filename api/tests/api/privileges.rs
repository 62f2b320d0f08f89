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
    a_user_is_saved_whole_or_not_at_all,
);

pub(crate) async fn patch(
    app: &TestApp,
    token: &str,
    path: &str,
    body: Value,
) -> reqwest::Response {
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

pub(crate) async fn group_id(app: &TestApp, name: &str) -> i64 {
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

pub(crate) async fn audit_actions(app: &TestApp, action: &str) -> Vec<Value> {
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
            &json!({ "username": "boss", "password": "boss-clave-Ambato-9", "is_superuser": true }),
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
        json!({ "password": "taken-over-Manta-123" }),
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
            &json!({ "username": "nuevo", "password": "nuevo-clave-Cotopaxi-42", "group_ids": [report_managers] }),
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
    // A group granting what they lack is not theirs to change at all.
    expect_problem(
        patch(
            &app,
            &manager,
            &format!("/api/v1/groups/{report_managers}"),
            json!({ "permissions": ["reports.view", "audit.view"] }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "group_permission_not_held",
    )
    .await;
    // One of their own may not grow past them either.
    let own: Value = expect_json(
        app.post(
            "/api/v1/groups",
            &manager,
            &json!({ "name": "Lectores", "permissions": ["bulk_sends.view"] }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    expect_problem(
        patch(
            &app,
            &manager,
            &format!("/api/v1/groups/{}", own["id"]),
            json!({ "permissions": ["bulk_sends.view", "audit.view"] }),
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
        let new_token = app.login(&name, &password_of(&name)).await.access_token;
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
            survivor = (name.clone(), password_of(&name), new_id);
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

/// The dashboard saves a user's fields, groups and direct permissions in one call: all of
/// it is stored, or (when any part is refused) none of it.
async fn a_user_is_saved_whole_or_not_at_all(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, manager) = app
        .user_with("gerente", &[], &["users.manage", "bulk_sends.view"])
        .await;
    let (target, _) = app.user_with("destino", &[], &[]).await;
    let report_managers = group_id(&app, "Report Managers").await;
    let path = format!("/api/v1/users/{target}");

    // Deactivation and a permission the manager holds, with a group they cannot give.
    expect_problem(
        patch(
            &app,
            &manager,
            &path,
            json!({ "is_active": false, "permissions": ["bulk_sends.view"], "group_ids": [report_managers] }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "permission_not_held",
    )
    .await;
    let unchanged: Value = expect_json(
        app.get(&path, &app.admin_token).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(unchanged["is_active"], true, "{unchanged}");
    assert_eq!(unchanged["permissions"], json!([]), "{unchanged}");
    assert_eq!(unchanged["groups"], json!([]), "{unchanged}");

    let own_group: Value = expect_json(
        app.post(
            "/api/v1/groups",
            &app.admin_token,
            &json!({ "name": "Lectores", "permissions": ["bulk_sends.view"] }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let saved: Value = expect_json(
        patch(
            &app,
            &manager,
            &path,
            json!({ "is_active": false, "permissions": ["bulk_sends.view"], "group_ids": [own_group["id"]] }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(saved["is_active"], false, "{saved}");
    assert_eq!(saved["permissions"], json!(["bulk_sends.view"]), "{saved}");
    assert_eq!(saved["groups"][0]["name"], "Lectores", "{saved}");
    let entries = audit_actions(&app, "users.update").await;
    let target_id = target.to_string();
    let entry = entries
        .iter()
        .find(|e| e["target_id"] == target_id.as_str())
        .unwrap_or_else(|| panic!("no users.update entry for {target}: {entries:?}"));
    assert_eq!(
        entry["details"]["group_ids"],
        json!([own_group["id"]]),
        "{entry}"
    );
    assert_eq!(entry["details"]["previous_group_ids"], json!([]), "{entry}");
    assert_eq!(
        entry["details"]["permissions"],
        json!(["bulk_sends.view"]),
        "{entry}"
    );
}
