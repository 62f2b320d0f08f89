//! Signing in, token rotation, API tokens and throttling.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::*;

on_both_databases!(
    login_me_refresh_and_logout,
    a_reused_refresh_token_signs_the_session_out,
    wrong_credentials_are_refused_alike,
    repeated_failures_are_slowed_down,
    api_tokens_work_until_revoked,
    bad_tokens_are_refused_with_clear_codes,
    a_deactivated_user_is_locked_out,
    a_browser_session_keeps_its_refresh_token_in_an_http_only_cookie,
);

async fn refresh(app: &TestApp, token: &Option<String>) -> reqwest::Response {
    let token = token.as_deref().expect("a refresh token in the answer");
    app.request(Method::POST, "/api/v1/auth/refresh", None)
        .json(&json!({ "refresh_token": token }))
        .send()
        .await
        .unwrap()
}

async fn login_me_refresh_and_logout(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let tokens = app.login("ADMIN", ADMIN_PASSWORD).await; // usernames are case-insensitive
    assert_eq!(tokens.token_type, "Bearer");
    assert!(tokens.expires_in > 0);

    let me: Value = expect_json(
        app.get("/api/v1/auth/me", &tokens.access_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["user"]["username"], "admin");
    assert_eq!(me["user"]["is_superuser"], true);
    assert!(me["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "users.manage"));
    assert_eq!(me["ui"]["time_zone"], "America/Guayaquil");
    assert_eq!(me["ui"]["analytics_available"], false);
    assert!(me["user"]["last_login_at"].is_string());

    let rotated: relay_types::TokenResponse =
        expect_json(refresh(&app, &tokens.refresh_token).await, StatusCode::OK).await;
    assert_ne!(rotated.refresh_token, tokens.refresh_token);
    let me_again = app
        .get("/api/v1/auth/me", &rotated.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(me_again.status(), StatusCode::OK);

    let out = app
        .post(
            "/api/v1/auth/logout",
            &rotated.access_token,
            &json!({ "refresh_token": rotated.refresh_token }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    expect_problem(
        refresh(&app, &rotated.refresh_token).await,
        StatusCode::UNAUTHORIZED,
        "auth_refresh_invalid",
    )
    .await;
    app.stop().await;
}

async fn a_reused_refresh_token_signs_the_session_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.login("admin", ADMIN_PASSWORD).await;
    let other_session = app.login("admin", ADMIN_PASSWORD).await;
    let second: relay_types::TokenResponse =
        expect_json(refresh(&app, &first.refresh_token).await, StatusCode::OK).await;

    // Someone replays the spent token: refused, and the legitimate successor dies with it.
    expect_problem(
        refresh(&app, &first.refresh_token).await,
        StatusCode::UNAUTHORIZED,
        "auth_refresh_reused",
    )
    .await;
    expect_problem(
        refresh(&app, &second.refresh_token).await,
        StatusCode::UNAUTHORIZED,
        "auth_refresh_invalid",
    )
    .await;
    // The session's access token ends too: whoever replayed the token may hold it.
    expect_problem(
        app.get("/api/v1/auth/me", &second.access_token)
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "auth_session_ended",
    )
    .await;
    // Another session of the same user renews itself as usual.
    let renewed: relay_types::TokenResponse = expect_json(
        refresh(&app, &other_session.refresh_token).await,
        StatusCode::OK,
    )
    .await;

    let audit: Value = expect_json(
        app.get(
            "/api/v1/audit?action=auth.refresh_reused",
            &renewed.access_token,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(audit["total"], 1);
    app.stop().await;
}

async fn wrong_credentials_are_refused_alike(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let attempt = |username: &'static str, password: &'static str| {
        app.request(Method::POST, "/api/v1/auth/login", None)
            .json(&json!({ "username": username, "password": password }))
            .send()
    };
    let wrong_password = expect_problem(
        attempt("admin", "nope-nope").await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "auth_invalid_credentials",
    )
    .await;
    let unknown_user = expect_problem(
        attempt("ghost", "nope-nope").await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "auth_invalid_credentials",
    )
    .await;
    assert_eq!(
        wrong_password["detail"],
        "Usuario o contraseña incorrectos."
    );
    assert_eq!(wrong_password["detail"], unknown_user["detail"]);

    // A missing field is named.
    let missing = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .json(&json!({ "username": "admin" }))
        .send()
        .await
        .unwrap();
    let problem = expect_problem(missing, StatusCode::UNPROCESSABLE_ENTITY, "field_invalid").await;
    assert_eq!(problem["field"], "password");

    let failures: Value = expect_json(
        app.get("/api/v1/audit?action=auth.login_failed", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(failures["total"], 2);
    let reasons: Vec<&str> = failures["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["details"]["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.contains(&"unknown_user") && reasons.contains(&"wrong_password"),
        "{reasons:?}"
    );
    // The password itself is never recorded.
    assert!(!failures.to_string().contains("nope-nope"));
    app.stop().await;
}

async fn repeated_failures_are_slowed_down(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, _) = app.user_with("victim", &[], &[]).await;
    for _ in 0..5 {
        let r = app
            .request(Method::POST, "/api/v1/auth/login", None)
            .json(&json!({ "username": "victim", "password": "guess-guess" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Now even the right password has to wait.
    let blocked = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .header("accept-language", "en")
        .json(&json!({ "username": "victim", "password": &password_of("victim") }))
        .send()
        .await
        .unwrap();
    let retry_after: u64 = blocked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    let problem = expect_problem(
        blocked,
        StatusCode::TOO_MANY_REQUESTS,
        "auth_too_many_attempts",
    )
    .await;
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .starts_with("Too many failed attempts"));
    // Other accounts are not affected.
    app.login("admin", ADMIN_PASSWORD).await;
    app.stop().await;
}

async fn api_tokens_work_until_revoked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created: Value = expect_json(
        app.post(
            "/api/v1/tokens",
            &app.admin_token,
            &json!({ "name": "nightly export", "expires_in_days": 30, "password": ADMIN_PASSWORD }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("rcp_"));
    assert!(secret.starts_with(created["token"]["prefix"].as_str().unwrap()));

    let me: Value = expect_json(
        app.get("/api/v1/auth/me", &secret).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["user"]["username"], "admin");

    let listed: Value = expect_json(
        app.get("/api/v1/tokens", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(
        !listed.to_string().contains(&secret),
        "the secret is shown only once"
    );
    assert!(listed[0]["last_used_at"].is_string());

    let id = created["token"]["id"].as_i64().unwrap();
    let revoked = app
        .request(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Some(&app.admin_token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    expect_problem(
        app.get("/api/v1/auth/me", &secret).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "auth_token_revoked",
    )
    .await;

    // Someone else's token id is not found for another user.
    let (_, other) = app.user_with("other", &[], &[]).await;
    let r = app
        .request(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Some(&other),
        )
        .send()
        .await
        .unwrap();
    expect_problem(r, StatusCode::NOT_FOUND, "not_found").await;
    app.stop().await;
}

async fn bad_tokens_are_refused_with_clear_codes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let none = app
        .request(Method::GET, "/api/v1/auth/me", None)
        .send()
        .await
        .unwrap();
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    expect_problem(none, StatusCode::UNAUTHORIZED, "auth_missing_token").await;
    expect_problem(
        app.get("/api/v1/auth/me", "not-a-jwt")
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "auth_token_invalid",
    )
    .await;
    expect_problem(
        app.get("/api/v1/auth/me", "rcp_doesnotexist")
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "auth_token_invalid",
    )
    .await;

    // A token signed with another key, and one that expired.
    use relay_console::auth::tokens::{issue_access_token, sign_access_token, AccessClaims};
    use secrecy::SecretString;
    let admin = AccessClaims {
        user_id: 1,
        session_version: 0,
    };
    let foreign = issue_access_token(
        &SecretString::from("another-key-of-32-characters!!!!"),
        admin,
        std::time::Duration::from_secs(60),
    )
    .unwrap();
    expect_problem(
        app.get("/api/v1/auth/me", &foreign).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "auth_token_invalid",
    )
    .await;
    // Signed with our key, but its `exp` is a minute ago.
    let expired = sign_access_token(
        &app.config().secret_key,
        admin,
        chrono::Utc::now() - chrono::Duration::minutes(1),
    )
    .unwrap();
    expect_problem(
        app.get("/api/v1/auth/me", &expired).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "auth_token_expired",
    )
    .await;
    app.stop().await;
}

async fn a_deactivated_user_is_locked_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, token) = app.user_with("leaver", &[], &[]).await;
    let r = app
        .request(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&app.admin_token),
        )
        .json(&json!({ "is_active": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    expect_problem(
        app.get("/api/v1/auth/me", &token).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "auth_user_inactive",
    )
    .await;
    let login = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .json(&json!({ "username": "leaver", "password": &password_of("leaver") }))
        .send()
        .await
        .unwrap();
    expect_problem(login, StatusCode::UNAUTHORIZED, "auth_invalid_credentials").await;
    app.stop().await;
}

/// The `relay_refresh` cookie a response sets, as `(value, attributes)`.
fn set_cookie(response: &reqwest::Response) -> (String, String) {
    let header = response
        .headers()
        .get("set-cookie")
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap()
        .to_string();
    let (pair, attributes) = header.split_once(';').unwrap();
    let (name, value) = pair.split_once('=').unwrap();
    assert_eq!(name, "relay_refresh");
    (value.to_string(), attributes.to_string())
}

async fn with_cookie(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    cookie: &str,
) -> reqwest::Response {
    // As a browser sends it from the app's own page.
    app.request(Method::POST, path, token)
        .header("cookie", format!("relay_refresh={cookie}"))
        .header("origin", app.base.clone())
        .send()
        .await
        .unwrap()
}

async fn a_browser_session_keeps_its_refresh_token_in_an_http_only_cookie(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let login = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .json(&json!({ "username": "admin", "password": ADMIN_PASSWORD, "session_cookie": true }))
        .send()
        .await
        .unwrap();
    let (cookie, attributes) = set_cookie(&login);
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/api/v1/auth"] {
        assert!(
            attributes.contains(attribute),
            "{attribute} in {attributes}"
        );
    }
    let body: Value = expect_json(login, StatusCode::OK).await;
    assert!(body["access_token"].is_string());
    assert!(
        body.get("refresh_token").is_none(),
        "no script sees it: {body}"
    );

    // A reload: no token in memory, the cookie buys a new pair and moves on.
    let refreshed = with_cookie(&app, "/api/v1/auth/refresh", None, &cookie).await;
    let (next, _) = set_cookie(&refreshed);
    assert_ne!(next, cookie);
    let pair: Value = expect_json(refreshed, StatusCode::OK).await;
    assert!(pair.get("refresh_token").is_none());
    let access = pair["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        app.get("/api/v1/auth/me", &access)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // The spent cookie, replayed, ends the session.
    expect_problem(
        with_cookie(&app, "/api/v1/auth/refresh", None, &cookie).await,
        StatusCode::UNAUTHORIZED,
        "auth_refresh_reused",
    )
    .await;
    // Without a cookie or a body there is nothing to refresh.
    expect_problem(
        app.request(Method::POST, "/api/v1/auth/refresh", None)
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "auth_refresh_missing",
    )
    .await;

    // Signing out clears the cookie and ends its session.
    let login = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .json(&json!({ "username": "admin", "password": ADMIN_PASSWORD, "session_cookie": true }))
        .send()
        .await
        .unwrap();
    let (cookie, _) = set_cookie(&login);
    let access: Value = expect_json(login, StatusCode::OK).await;
    let out = with_cookie(
        &app,
        "/api/v1/auth/logout",
        access["access_token"].as_str(),
        &cookie,
    )
    .await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let (cleared, attributes) = set_cookie(&out);
    assert!(
        cleared.is_empty() && attributes.contains("Max-Age=0"),
        "{attributes}"
    );
    expect_problem(
        with_cookie(&app, "/api/v1/auth/refresh", None, &cookie).await,
        StatusCode::UNAUTHORIZED,
        "auth_refresh_invalid",
    )
    .await;
}
