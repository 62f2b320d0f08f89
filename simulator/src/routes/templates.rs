//! Doppler's template endpoints: list, read (the body through its link), create, change,
//! delete.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{lock, problem, problem_with, text_field};
use crate::Shared;

pub(super) fn template_json(t: &crate::state::Template, account: i64, link_origin: &str) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "subject": t.subject,
        "from_email": t.from_email,
        "from_name": t.from_name,
        "_links": [
            { "href": format!("/accounts/{account}/templates/{}", t.id), "description": "Get template", "rel": "self" },
            { "href": format!("{link_origin}/accounts/{account}/templates/{}/body", t.id), "description": "Get template body", "rel": "/docs/rels/get-template-body" },
            { "href": format!("/accounts/{account}/templates/{}/message", t.id), "description": "Send message based on template", "rel": "/docs/rels/post-template-message" }
        ]
    })
}

pub(super) async fn list_templates(
    State(state): State<Shared>,
    Path(account): Path<i64>,
) -> Json<Value> {
    let sim = lock(&state);
    let origin = sim.faults.foreign_link_origin.clone().unwrap_or_default();
    let items: Vec<Value> = sim
        .templates
        .values()
        .map(|t| template_json(t, account, &origin))
        .collect();
    Json(json!({ "items": items, "itemsCount": items.len(), "_links": [] }))
}

pub(super) async fn get_template(
    State(state): State<Shared>,
    Path((account, id)): Path<(i64, String)>,
) -> Response {
    let sim = lock(&state);
    let origin = sim.faults.foreign_link_origin.clone().unwrap_or_default();
    match sim.templates.get(&id) {
        Some(t) => Json(template_json(t, account, &origin)).into_response(),
        None => problem(StatusCode::NOT_FOUND, "Template not found."),
    }
}

pub(super) async fn template_body(
    State(state): State<Shared>,
    Path((_, id)): Path<(i64, String)>,
) -> Response {
    let sim = lock(&state);
    match sim.templates.get(&id) {
        Some(t) => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            t.body.clone(),
        )
            .into_response(),
        None => problem(StatusCode::NOT_FOUND, "Template not found."),
    }
}

pub(super) async fn create_template(
    State(state): State<Shared>,
    Path(account): Path<i64>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return problem(StatusCode::BAD_REQUEST, "The body must be JSON.");
    };
    let (Some(name), Some(from_email)) =
        (text_field(&body, "name"), text_field(&body, "from_email"))
    else {
        return problem_with(
            StatusCode::BAD_REQUEST,
            "Validation error: name and from_email are required.",
            json!({ "errors": [{ "key": "name" }, { "key": "from_email" }] }),
        );
    };
    let mut sim = lock(&state);
    let id = sim.add_template(
        name,
        text_field(&body, "subject").unwrap_or(""),
        from_email,
        text_field(&body, "from_name").unwrap_or(""),
        body.get("body").and_then(Value::as_str).unwrap_or(""),
    );
    let location = format!("/accounts/{account}/templates/{id}");
    (
        StatusCode::CREATED,
        [(header::LOCATION, location.clone())],
        Json(json!({ "createdResourceId": id, "_links": [{ "href": location, "rel": "/docs/rels/get-template" }] })),
    )
        .into_response()
}

pub(super) async fn update_template(
    State(state): State<Shared>,
    Path((_, id)): Path<(i64, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return problem(StatusCode::BAD_REQUEST, "The body must be JSON.");
    };
    let mut sim = lock(&state);
    let Some(t) = sim.templates.get_mut(&id) else {
        return problem(StatusCode::NOT_FOUND, "Template not found.");
    };
    if let Some(v) = body.get("name").and_then(Value::as_str) {
        t.name = v.into();
    }
    if let Some(v) = body.get("subject").and_then(Value::as_str) {
        t.subject = v.into();
    }
    if let Some(v) = body.get("from_email").and_then(Value::as_str) {
        t.from_email = v.into();
    }
    if let Some(v) = body.get("from_name").and_then(Value::as_str) {
        t.from_name = v.into();
    }
    if let Some(v) = body.get("body").and_then(Value::as_str) {
        t.body = v.into();
    }
    Json(json!({ "message": "Template updated" })).into_response()
}

pub(super) async fn delete_template(
    State(state): State<Shared>,
    Path((_, id)): Path<(i64, String)>,
) -> Response {
    match lock(&state).templates.remove(&id) {
        Some(_) => Json(json!({ "message": "Template deleted" })).into_response(),
        None => problem(StatusCode::NOT_FOUND, "Template not found."),
    }
}
