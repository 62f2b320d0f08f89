//! The HTTP surface as a whole: OpenAPI, authentication everywhere, error shapes,
//! operations endpoints, static SPA serving, unix sockets.

use std::io::{Read, Write};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::*;

on_both_databases!(
    every_operation_answers_401_without_a_token,
    errors_are_problem_json_in_the_callers_language,
    health_readiness_and_metrics,
    the_explorer_lists_every_endpoint,
    the_spa_is_served_with_a_fallback_for_client_routes,
    the_api_listens_on_a_unix_socket,
);

const PUBLIC: &[(&str, &str)] = &[
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/refresh"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
];

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let committed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let committed = std::fs::read_to_string(committed_path).unwrap_or_default();
    let generated = relay_console::cli::openapi_json().unwrap();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date with the code: run `just openapi` and commit the result"
    );
}

/// The bounds the API enforces and the SPA states come from `relay_types::limits`; the
/// document (whose attributes must be literals) says the same wherever the field appears,
/// and lists every problem code of `ErrorCode`.
#[test]
fn the_document_states_the_shared_limits_and_codes() {
    use relay_types::limits::{ATTACHMENTS_PER_MESSAGE_MAX, PAGE_SIZE_MAX, SUBJECT_MAX_CHARS};
    let document: Value =
        serde_json::from_str(&relay_console::cli::openapi_json().unwrap()).unwrap();
    // Every schema property and parameter named `name`, wherever it is.
    fn each<'a>(value: &'a Value, name: &str, found: &mut Vec<&'a Value>) {
        match value {
            Value::Object(map) => {
                if let Some(property) = map.get("properties").and_then(|p| p.get(name)) {
                    found.push(property);
                }
                if map.get("name").and_then(Value::as_str) == Some(name) {
                    if let Some(schema) = map.get("schema") {
                        found.push(schema);
                    }
                }
                for inner in map.values() {
                    each(inner, name, found);
                }
            }
            Value::Array(items) => items.iter().for_each(|inner| each(inner, name, found)),
            _ => {}
        }
    }
    let mut checked = 0;
    for (name, bound, expected) in [
        ("subject", "maxLength", SUBJECT_MAX_CHARS as u64),
        (
            "attachment_ids",
            "maxItems",
            ATTACHMENTS_PER_MESSAGE_MAX as u64,
        ),
        ("page_size", "maximum", PAGE_SIZE_MAX),
    ] {
        let mut found = Vec::new();
        each(&document, name, &mut found);
        // Answers (a send's stored subject) are not bounded; every request field is.
        let bounded: Vec<_> = found.iter().filter_map(|s| s.get(bound)).collect();
        assert!(
            !bounded.is_empty(),
            "no '{name}' with {bound} in the document"
        );
        for value in bounded {
            assert_eq!(value.as_u64(), Some(expected), "'{name}' {bound}");
            checked += 1;
        }
    }
    assert!(checked >= 6, "only {checked} bounds found");
    let codes: Vec<&str> = document["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let all: Vec<&str> = relay_types::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(codes, all);
    assert_eq!(
        document["components"]["schemas"]["Problem"]["properties"]["code"]["$ref"],
        "#/components/schemas/ErrorCode"
    );
}

/// Handlers translate: they extract, call the service that owns the action and map its
/// answer. The database, the audit log and the workers' wake-ups are the services' business,
/// so none of them appears under `http/`.
#[test]
fn handlers_leave_the_database_the_audit_and_the_workers_to_the_services() {
    fn sources(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    let mut files = Vec::new();
    sources(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http"),
        &mut files,
    );
    assert!(files.len() > 20, "{files:?}");
    let mut offences = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (number, line) in text.lines().enumerate() {
            for needle in [".db.conn", "audit::record(", "wakeup.wake()"] {
                if line.contains(needle) {
                    offences.push(format!(
                        "{}:{}: {}",
                        file.display(),
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "work a service should do:\n{}",
        offences.join("\n")
    );
}

/// A generic client (or the contract test's fuzzer) learns an id from where it is made:
/// every operation on a member (`/x/{id}…`) is the target of a link, naming a path parameter
/// it has, from an answer the document states; and the links the issue found missing exist.
#[test]
fn every_operation_taking_an_id_is_linked_from_where_the_id_is_made() {
    let document: Value =
        serde_json::from_str(&relay_console::cli::openapi_json().unwrap()).unwrap();
    // (from, to, the parameter filled)
    let mut links = Vec::new();
    let mut members = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for operation in item.as_object().unwrap().values() {
            let Some(id) = operation["operationId"].as_str() else {
                continue;
            };
            if path.contains('{') {
                let params: Vec<&str> = operation["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|p| p["in"] == "path")
                    .filter_map(|p| p["name"].as_str())
                    .collect();
                members.push((id, params));
            }
            for response in operation["responses"].as_object().unwrap().values() {
                for link in response["links"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|l| l.1)
                {
                    let (param, source) = link["parameters"]
                        .as_object()
                        .unwrap()
                        .iter()
                        .next()
                        .unwrap();
                    assert!(
                        source.as_str().unwrap().starts_with("$response.body#/"),
                        "{link}"
                    );
                    links.push((id, link["operationId"].as_str().unwrap(), param.clone()));
                }
            }
        }
    }
    assert!(members.len() > 30, "{members:?}");
    for (id, params) in &members {
        let incoming: Vec<_> = links.iter().filter(|(_, to, _)| to == id).collect();
        assert!(!incoming.is_empty(), "no link leads to {id}");
        for (from, _, param) in incoming {
            assert!(
                params.contains(&param.as_str()),
                "{from} -> {id} fills {param}, not one of {params:?}"
            );
        }
    }
    for (from, to) in [
        ("create_bulk_send", "get_bulk_send_history"),
        ("create_user", "revoke_user_token"),
        ("create_token", "revoke_token"),
        ("list_jobs", "retry_job"),
        ("retry_job", "get_job"),
    ] {
        assert!(
            links.iter().any(|(f, t, _)| *f == from && *t == to),
            "{from} -> {to}"
        );
    }
}

/// The SPA's buttons call `BulkAction::command`'s endpoints: each is in the document.
#[test]
fn every_bulk_action_command_is_an_operation() {
    use relay_types::BulkAction;
    let document: Value =
        serde_json::from_str(&relay_console::cli::openapi_json().unwrap()).unwrap();
    let commands: Vec<&str> = [
        BulkAction::Queue,
        BulkAction::Pause,
        BulkAction::Resume,
        BulkAction::Cancel,
        BulkAction::Resend,
        BulkAction::ResolveAmbiguous,
    ]
    .into_iter()
    .filter_map(BulkAction::command)
    .collect();
    assert_eq!(commands.len(), 4);
    for command in commands {
        let path = format!("/api/v1/bulk-sends/{{id}}/{command}");
        assert!(
            document["paths"][&path]["post"].is_object(),
            "{path} is not an operation"
        );
    }
}

async fn every_operation_answers_401_without_a_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let doc: Value = expect_json(
        app.request(Method::GET, "/api/openapi.json", None)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let public = PUBLIC.contains(&(method.as_str(), path.as_str()));
            let responses = operation["responses"].as_object().unwrap();
            if public {
                assert_eq!(
                    operation["security"],
                    json!([{}]),
                    "{method} {path} is public and says so"
                );
                continue;
            }
            assert!(
                responses.contains_key("401"),
                "{method} {path} documents its 401"
            );
            let concrete = path.replace("{id}", "1").replace("{template_id}", "1");
            let response = app
                .request(method.parse().unwrap(), &concrete, None)
                .send()
                .await
                .unwrap();
            expect_problem(response, StatusCode::UNAUTHORIZED, "auth_missing_token").await;
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} operations checked");
    app.stop().await;
}

async fn errors_are_problem_json_in_the_callers_language(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let es = expect_problem(
        app.get("/api/v1/users/77", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(es["detail"], "Usuario no encontrado.");
    assert_eq!(es["instance"], "/api/v1/users/77");
    assert!(es["request_id"].as_str().is_some_and(|id| id.len() == 36));
    let en = expect_problem(
        app.get("/api/v1/users/77", &app.admin_token)
            .header("accept-language", "en-US,en;q=0.9")
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(en["detail"], "User not found.");

    expect_problem(
        app.get("/api/v1/nothing-here", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_problem(
        app.request(Method::PUT, "/api/v1/auth/me", Some(&app.admin_token))
            .send()
            .await
            .unwrap(),
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
    let not_json = app
        .request(Method::POST, "/api/v1/groups", Some(&app.admin_token))
        .header("content-type", "text/plain")
        .body("name=x")
        .send()
        .await
        .unwrap();
    expect_problem(
        not_json,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "json_content_type_required",
    )
    .await;
    let broken = app
        .request(Method::POST, "/api/v1/groups", Some(&app.admin_token))
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    expect_problem(broken, StatusCode::BAD_REQUEST, "json_invalid").await;
    let huge = json!({ "name": "x".repeat(7 * 1024 * 1024) });
    expect_problem(
        app.post("/api/v1/groups", &app.admin_token, &huge)
            .send()
            .await
            .unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    let bad_query = app
        .get("/api/v1/users?page=first", &app.admin_token)
        .send()
        .await
        .unwrap();
    let problem = expect_problem(
        bad_query,
        StatusCode::UNPROCESSABLE_ENTITY,
        "query_parameter_invalid",
    )
    .await;
    assert_eq!(problem["field"], "page");
    let foreign_host = app
        .request(Method::GET, "/healthz", None)
        .header("host", "evil.example.com")
        .send()
        .await
        .unwrap();
    expect_problem(foreign_host, StatusCode::BAD_REQUEST, "host_not_allowed").await;
    app.stop().await;
}

async fn health_readiness_and_metrics(backend: Backend) {
    use relay_types::{Health, HealthStatus, Readiness, ReadinessStatus};
    let app = TestApp::spawn(backend).await;
    let health: Health = expect_json(
        app.request(Method::GET, "/healthz", None)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(health.status, HealthStatus::Ok);
    let ready: Readiness = expect_json(
        app.request(Method::GET, "/readyz", None)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        ready,
        Readiness {
            status: ReadinessStatus::Ready,
            database: true,
            migrations_applied: true,
            pending_migrations: vec![],
        }
    );

    app.get("/api/v1/groups", &app.admin_token)
        .send()
        .await
        .unwrap();
    let metrics = app
        .request(Method::GET, "/metrics", None)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("http_requests_total{")
                && l.contains("route=\"/api/v1/groups\"")
                && l.contains("status=\"200\"")),
        "{metrics}"
    );
    assert!(
        metrics.contains("http_request_duration_seconds_bucket{"),
        "latency histogram present"
    );
    app.stop().await;
}

async fn the_explorer_lists_every_endpoint(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let page = app
        .request(Method::GET, "/api/docs/", None)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("swagger-ui"));
    let init = app
        .request(Method::GET, "/api/docs/swagger-initializer.js", None)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        init.contains("/api/openapi.json"),
        "the explorer loads our document"
    );
    let doc: Value = expect_json(
        app.request(Method::GET, "/api/openapi.json", None)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../openapi/openapi.json"
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(doc, committed, "the served document is the committed one");
    app.stop().await;
}

async fn the_spa_is_served_with_a_fallback_for_client_routes(backend: Backend) {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><title>Relay Console</title>",
    )
    .unwrap();
    std::fs::write(dist.path().join("app.js"), "console.log('hi')").unwrap();
    let static_dir = dist.path().to_str().unwrap().to_string();
    let app = TestApp::spawn_with(backend, |v| {
        v.insert("STATIC_DIR".into(), static_dir);
    })
    .await;
    for path in ["/", "/envios/42"] {
        let r = app.request(Method::GET, path, None).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("<title>Relay Console</title>"),
            "{path}"
        );
    }
    let js = app
        .request(Method::GET, "/app.js", None)
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("javascript"));
    // Unknown API paths stay JSON errors, never the SPA.
    expect_problem(
        app.request(Method::GET, "/api/v1/nope", None)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    app.stop().await;
}

async fn the_api_listens_on_a_unix_socket(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(backend, dir.path()).await;
    let socket = dir.path().join("relay.sock");
    let mut vars = base_vars(&db.url, dir.path());
    vars.insert("BIND_ADDR".into(), format!("unix:{}", socket.display()));
    let config = relay_console::config::Config::from_vars(&vars).unwrap();
    let running = relay_console::server::start(
        config,
        relay_console::server::ServeOptions { migrate: true },
    )
    .await
    .unwrap();
    assert!(running.local_addr.is_none());
    let path = socket.clone();
    let answer = tokio::task::spawn_blocking(move || {
        let mut stream = std::os::unix::net::UnixStream::connect(path).unwrap();
        stream
            .write_all(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"status\":\"ready\""), "{answer}");
    running.stop().await.unwrap();
}
