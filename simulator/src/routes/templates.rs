//! Doppler's template endpoints as its own Relay web app calls them (docs/doppler.md): list
//! (paged), read, the body at `.../body` (JSON, written with `PUT`), create and change the
//! metadata, delete.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{lock, problem, problem_with, text_field};
use crate::faults::TemplateBodyStyle;
use crate::Shared;

/// A template as Doppler describes it (its Relay web app's mocks): the body inline with its
/// `bodyType`, or only behind a link, or nowhere but `.../body`, as the fault says.
pub(super) fn template_json(
    t: &crate::state::Template,
    account: i64,
    link_origin: &str,
    style: TemplateBodyStyle,
) -> Value {
    let mut links = vec![
        json!({ "href": format!("/accounts/{account}/templates/{}", t.id), "description": "Get template", "rel": "self /docs/rels/get-template" }),
        json!({ "href": format!("/accounts/{account}/templates/{}/message", t.id), "description": "Send message based on template", "rel": "/docs/rels/post-template-message" }),
    ];
    if style == TemplateBodyStyle::Link {
        links.push(json!({ "href": format!("{link_origin}/accounts/{account}/templates/{}/body", t.id), "description": "Get template body", "rel": "/docs/rels/get-template-body" }));
    }
    let mut item = json!({
        "id": t.id,
        "name": t.name,
        "subject": t.subject,
        "from_email": t.from_email,
        "from_name": t.from_name,
        "bodyType": if t.body.is_empty() { "empty" } else { "rawHtml" },
        "_links": links,
    });
    if style == TemplateBodyStyle::Inline {
        item["body"] = json!(t.body);
    }
    item
}

#[derive(serde::Deserialize)]
pub(super) struct Paging {
    page: Option<usize>,
    per_page: Option<usize>,
}

/// A page of templates: `items`, `pageSize`, `itemsCount`, `currentPage`, `pagesCount`, and a
/// `next` link while pages remain (`templates_page_size`, else one page of everything).
pub(super) async fn list_templates(
    State(state): State<Shared>,
    Path(account): Path<i64>,
    Query(paging): Query<Paging>,
) -> Json<Value> {
    let sim = lock(&state);
    let origin = sim.faults.foreign_link_origin.clone().unwrap_or_default();
    let all: Vec<&crate::state::Template> = sim.templates.values().collect();
    let size = sim
        .faults
        .templates_page_size
        .or(paging.per_page)
        .unwrap_or(200)
        .max(1);
    let pages = all.len().div_ceil(size).max(1);
    let page = paging.page.unwrap_or(1).clamp(1, pages);
    let items: Vec<Value> = all
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|t| template_json(t, account, &origin, sim.faults.template_body))
        .collect();
    let mut links = vec![
        json!({ "href": format!("/accounts/{account}/templates?page={page}&per_page={size}"), "rel": "self" }),
    ];
    if page < pages {
        links.push(json!({
            "href": format!("/accounts/{account}/templates?page={}&per_page={size}", page + 1),
            "description": "Next page",
            "rel": "next",
        }));
    }
    Json(json!({
        "items": items,
        "pageSize": size,
        "itemsCount": all.len(),
        "currentPage": page,
        "pagesCount": pages,
        "_links": links,
    }))
}

pub(super) async fn get_template(
    State(state): State<Shared>,
    Path((account, id)): Path<(i64, String)>,
) -> Response {
    let sim = lock(&state);
    let origin = sim.faults.foreign_link_origin.clone().unwrap_or_default();
    match sim.templates.get(&id) {
        Some(t) => {
            Json(template_json(t, account, &origin, sim.faults.template_body)).into_response()
        }
        None => problem(StatusCode::NOT_FOUND, "Template not found."),
    }
}

/// `GET .../templates/{id}/body`: `{name, html, _links}`, as Doppler's template-body model.
pub(super) async fn template_body(
    State(state): State<Shared>,
    Path((_, id)): Path<(i64, String)>,
) -> Response {
    let sim = lock(&state);
    match sim.templates.get(&id) {
        Some(t) => Json(json!({ "name": t.name, "html": t.body, "_links": [] })).into_response(),
        None => problem(StatusCode::NOT_FOUND, "Template not found."),
    }
}

/// `PUT .../templates/{id}/body {"html": ...}`: how Doppler's web app writes a body.
pub(super) async fn put_template_body(
    State(state): State<Shared>,
    Path((_, id)): Path<(i64, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return problem(StatusCode::BAD_REQUEST, "The body must be JSON.");
    };
    let Some(html) = body.get("html").and_then(Value::as_str) else {
        return problem_with(
            StatusCode::BAD_REQUEST,
            "Validation error: html is required.",
            json!({ "errorCode": 3, "errors": [{ "key": "html", "detail": "The html field is required." }] }),
        );
    };
    let mut sim = lock(&state);
    match sim.templates.get_mut(&id) {
        Some(t) => {
            t.body = html.to_string();
            Json(json!({ "message": "Template successfully updated", "_links": [] }))
                .into_response()
        }
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
        // Doppler takes the metadata here and the HTML through `PUT .../body`.
        "",
    );
    let location = format!("/accounts/{account}/templates/{id}");
    (
        StatusCode::CREATED,
        [(header::LOCATION, location.clone())],
        Json(json!({ "createdResourceId": id, "message": "Template successfully created", "_links": [{ "href": location, "rel": "/docs/rels/get-template" }] })),
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
