//! What each role may and may not do.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::on_both_databases;
use crate::support::*;

on_both_databases!(operators_report_managers_and_plain_users_see_their_share);

async fn status(app: &TestApp, method: Method, path: &str, token: &str) -> StatusCode {
    let mut request = app.request(method.clone(), path, Some(token));
    if method != Method::GET && method != Method::DELETE {
        request = request.json(&json!({}));
    }
    request.send().await.unwrap().status()
}

async fn operators_report_managers_and_plain_users_see_their_share(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, operator) = app.user_with("operador", &["Operadores UI"], &[]).await;
    let (_, reports) = app.user_with("reportes", &["Report Managers"], &[]).await;
    let (_, plain) = app.user_with("sinrol", &[], &[]).await;
    let (_, senders_admin) = app.user_with("remitentes", &[], &["senders.manage"]).await;
    let admin = app.admin_token.clone();

    // (method, path, admin, operator, report manager, plain, senders admin)
    use StatusCode as S;
    let table = [
        (
            Method::GET,
            "/api/v1/auth/me",
            S::OK,
            S::OK,
            S::OK,
            S::OK,
            S::OK,
        ),
        (
            Method::GET,
            "/api/v1/tokens",
            S::OK,
            S::OK,
            S::OK,
            S::OK,
            S::OK,
        ),
        (
            Method::GET,
            "/api/v1/senders/me",
            S::OK,
            S::OK,
            S::OK,
            S::OK,
            S::OK,
        ),
        (
            Method::GET,
            "/api/v1/users",
            S::OK,
            S::FORBIDDEN,
            S::FORBIDDEN,
            S::FORBIDDEN,
            S::FORBIDDEN,
        ),
        (
            Method::POST,
            "/api/v1/users",
            S::UNPROCESSABLE_ENTITY,
            S::FORBIDDEN,
            S::FORBIDDEN,
            S::FORBIDDEN,
            S::FORBIDDEN,
        ),
        (
            Method::GET,
            "/api/v1/groups",
            S::OK,
            S::FORBIDDEN,
            S::FORBIDDEN,
            S::FORBIDDEN,
            S::FORBIDDEN,
        ),
        (
            Method::GET,
            "/api/v1/permissions",
            S::OK,
            S::FORBIDDEN,
            S::FORBIDDEN,
            S::FORBIDDEN,
            S::FORBIDDEN,
        ),
        (
            Method::GET,
            "/api/v1/audit",
            S::OK,
            S::FORBIDDEN,
            S::FORBIDDEN,
            S::FORBIDDEN,
            S::FORBIDDEN,
        ),
        (
            Method::GET,
            "/api/v1/senders",
            S::OK,
            S::OK,
            S::FORBIDDEN,
            S::FORBIDDEN,
            S::OK,
        ),
        (
            Method::POST,
            "/api/v1/senders",
            S::UNPROCESSABLE_ENTITY,
            S::FORBIDDEN,
            S::FORBIDDEN,
            S::FORBIDDEN,
            S::UNPROCESSABLE_ENTITY,
        ),
        (
            Method::GET,
            "/api/v1/senders/1",
            S::NOT_FOUND,
            S::FORBIDDEN,
            S::FORBIDDEN,
            S::FORBIDDEN,
            S::NOT_FOUND,
        ),
    ];
    for (method, path, a, o, r, p, s) in table {
        for (who, token, expected) in [
            ("admin", &admin, a),
            ("operator", &operator, o),
            ("report manager", &reports, r),
            ("plain", &plain, p),
            ("senders admin", &senders_admin, s),
        ] {
            assert_eq!(
                status(&app, method.clone(), path, token).await,
                expected,
                "{who}: {method} {path}"
            );
        }
    }

    // A 403 names the permission that is missing.
    let r = app.get("/api/v1/users", &operator).send().await.unwrap();
    let problem = expect_problem(r, StatusCode::FORBIDDEN, "permission_denied").await;
    assert_eq!(problem["permission"], "users.manage");
    app.stop().await;
}
