//! The attacker's and the careless client's view: parallel guesses, spoofed addresses,
//! oversized input, other people's files, the wrong job, formulas in exports, and the
//! headers every answer carries.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::*;

on_both_databases!(
    parallel_wrong_passwords_are_throttled_before_they_are_checked,
    a_flood_of_logins_is_turned_away_not_crashed_on,
    the_client_address_comes_from_x_real_ip_only,
    page_bounds_and_form_sizes_are_enforced,
    every_answer_carries_the_security_headers,
);

async fn login_attempt(
    app: &TestApp,
    username: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .json(&json!({ "username": username, "password": password }));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

async fn parallel_wrong_passwords_are_throttled_before_they_are_checked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user_with("victima", &[], &[]).await;
    let guesses = (0..12).map(|i| {
        let app = &app;
        async move { login_attempt(app, "victima", &format!("guess-{i}"), &[]).await }
    });
    let answers = futures::future::join_all(guesses).await;
    let statuses: Vec<StatusCode> = answers.iter().map(|r| r.status()).collect();
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(
        checked <= 5,
        "at most the threshold of guesses is checked at once: {statuses:?}"
    );
    assert!(statuses.iter().all(|s| [
        StatusCode::UNAUTHORIZED,
        StatusCode::TOO_MANY_REQUESTS,
        StatusCode::SERVICE_UNAVAILABLE
    ]
    .contains(s)));
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    for answer in answers
        .into_iter()
        .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
    {
        assert!(answer.headers().contains_key("retry-after"));
    }
    // Even the right password now waits.
    let right = login_attempt(&app, "victima", &password_of("victima"), &[]).await;
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);

    // A username no account can have is refused before anything is stored or logged.
    let long = "x".repeat(151);
    let problem = expect_problem(
        login_attempt(&app, &long, "whatever", &[]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "username_too_long",
    )
    .await;
    assert_eq!(problem["field"], "username");
    let audit: Value = expect_json(
        app.get(
            &format!("/api/v1/audit?q={}", &long[..100]),
            &app.admin_token,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(audit["total"], 0, "{audit}");
    app.stop().await;
}

async fn a_flood_of_logins_is_turned_away_not_crashed_on(backend: Backend) {
    let app = TestApp::spawn_with(backend, |v| {
        v.insert("PASSWORD_HASH_CONCURRENCY".into(), "1".into());
    })
    .await;
    // Distinct usernames and addresses: the throttle does not apply, only the hash bound.
    // More attempts than one slot can check within the two seconds a request waits for it.
    let attempts = (0..240).map(|i| {
        let app = &app;
        async move {
            let ip = format!("198.51.{}.{}", 100 + i / 200, i % 200);
            login_attempt(
                app,
                &format!("nadie{i}"),
                "not-the-password",
                &[("x-real-ip", ip.as_str())],
            )
            .await
        }
    });
    let answers = futures::future::join_all(attempts).await;
    let mut busy = 0;
    for answer in answers {
        match answer.status() {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert!(answer.headers().contains_key("retry-after"));
                let problem: Value = answer.json().await.unwrap();
                assert_eq!(problem["code"], "auth_busy");
            }
            other => panic!("a login flood answered {other}"),
        }
    }
    assert!(
        busy > 0,
        "with one hashing slot, some of 240 parallel logins wait out"
    );
    // The server is fine afterwards.
    app.login("admin", ADMIN_PASSWORD).await;
    app.stop().await;
}

async fn the_client_address_comes_from_x_real_ip_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // 20 failures from one address (the test client's, 127.0.0.1), each claiming another
    // address in X-Forwarded-For: they all count against the one real address.
    for i in 0..20 {
        let spoof = format!("203.0.113.{i}");
        let r = login_attempt(
            &app,
            &format!("probe{i}"),
            "wrong",
            &[("x-forwarded-for", spoof.as_str())],
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let r = login_attempt(
        &app,
        "probe-final",
        "wrong",
        &[("x-forwarded-for", "192.0.2.77")],
    )
    .await;
    expect_problem(r, StatusCode::TOO_MANY_REQUESTS, "auth_too_many_attempts").await;

    // Our nginx sets X-Real-IP from the connection: that address is the one recorded.
    login_attempt(&app, "admin", "wrong", &[("x-real-ip", "198.51.100.7")]).await;
    let audit: Value = expect_json(
        app.get(
            "/api/v1/audit?action=auth.login_failed&q=198.51.100.7",
            &app.admin_token,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(audit["total"], 1, "{audit}");
    assert_eq!(audit["items"][0]["ip"], "198.51.100.7");
    app.stop().await;
}

async fn page_bounds_and_form_sizes_are_enforced(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for query in [
        "page=9223372036854775806",
        "page=0",
        "page_size=501",
        "page_size=0",
        "page=-1",
    ] {
        let field = query.split('=').next().unwrap();
        let problem = expect_problem(
            app.get(&format!("/api/v1/bulk-sends?{query}"), &app.admin_token)
                .send()
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "query_parameter_invalid",
        )
        .await;
        assert_eq!(problem["field"], field, "{query}");
    }
    let page: Value = expect_json(
        app.get("/api/v1/bulk-sends?page=3&page_size=500", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(page["page_size"], 500);

    // A text field over 64 KB, and a form of too many fields, are refused with 413.
    let form = reqwest::multipart::Form::new()
        .text("template_id", "x")
        .text("subject", "s".repeat(64 * 1024 + 1))
        .part(
            "recipients_file",
            reqwest::multipart::Part::bytes(deuda_csv(1)).file_name("a.csv"),
        );
    let problem = expect_problem(
        app.request(Method::POST, "/api/v1/bulk-sends", Some(&app.admin_token))
            .multipart(form)
            .send()
            .await
            .unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "form_field_too_large",
    )
    .await;
    assert_eq!(problem["field"], "subject");
    let mut form = reqwest::multipart::Form::new();
    for _ in 0..60 {
        form = form.text("mapping", "{}");
    }
    expect_problem(
        app.request(Method::POST, "/api/v1/csv/preview", Some(&app.admin_token))
            .multipart(form)
            .send()
            .await
            .unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "form_too_many_fields",
    )
    .await;
    app.stop().await;
}

async fn every_answer_carries_the_security_headers(backend: Backend) {
    let frontend = tempfile::tempdir().unwrap();
    std::fs::write(
        frontend.path().join("index.html"),
        include_str!("../../../frontend/index.html"),
    )
    .unwrap();
    let static_dir = frontend.path().to_str().unwrap().to_string();
    let app = TestApp::spawn_with(backend, |v| {
        v.insert("STATIC_DIR".into(), static_dir);
    })
    .await;
    let client = reqwest::Client::new();
    let answers = [
        client.get(app.url("/")).send().await.unwrap(),
        client.get(app.url("/envios/12")).send().await.unwrap(),
        client.get(app.url("/healthz")).send().await.unwrap(),
        client.get(app.url("/api/v1/auth/me")).send().await.unwrap(),
        client
            .get(app.url("/healthz"))
            .header("host", "evil.example")
            .send()
            .await
            .unwrap(),
        app.get("/api/v1/bulk-sends", &app.admin_token)
            .send()
            .await
            .unwrap(),
    ];
    for answer in &answers {
        let h = answer.headers();
        let csp = h
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{} lacks a CSP", answer.url()))
            .to_str()
            .unwrap();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert!(
            !h.contains_key("strict-transport-security"),
            "no HSTS over plain HTTP"
        );
    }
    // The SPA's page runs no inline script: the CSP above can hold.
    let index = client
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for script in index.split("<script").skip(1) {
        let tag = script.split('>').next().unwrap();
        assert!(
            tag.contains("src="),
            "inline script in index.html: <script{tag}>"
        );
    }
    // Behind our nginx over HTTPS, HSTS too.
    let https = client
        .get(app.url("/healthz"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(https.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
    app.stop().await;
}
