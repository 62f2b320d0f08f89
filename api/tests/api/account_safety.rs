//! What others can do to an account: an administrator with less power than its owner, a
//! look-alike group, strangers guessing its password from many addresses, a stolen
//! session, a script reusing someone else's idempotency key.

use relay_types::{BulkSend, Group, Message, TokenResponse, User};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::privileges::{audit_actions, group_id, patch};
use crate::support::*;

on_both_databases!(
    a_user_manager_cannot_take_over_a_stronger_account,
    a_password_set_by_an_admin_is_changed_at_the_next_sign_in,
    seeded_groups_are_known_by_key_not_by_name,
    strangers_cannot_lock_an_owner_out,
    changing_ones_own_password_is_throttled_like_a_sign_in,
    new_passwords_must_be_long_and_uncommon,
    idempotency_keys_belong_to_their_caller,
    a_cookie_session_is_renewed_only_from_our_own_pages,
);

async fn login_from(
    app: &TestApp,
    username: &str,
    password: &str,
    address: &str,
) -> reqwest::Response {
    app.request(Method::POST, "/api/v1/auth/login", None)
        .header("x-real-ip", address)
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap()
}

async fn a_user_manager_cannot_take_over_a_stronger_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, manager) = app
        .user_with("gerente", &[], &["users.manage", "bulk_sends.view"])
        .await;
    let (stronger, stronger_token) = app
        .user_with("tesorera", &["Report Managers"], &["bulk_sends.view"])
        .await;
    let (weaker, _) = app.user_with("pasante", &[], &["bulk_sends.view"]).await;

    // Password, e-mail and tokens of someone holding reports.* are out of reach.
    for (body, what) in [
        (json!({ "password": "tomada-por-el-gerente-1" }), "password"),
        (json!({ "email": "gerente@example.com" }), "e-mail"),
    ] {
        let problem = expect_problem(
            patch(&app, &manager, &format!("/api/v1/users/{stronger}"), body).await,
            StatusCode::FORBIDDEN,
            "credentials_of_stronger_user",
        )
        .await;
        assert!(
            problem["permission"]
                .as_str()
                .unwrap()
                .starts_with("reports."),
            "{what}"
        );
    }
    let created: Value = expect_json(
        app.post(
            "/api/v1/tokens",
            &stronger_token,
            &json!({ "name": "cierre", "password": password_of("tesorera") }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    expect_problem(
        app.request(
            Method::DELETE,
            &format!("/api/v1/users/{stronger}/tokens/{}", created["token"]["id"]),
            Some(&manager),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::FORBIDDEN,
        "credentials_of_stronger_user",
    )
    .await;
    // Her own password still works: nothing changed.
    assert_eq!(
        login_from(&app, "tesorera", &password_of("tesorera"), "10.0.0.1")
            .await
            .status(),
        StatusCode::OK
    );
    // Someone holding nothing the manager lacks can be helped; a superuser can help anyone.
    let helped: User = expect_json(
        patch(
            &app,
            &manager,
            &format!("/api/v1/users/{weaker}"),
            json!({ "password": "una-nueva-para-el-pasante" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(helped.password_change_required);
    let reset: User = expect_json(
        patch(
            &app,
            &app.admin_token,
            &format!("/api/v1/users/{stronger}"),
            json!({ "password": "puesta-por-la-admin-1" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(reset.password_change_required);
    app.stop().await;
}

async fn a_password_set_by_an_admin_is_changed_at_the_next_sign_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, old_session) = app.user_with("olvido", &[], &["bulk_sends.view"]).await;
    let temporary = "temporal-de-la-admin-7";
    patch(
        &app,
        &app.admin_token,
        &format!("/api/v1/users/{id}"),
        json!({ "password": temporary }),
    )
    .await;

    // The old session ended; the audit says who reset what.
    expect_problem(
        app.get("/api/v1/auth/me", &old_session)
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "auth_session_ended",
    )
    .await;
    let resets = audit_actions(&app, "users.password_reset").await;
    assert_eq!(resets.len(), 1);
    assert_eq!(resets[0]["actor_username"], "admin");
    assert_eq!(resets[0]["target_id"], id.to_string());
    assert_eq!(resets[0]["details"]["notified"], true);

    // The owner is told by e-mail, from the deployment's sender.
    eventually(10, "the notice reaches Doppler", || async {
        app.sim
            .messages()
            .iter()
            .any(|m| m.recipient == "olvido@example.com")
    })
    .await;
    let notice = app
        .sim
        .messages()
        .into_iter()
        .find(|m| m.recipient == "olvido@example.com")
        .unwrap();
    assert_eq!(notice.from_email, "cobranzas@example.com");
    assert!(notice.subject.contains("contraseña"), "{}", notice.subject);
    assert!(notice.subject.contains("password"), "{}", notice.subject);

    // Signing in with the temporary password works, and says a new one is due.
    let signed_in: TokenResponse = expect_json(
        login_from(&app, "olvido", temporary, "10.0.0.2").await,
        StatusCode::OK,
    )
    .await;
    assert!(signed_in.password_change_required);
    let token = signed_in.access_token;
    // Until then, nothing else answers.
    expect_problem(
        app.get("/api/v1/bulk-sends", &token).send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "password_change_required",
    )
    .await;
    let me: Value = expect_json(
        app.get("/api/v1/auth/me", &token).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["user"]["password_change_required"], true);
    // The temporary one cannot stay.
    expect_problem(
        app.post(
            "/api/v1/auth/password",
            &token,
            &json!({ "current_password": temporary, "new_password": temporary }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "password_unchanged",
    )
    .await;
    let changed: TokenResponse = expect_json(
        app.post(
            "/api/v1/auth/password",
            &token,
            &json!({ "current_password": temporary, "new_password": "mi-propia-clave-de-Loja" }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(!changed.password_change_required);
    assert_eq!(
        app.get("/api/v1/bulk-sends", &changed.access_token)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        login_from(&app, "olvido", "mi-propia-clave-de-Loja", "10.0.0.2")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(audit_actions(&app, "users.password_change").await.len(), 1);
    app.stop().await;
}

async fn seeded_groups_are_known_by_key_not_by_name(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let report_managers = group_id(&app, "Report Managers").await;
    // An administrator without the reports permissions cannot rename or delete the group.
    let (_, manager) = app.user_with("gerente", &[], &["users.manage"]).await;
    expect_problem(
        patch(
            &app,
            &manager,
            &format!("/api/v1/groups/{report_managers}"),
            json!({ "name": "Antiguos" }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "group_permission_not_held",
    )
    .await;
    expect_problem(
        app.request(
            Method::DELETE,
            &format!("/api/v1/groups/{report_managers}"),
            Some(&manager),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::FORBIDDEN,
        "group_permission_not_held",
    )
    .await;
    // Renamed by someone who may, with a look-alike made after it...
    let renamed: Group = expect_json(
        patch(
            &app,
            &app.admin_token,
            &format!("/api/v1/groups/{report_managers}"),
            json!({ "name": "Gestores de reportes" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(renamed.seeded);
    let look_alike: Group = expect_json(
        app.post(
            "/api/v1/groups",
            &manager,
            &json!({ "name": "Report Managers", "permissions": [] }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    assert!(!look_alike.seeded);
    // ...`setup-groups` restores the seeded group's permissions and gives the look-alike none.
    let setup = relay_console(&app.vars)
        .arg("setup-groups")
        .output()
        .unwrap();
    assert!(
        setup.status.success(),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let groups: Vec<Group> = expect_json(
        app.get("/api/v1/groups", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let by_id = |id: i64| groups.iter().find(|g| g.id == id).unwrap().clone();
    assert!(by_id(look_alike.id).permissions.is_empty());
    assert_eq!(by_id(report_managers).name, "Gestores de reportes");
    assert_eq!(by_id(report_managers).permissions.len(), 4);
    assert_eq!(groups.iter().filter(|g| g.seeded).count(), 2);
    app.stop().await;
}

async fn strangers_cannot_lock_an_owner_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user_with("duena", &[], &[]).await;
    let right = password_of("duena");
    // She signs in from her office, and has a browser session with a cookie.
    assert_eq!(
        login_from(&app, "duena", &right, "10.1.1.1").await.status(),
        StatusCode::OK
    );
    let browser = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .header("x-real-ip", "10.1.1.2")
        .json(&json!({ "username": "duena", "password": right, "session_cookie": true }))
        .send()
        .await
        .unwrap();
    let cookie = browser.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();

    // One stranger: five guesses and that address waits, even with the right password.
    for _ in 0..5 {
        login_from(&app, "duena", "adivinanza-numero-1", "203.0.113.1").await;
    }
    expect_problem(
        login_from(&app, "duena", &right, "203.0.113.1").await,
        StatusCode::TOO_MANY_REQUESTS,
        "auth_too_many_attempts",
    )
    .await;
    // ...but she does not.
    assert_eq!(
        login_from(&app, "duena", &right, "10.1.1.1").await.status(),
        StatusCode::OK
    );

    // Many strangers: the account slows down for addresses it does not know...
    for stranger in 2..=4 {
        for _ in 0..4 {
            login_from(
                &app,
                "duena",
                "adivinanza-numero-2",
                &format!("203.0.113.{stranger}"),
            )
            .await;
        }
    }
    let new_place = login_from(&app, "duena", &right, "198.51.100.7").await;
    assert_eq!(new_place.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(new_place.headers().contains_key("retry-after"));
    // ...never for her known address, nor for her browser with its session cookie.
    assert_eq!(
        login_from(&app, "duena", &right, "10.1.1.1").await.status(),
        StatusCode::OK
    );
    let with_cookie = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .header("x-real-ip", "198.51.100.8")
        .header("cookie", cookie)
        .json(&json!({ "username": "duena", "password": right }))
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookie.status(), StatusCode::OK);
    app.stop().await;
}

async fn changing_ones_own_password_is_throttled_like_a_sign_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, token) = app.user_with("robada", &[], &["users.manage"]).await;
    // A stolen session guesses the current password: after five tries it waits.
    let mut statuses = Vec::new();
    for i in 0..7 {
        let answer = app
            .post(
                "/api/v1/auth/password",
                &token,
                &json!({ "current_password": format!("adivinanza-{i}"), "new_password": "la-del-ladron-es-esta" }),
            )
            .send()
            .await
            .unwrap();
        statuses.push(answer.status());
    }
    assert_eq!(statuses[..5], [StatusCode::FORBIDDEN; 5], "{statuses:?}");
    assert_eq!(
        statuses[5..],
        [StatusCode::TOO_MANY_REQUESTS; 2],
        "{statuses:?}"
    );
    // The same through the users endpoint.
    expect_problem(
        patch(
            &app,
            &token,
            &format!("/api/v1/users/{id}"),
            json!({ "password": "la-del-ladron-es-esta", "current_password": password_of("robada") }),
        )
        .await,
        StatusCode::TOO_MANY_REQUESTS,
        "auth_too_many_attempts",
    )
    .await;
    app.stop().await;
}

async fn new_passwords_must_be_long_and_uncommon(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (password, code) in [
        ("corta-1", "password_too_short"),
        ("            ", "password_too_short"),
        ("password1234", "password_too_common"),
        ("123456789012", "password_too_common"),
        ("qwertyuiopasdf", "password_too_common"),
        ("aaaaaaaaaaaaaaaa", "password_too_common"),
    ] {
        let problem = expect_problem(
            app.post(
                "/api/v1/users",
                &app.admin_token,
                &json!({ "username": "nueva", "password": password }),
            )
            .send()
            .await
            .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        )
        .await;
        assert_eq!(problem["field"], "password", "{password}");
    }
    let created = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            &json!({ "username": "nueva", "password": "tres palabras sueltas" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    app.stop().await;
}

async fn idempotency_keys_belong_to_their_caller(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, ana) = app
        .user_with("ana", &["Operadores UI"], &["messages.send"])
        .await;
    let (_, beto) = app
        .user_with("beto", &["Operadores UI"], &["messages.send"])
        .await;
    let key = [("client_request_id", "lote-octubre")];
    let first: BulkSend = expect_json(
        app.create_bulk(&ana, deuda_csv(2), "a.csv", &key).await,
        StatusCode::CREATED,
    )
    .await;
    // Beto's send with the same key is his own, not Ana's handed back.
    let second: BulkSend = expect_json(
        app.create_bulk(&beto, deuda_csv(3), "b.csv", &key).await,
        StatusCode::CREATED,
    )
    .await;
    assert_ne!(first.id, second.id);
    assert_eq!(second.counts.total, 3);
    // Ana's retry still finds hers.
    let again: BulkSend = expect_json(
        app.create_bulk(&ana, deuda_csv(2), "a.csv", &key).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(again.id, first.id);

    let message = |to: &str| json!({ "to": [to], "subject": "Aviso", "html": "<p>Hola</p>", "client_request_id": "aviso-1" });
    let mine: Message = expect_json(
        app.post("/api/v1/messages", &ana, &message("uno@example.com"))
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let theirs: Message = expect_json(
        app.post("/api/v1/messages", &beto, &message("dos@example.com"))
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    assert_ne!(mine.id, theirs.id);
    eventually(10, "both messages reach Doppler", || async {
        let to: Vec<String> = app
            .sim
            .messages()
            .into_iter()
            .map(|m| m.recipient)
            .collect();
        to.contains(&"uno@example.com".to_string()) && to.contains(&"dos@example.com".to_string())
    })
    .await;
    app.stop().await;
}

async fn a_cookie_session_is_renewed_only_from_our_own_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let login = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .json(&json!({ "username": "admin", "password": ADMIN_PASSWORD, "session_cookie": true }))
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let renew = |origin: Option<&str>| {
        let mut request = app
            .request(Method::POST, "/api/v1/auth/refresh", None)
            .header("cookie", cookie.clone());
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    for origin in [None, Some("https://evil.example"), Some("null")] {
        expect_problem(
            renew(origin).await.unwrap(),
            StatusCode::FORBIDDEN,
            "auth_origin_refused",
        )
        .await;
    }
    // Refused before the token was spent: the page itself still renews it.
    assert_eq!(
        renew(Some(&app.base)).await.unwrap().status(),
        StatusCode::OK
    );
    app.stop().await;
}
