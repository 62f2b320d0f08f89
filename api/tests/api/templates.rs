//! Templates through the API: the shared cache, detail with variables, previews, changes.

use relay_sim::Faults;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::*;

on_both_databases!(
    templates_are_listed_from_a_cache_every_process_shares,
    a_template_shows_its_body_variables_and_preview,
    a_doppler_failure_is_a_clear_502,
    template_managers_create_change_and_delete_templates,
);

async fn list(app: &TestApp, query: &str, token: &str) -> Value {
    expect_json(
        app.get(&format!("/api/v1/templates{query}"), token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await
}

async fn templates_are_listed_from_a_cache_every_process_shares(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, operator) = app.user_with("operador", &["Operadores UI"], &[]).await;
    let first = list(&app, "", &operator).await;
    assert_eq!(first["cached"], false);
    let names: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Aviso legal de mora",
            "Descuento en su deuda",
            "Recordatorio de pago"
        ],
        "sorted by name"
    );
    let id = first["items"][1]["id"].as_str().unwrap();
    assert_eq!(
        first["items"][1]["label"],
        format!("Descuento en su deuda (id={id})")
    );
    let requests_after_first = app.sim.requests().len();

    assert_eq!(list(&app, "", &operator).await["cached"], true);
    assert_eq!(
        app.sim.requests().len(),
        requests_after_first,
        "a cached list does not call Doppler"
    );
    let filtered = list(&app, "?q=recordatorio", &operator).await;
    assert_eq!(filtered["total"], 1);
    // Accents and case aside: the subject says "Notificación de proceso de cobro".
    let folded = list(&app, "?q=NOTIFICACION", &operator).await;
    assert_eq!(folded["total"], 1, "{folded}");
    assert_eq!(folded["items"][0]["name"], "Aviso legal de mora");

    // A second process on the same database, whose Doppler is down, still answers from the cache.
    let db_url = app.db.url.clone();
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let other_dir = tempfile::tempdir().unwrap();
    let mut vars = base_vars(&db_url, other_dir.path());
    use_sim(&mut vars, &app.sim);
    vars.insert(
        "DOPPLER_RELAY_BASE_URL".into(),
        format!("http://127.0.0.1:{dead}/"),
    );
    let other = relay_console::server::start(
        relay_console::config::Config::from_vars(&vars).unwrap(),
        relay_console::server::ServeOptions { migrate: false },
    )
    .await
    .unwrap();
    let other_base = format!("http://{}", other.local_addr.unwrap());
    let shared: Value = expect_json(
        app.client
            .get(format!("{other_base}/api/v1/templates"))
            .bearer_auth(&operator)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(shared["cached"], true);
    assert_eq!(shared["total"], 3);
    // ... and `refresh=true` goes to its (dead) Doppler.
    let refreshed = app
        .client
        .get(format!("{other_base}/api/v1/templates?refresh=true"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    expect_problem(refreshed, StatusCode::BAD_GATEWAY, "templates_unavailable").await;
    other.stop().await.unwrap();

    // A new template in Doppler appears on refresh.
    assert_eq!(
        list(&app, "?refresh=true", &operator).await["cached"],
        false
    );
    app.stop().await;
}

async fn a_template_shows_its_body_variables_and_preview(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app.sim.template_id("Descuento en su deuda").unwrap();
    let detail: Value = expect_json(
        app.get(&format!("/api/v1/templates/{id}"), &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        detail["variables"],
        json!([
            "nombres",
            "deuda",
            "identificacion",
            "descuento",
            "total_a_pagar"
        ])
    );
    assert!(detail["html"]
        .as_str()
        .unwrap()
        .contains("<h2>Estimado/a {{nombres}}</h2>"));

    let preview: Value = expect_json(
        app.post(
            &format!("/api/v1/templates/{id}/preview"),
            &app.admin_token,
            &json!({ "variables": { "nombres": "Núñez <Peña>", "deuda": "5000", "total_a_pagar": "4500" } }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    let html = preview["html"].as_str().unwrap();
    assert!(
        html.contains("<h2>Estimado/a Núñez &lt;Peña&gt;</h2>"),
        "{html}"
    );
    assert!(
        html.contains("<strong style=\"color:#0a7d32\">$4500</strong>"),
        "{html}"
    );
    assert!(
        html.contains("descuento especial de <strong>$</strong>"),
        "unknown names render empty: {html}"
    );
    assert_eq!(
        preview["missing_variables"],
        json!(["identificacion", "descuento"])
    );
    assert_eq!(preview["subject"], "Descuento en su deuda");

    let legal = app.sim.template_id("Aviso legal de mora").unwrap();
    let raw: Value = expect_json(
        app.post(
            &format!("/api/v1/templates/{legal}/preview"),
            &app.admin_token,
            &json!({ "variables": { "wapi_abg": "https://wa.me/593?x=1&y=2" } }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(
        raw["html"]
            .as_str()
            .unwrap()
            .contains("WhatsApp: https://wa.me/593?x=1&y=2"),
        "triple braces are not escaped"
    );

    expect_problem(
        app.get("/api/v1/templates/does-not-exist", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    app.stop().await;
}

async fn a_doppler_failure_is_a_clear_502(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sim.set_faults(Faults {
        rate_503: 1.0,
        ..Faults::default()
    });
    let problem = expect_problem(
        app.get("/api/v1/templates", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_GATEWAY,
        "templates_unavailable",
    )
    .await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("No se pudieron cargar las plantillas de Doppler Relay."),
        "{detail}"
    );
    assert!(detail.contains("HTTP 503"), "{detail}");
    app.sim.set_faults(Faults::default());

    let wrong_key = TestApp::spawn_with(backend, |v| {
        v.insert("DOPPLER_RELAY_API_KEY".into(), "wrong-key".into());
    })
    .await;
    let problem = expect_problem(
        wrong_key
            .get("/api/v1/templates", &wrong_key.admin_token)
            .header("accept-language", "en")
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_GATEWAY,
        "templates_unavailable",
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("HTTP 401"),
        "{problem}"
    );
    assert_eq!(
        problem["upstream_status"],
        Value::Null,
        "only the reworded problem is shown"
    );
    wrong_key.stop().await;
    app.stop().await;
}

async fn template_managers_create_change_and_delete_templates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, operator) = app.user_with("operador", &["Operadores UI"], &[]).await;
    let (_, manager) = app
        .user_with("plantillas", &[], &["templates.manage"])
        .await;
    list(&app, "", &manager).await; // fills the cache

    let input = json!({ "name": "Saludo", "subject": "Hola {{nombres}}", "from_email": "ops@example.com", "from_name": "Ops", "html": "<p>Hola {{Nombres}}, total {{{Total}}}</p>" });
    expect_problem(
        app.post("/api/v1/templates", &operator, &input)
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
        "permission_denied",
    )
    .await;
    let created: Value = expect_json(
        app.post("/api/v1/templates", &manager, &input)
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        created["variables"],
        json!(["Nombres", "Total"]),
        "case is preserved"
    );
    let id = created["id"].as_str().unwrap().to_string();
    let listed = list(&app, "", &manager).await;
    assert_eq!(
        listed["total"], 4,
        "creating a template refreshes the shared list"
    );

    let changed: Value = expect_json(
        app.request(
            Method::PATCH,
            &format!("/api/v1/templates/{id}"),
            Some(&manager),
        )
        .json(&json!({ "html": "<p>{{deuda}}</p>" }))
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(changed["variables"], json!(["deuda"]));
    assert_eq!(changed["name"], "Saludo");

    let bad = app
        .post(
            "/api/v1/templates",
            &manager,
            &json!({ "name": " ", "subject": "s", "from_email": "x@example.com", "html": "" }),
        )
        .send()
        .await
        .unwrap();
    let problem = expect_problem(
        bad,
        StatusCode::UNPROCESSABLE_ENTITY,
        "template_name_required",
    )
    .await;
    assert_eq!(problem["field"], "name");

    let gone = app
        .request(
            Method::DELETE,
            &format!("/api/v1/templates/{id}"),
            Some(&manager),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    expect_problem(
        app.get(&format!("/api/v1/templates/{id}"), &manager)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(list(&app, "", &manager).await["total"], 3);
    let audit: Value = expect_json(
        app.get("/api/v1/audit?action=templates.*", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(audit["total"], 3);
    app.stop().await;
}
