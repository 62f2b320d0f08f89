//! What the OpenAPI document states beyond each handler's own annotation, applied in one
//! place so that no operation can forget it:
//!
//! - the error answers the framework gives to any request of a kind (a bad `Host` or
//!   malformed request: 400; no token: 401; a JSON body over the limit, of another type or
//!   invalid: 413, 415, 422; an unknown id: 404; a bad query parameter: 422);
//! - links from each operation that creates something to the operations that use its id,
//!   so that a generic client (or a fuzzer) can follow them;
//! - that signing out takes its body only optionally.

use serde_json::{json, Map, Value};
use utoipa::openapi::OpenApi;
use utoipa::IntoResponses;

use super::responses::{BadRequest, Invalid, NotFound, TooLarge, Unauthorized, Unsupported};

/// (operation that creates, its status, where the new id is, operations that take it as
/// their path parameter `param`).
const LINKS: &[(&str, &str, &str, &str, &[&str])] = &[
    (
        "create_bulk_send",
        "201",
        "$response.body#/id",
        "id",
        &[
            "get_bulk_send",
            "list_recipients",
            "export_recipients_csv",
            "queue_bulk_send",
            "pause_bulk_send",
            "resume_bulk_send",
            "cancel_bulk_send",
            "resolve_ambiguous_recipients",
            "get_campaign_report",
            "export_campaign_report_csv",
            "refresh_campaign_report",
        ],
    ),
    (
        "upload_attachment",
        "201",
        "$response.body#/id",
        "id",
        &["get_attachment", "download_attachment", "delete_attachment"],
    ),
    (
        "create_group",
        "201",
        "$response.body#/id",
        "id",
        &["get_group", "update_group", "delete_group"],
    ),
    (
        "create_user",
        "201",
        "$response.body#/id",
        "id",
        &[
            "get_user",
            "update_user",
            "set_user_groups",
            "set_user_permissions",
            "list_user_tokens",
        ],
    ),
    (
        "create_sender",
        "201",
        "$response.body#/id",
        "id",
        &["get_sender", "update_sender", "delete_sender"],
    ),
    (
        "create_template",
        "201",
        "$response.body#/id",
        "template_id",
        &[
            "get_template",
            "update_template",
            "delete_template",
            "preview_template",
        ],
    ),
    (
        "create_token",
        "201",
        "$response.body#/token/id",
        "id",
        &["revoke_token"],
    ),
    (
        "send_message",
        "201",
        "$response.body#/id",
        "id",
        &["get_message", "resolve_message"],
    ),
    (
        "request_report",
        "201",
        "$response.body#/id",
        "id",
        &[
            "get_report",
            "download_report",
            "load_report",
            "retry_report",
        ],
    ),
    (
        "list_jobs",
        "200",
        "$response.body#/items/0/id",
        "id",
        &["get_job", "retry_job"],
    ),
    ("retry_job", "201", "$response.body#/id", "id", &["get_job"]),
];

/// The document as the handlers declare it, completed with the rules above. As JSON:
/// some rules (`anyOf` beside `properties`) are beyond utoipa's model of a schema.
pub fn complete(openapi: OpenApi) -> Value {
    let mut doc = serde_json::to_value(&openapi).unwrap_or_default();
    add_framework_errors(&mut doc);
    share_the_problem_schema(&mut doc);
    add_links(&mut doc);
    make_bodies_optional(&mut doc);
    doc
}

fn responses_of<R: IntoResponses>() -> Map<String, Value> {
    R::responses()
        .into_iter()
        .filter_map(|(status, response)| Some((status, serde_json::to_value(response).ok()?)))
        .collect()
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn operations(doc: &mut Value) -> impl Iterator<Item = &mut Map<String, Value>> {
    doc["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|item| {
            item.iter_mut()
                .filter(|(method, _)| METHODS.contains(&method.as_str()))
                .filter_map(|(_, operation)| operation.as_object_mut())
        })
}

fn add_framework_errors(doc: &mut Value) {
    let bad_request = responses_of::<BadRequest>();
    let unauthorized = responses_of::<Unauthorized>();
    let not_found = responses_of::<NotFound>();
    let too_large = responses_of::<TooLarge>();
    let unsupported = responses_of::<Unsupported>();
    let invalid = responses_of::<Invalid>();
    for operation in operations(doc) {
        let public = operation
            .get("security")
            .and_then(Value::as_array)
            .is_some_and(|s| s.iter().all(|r| r.as_object().is_some_and(Map::is_empty)));
        let parameters: Vec<String> = operation
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| p["in"].as_str().map(str::to_string))
            .collect();
        let body_types: Vec<String> = operation
            .get("requestBody")
            .and_then(|b| b["content"].as_object())
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default();
        let mut add = vec![&bad_request];
        if !public {
            add.push(&unauthorized);
        }
        if parameters.iter().any(|p| p == "path") {
            add.push(&not_found);
        }
        if parameters.iter().any(|p| p == "query") {
            add.push(&invalid);
        }
        if body_types.iter().any(|t| t == "application/json") {
            add.extend([&too_large, &unsupported, &invalid]);
        }
        if body_types.iter().any(|t| t == "multipart/form-data") {
            add.extend([&too_large, &invalid]);
        }
        let responses = operation
            .entry("responses")
            .or_insert_with(|| json!({}))
            .as_object_mut();
        if let Some(responses) = responses {
            for set in add {
                for (status, response) in set {
                    responses
                        .entry(status.clone())
                        .or_insert_with(|| response.clone());
                }
            }
        }
    }
}

/// Every error answer names one `Problem` schema instead of repeating it inline, so that a
/// generated client has one problem type.
fn share_the_problem_schema(doc: &mut Value) {
    let mut shared = None;
    for operation in operations(doc) {
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        for response in responses.values_mut() {
            if let Some(schema) = response.pointer_mut("/content/application~1problem+json/schema")
            {
                if shared.is_none() {
                    shared = Some(schema.clone());
                }
                *schema = json!({ "$ref": "#/components/schemas/Problem" });
            }
        }
    }
    if let (Some(problem), Some(schemas)) = (
        shared,
        doc.pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut),
    ) {
        schemas.entry("Problem").or_insert(problem);
    }
}

fn add_links(doc: &mut Value) {
    for operation in operations(doc) {
        let Some(id) = operation.get("operationId").and_then(Value::as_str) else {
            continue;
        };
        let links: Vec<_> = LINKS.iter().filter(|(from, ..)| *from == id).collect();
        for (_, status, source, param, targets) in links {
            let Some(response) = operation
                .get_mut("responses")
                .and_then(|r| r.get_mut(*status))
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            let entry = response
                .entry("links")
                .or_insert_with(|| json!({}))
                .as_object_mut();
            if let Some(entry) = entry {
                for target in targets.iter() {
                    entry.insert(
                        target.to_string(),
                        json!({
                            "operationId": target,
                            "parameters": { *param: source },
                        }),
                    );
                }
            }
        }
    }
}

/// Sign-out and refresh take their body only when no session cookie carries the token.
fn make_bodies_optional(doc: &mut Value) {
    for path in [
        "/paths/~1api~1v1~1auth~1logout/post/requestBody",
        "/paths/~1api~1v1~1auth~1refresh/post/requestBody",
    ] {
        if let Some(Value::Object(body)) = doc.pointer_mut(path) {
            body.insert("required".into(), Value::Bool(false));
        }
    }
}
