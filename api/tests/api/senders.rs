//! Sender identities: administration, one's own, and the deployment default.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::*;

on_both_databases!(
    senders_are_managed_and_operators_see_their_own_active_ones,
    each_user_sets_their_own_sender,
    operators_send_only_as_themselves_or_the_default,
    a_sender_manager_picks_owners_without_reading_users,
);

/// `senders.manage` alone gives identities to any active user without one, picking them
/// from a list that shows no more of users than who they are.
async fn a_sender_manager_picks_owners_without_reading_users(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, manager) = app.user_with("remitentes", &[], &["senders.manage"]).await;
    let (marta_id, _) = app.user_with("marta", &[], &[]).await;
    let (pedro_id, _) = app.user_with("pedro", &[], &[]).await;
    let (_, users_admin) = app.user_with("personal", &[], &["users.manage"]).await;
    let names = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|c| c["username"].as_str().unwrap().to_string())
            .collect()
    };
    let get = |path: &'static str, token: &str| app.get(path, token).send();

    expect_problem(
        get("/api/v1/users", &manager).await.unwrap(),
        StatusCode::FORBIDDEN,
        "permission_denied",
    )
    .await;
    expect_problem(
        get("/api/v1/senders/candidates", &users_admin)
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
        "permission_denied",
    )
    .await;
    let everyone: Value = expect_json(
        get("/api/v1/senders/candidates", &manager).await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(
        names(&everyone).contains(&"marta".to_string())
            && names(&everyone).contains(&"pedro".to_string())
    );
    let first = &everyone.as_array().unwrap()[0];
    let mut fields: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["full_name", "id", "username"],
        "no more of a user than who they are"
    );

    let narrowed: Value = expect_json(
        get("/api/v1/senders/candidates?q=MAR", &manager)
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(names(&narrowed), ["marta"]);
    expect_json::<Value>(
        app.post("/api/v1/senders", &manager, &json!({ "user_id": marta_id, "from_email": "marta@example.com", "from_name": "Marta" }))
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    // Marta has an identity now, Pedro left: neither is offered.
    expect_json::<Value>(
        app.request(
            Method::PATCH,
            &format!("/api/v1/users/{pedro_id}"),
            Some(&app.admin_token),
        )
        .json(&json!({ "is_active": false }))
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    let after: Value = expect_json(
        get("/api/v1/senders/candidates", &manager).await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(
        !names(&after).iter().any(|n| n == "marta" || n == "pedro"),
        "{after}"
    );
    let long = format!("/api/v1/senders/candidates?q={}", "x".repeat(201));
    expect_problem(
        app.get(&long, &manager).send().await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "query_parameter_invalid",
    )
    .await;
}

async fn senders_are_managed_and_operators_see_their_own_active_ones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ana_id, ana_token) = app.user_with("ana", &["Operadores UI"], &[]).await;
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
            &json!({ "user_id": luis_id, "from_email": "luis@@example.com", "from_name": "Luis" }),
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
        app.get("/api/v1/senders", &ana_token).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(visible["total"], 1, "an operator sees their own identity");
    assert_eq!(
        visible["items"][0]["from_email"],
        "ana@cobranzas.example.ec"
    );
    let others: Value = expect_json(
        app.get("/api/v1/senders", &operator).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(others["total"], 0, "nobody else's identities are offered");
    assert_eq!(
        others["default_sender"]["from_email"], "cobranzas@example.com",
        "the default is always offered"
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
    let (_, operator) = app.user_with("carla", &["Operadores UI"], &[]).await;
    let before: Value = expect_json(
        app.get("/api/v1/senders/me", &operator)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(before["sender"], Value::Null);
    assert_eq!(before["effective_from_email"], "cobranzas@example.com");
    assert_eq!(before["effective_from_name"], "Equipo Cobranza");
    // Choosing a From address is an administrator's decision.
    expect_problem(
        app.request(Method::PUT, "/api/v1/senders/me", Some(&operator))
            .json(&json!({ "from_email": "jefe@example.ec", "from_name": "El Jefe" }))
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
        "permission_denied",
    )
    .await;

    let (manager_id, manager) = app.user_with("gestora", &[], &["senders.manage"]).await;
    let after: Value = expect_json(
        app.request(Method::PUT, "/api/v1/senders/me", Some(&manager))
            .json(&json!({ "from_email": "gestora@example.ec", "from_name": "Gestora Vélez" }))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(after["sender"]["from_email"], "gestora@example.ec");
    assert_eq!(after["effective_from_name"], "Gestora Vélez");

    let again: Value = expect_json(
        app.request(Method::PUT, "/api/v1/senders/me", Some(&manager))
            .json(&json!({ "from_email": "gestora.velez@example.ec", "from_name": "Gestora" }))
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
        .request(Method::PUT, "/api/v1/senders/me", Some(&manager))
        .json(&json!({ "from_email": "gestora", "from_name": "Gestora" }))
        .send()
        .await
        .unwrap();
    expect_problem(
        bad,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sender_email_invalid",
    )
    .await;

    // An identity the superuser deactivated stays inactive whatever its owner sends.
    let id = again["sender"]["id"].as_i64().unwrap();
    expect_json::<Value>(
        app.request(
            Method::PATCH,
            &format!("/api/v1/senders/{id}"),
            Some(&app.admin_token),
        )
        .json(&json!({ "is_active": false }))
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    let retried: Value = expect_json(
        app.request(Method::PUT, "/api/v1/senders/me", Some(&manager))
            .json(&json!({ "from_email": "gestora.velez@example.ec", "from_name": "Gestora" }))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(retried["sender"]["is_active"], false, "deactivation sticks");
    assert_eq!(retried["effective_from_email"], "cobranzas@example.com");
    let _ = manager_id;
    app.stop().await;
}

async fn operators_send_only_as_themselves_or_the_default(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ana_id, ana) = app
        .user_with("ana", &["Operadores UI"], &["messages.send"])
        .await;
    let (luis_id, luis) = app
        .user_with("luis", &["Operadores UI"], &["messages.send"])
        .await;
    let mut ids = Vec::new();
    for (user_id, email) in [(ana_id, "ana@example.ec"), (luis_id, "luis@example.ec")] {
        let created: Value = expect_json(
            app.post(
                "/api/v1/senders",
                &app.admin_token,
                &json!({ "user_id": user_id, "from_email": email, "from_name": email }),
            )
            .send()
            .await
            .unwrap(),
            StatusCode::CREATED,
        )
        .await;
        ids.push(created["id"].as_i64().unwrap());
    }
    let (ana_sender, luis_sender) = (ids[0].to_string(), ids[1].to_string());

    // A bulk send as someone else's identity is refused; as one's own it goes out.
    let problem = expect_problem(
        app.create_bulk(&ana, deuda_csv(1), "a.csv", &[("sender_id", &luis_sender)])
            .await,
        StatusCode::FORBIDDEN,
        "sender_not_allowed",
    )
    .await;
    assert_eq!(problem["field"], "sender_id");
    let own: Value = expect_json(
        app.create_bulk(&ana, deuda_csv(1), "a.csv", &[("sender_id", &ana_sender)])
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(own["from_email"], "ana@example.ec");

    // Single messages: another's identity or an explicit From need senders.manage.
    let message = |body: Value, token: &str| app.post("/api/v1/messages", token, &body).send();
    expect_problem(
        message(
            json!({ "to": ["x@example.com"], "subject": "s", "html": "t", "sender_id": ids[0] }),
            &luis,
        )
        .await
        .unwrap(),
        StatusCode::FORBIDDEN,
        "sender_not_allowed",
    )
    .await;
    expect_problem(
        message(
            json!({ "to": ["x@example.com"], "subject": "s", "html": "t", "from_email": "ceo@example.com" }),
            &luis,
        )
        .await
        .unwrap(),
        StatusCode::FORBIDDEN,
        "permission_denied",
    )
    .await;
    let sent: Value = expect_json(
        message(
            json!({ "to": ["x@example.com"], "subject": "s", "html": "t", "sender_id": ids[1] }),
            &luis,
        )
        .await
        .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(sent["from_email"], "luis@example.ec");
    assert!(
        app.sim
            .messages()
            .iter()
            .all(|m| m.from_email != "ceo@example.com"),
        "nothing went out with the refused From"
    );
    app.stop().await;
}
