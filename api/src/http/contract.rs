//! What the OpenAPI document states beyond each handler's own annotation, applied in one
//! place so that no operation can forget it:
//!
//! - the error answers the framework gives to any request of a kind (a bad `Host` or
//!   malformed request: 400; no token: 401; a JSON body over the limit, of another type or
//!   invalid: 413, 415, 422; an unknown id: 404; a bad query parameter: 422);
//! - links from each operation that creates something to the operations that use its id,
//!   read off the paths ([`links`]), so that a generic client (or a fuzzer) can follow them;
//! - that signing out takes its body only optionally.

use serde_json::{json, Map, Value};
use utoipa::openapi::OpenApi;
use utoipa::IntoResponses;

use super::responses::{BadRequest, Invalid, NotFound, TooLarge, Unauthorized, Unsupported};

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

/// A link from an answer holding a new id to an operation that takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub from: String,
    pub status: &'static str,
    /// Where the id is in the answer: `$response.body#/id`.
    pub source: String,
    /// The path parameter it fills.
    pub param: String,
    pub to: String,
}

/// The links, read off the paths rather than listed by hand: an answer `201` anywhere under a
/// collection (`POST /jobs`, `POST /jobs/{id}/retry`) made one of its members, so it links to
/// every operation under `collection/{param}`; a collection with no `POST` of its own (`/jobs`)
/// links from its list's first item too. Where the new id sits comes from the answer's schema (`id`, or
/// one level down: `token.id`).
pub fn links(doc: &Value) -> Vec<Link> {
    // (path, method, operationId, the operation)
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            if let Some(id) = operation["operationId"].as_str() {
                operations.push((path.as_str(), method.as_str(), id, operation));
            }
        }
    }
    // collection -> (its member's parameter, the operations on a member)
    let mut members: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for (path, _, id, _) in &operations {
        let Some((collection, rest)) = path.split_once("/{") else {
            continue;
        };
        let param = rest.split('}').next().unwrap_or_default();
        match members
            .iter_mut()
            .find(|(c, p, _)| *c == collection && *p == param)
        {
            Some((.., ids)) => ids.push(id),
            None => members.push((collection, param, vec![id])),
        }
    }
    let collection_of = |path: &str| path.split_once("/{").map_or(path, |(c, _)| c).to_string();
    let mut links = Vec::new();
    for (collection, param, targets) in &members {
        let creators: Vec<_> = operations
            .iter()
            .filter(|(path, ..)| collection_of(path) == *collection)
            .filter_map(|(_, _, id, operation)| {
                let schema =
                    operation.pointer("/responses/201/content/application~1json/schema")?;
                Some((
                    *id,
                    "201",
                    format!("$response.body#{}", id_pointer(doc, schema)?),
                ))
            })
            .collect();
        let created_here = operations
            .iter()
            .any(|(path, method, ..)| path == collection && *method == "post");
        let listed = operations
            .iter()
            .filter(|(path, method, ..)| !created_here && path == collection && *method == "get")
            .map(|(_, _, id, _)| (*id, "200", "$response.body#/items/0/id".to_string()));
        for (from, status, source) in creators.into_iter().chain(listed) {
            for to in targets {
                links.push(Link {
                    from: from.to_string(),
                    status,
                    source: source.clone(),
                    param: param.to_string(),
                    to: to.to_string(),
                });
            }
        }
    }
    links
}

/// `/id` when the answer's schema has an `id`, `/token/id` when a member of it does.
fn id_pointer(doc: &Value, schema: &Value) -> Option<String> {
    let resolve = |schema: &Value| -> Option<Value> {
        match schema["$ref"].as_str() {
            Some(reference) => doc.pointer(reference.strip_prefix('#')?).cloned(),
            None => Some(schema.clone()),
        }
    };
    let schema = resolve(schema)?;
    let properties = schema["properties"].as_object()?;
    if properties.contains_key("id") {
        return Some("/id".into());
    }
    properties.iter().find_map(|(name, member)| {
        resolve(member)?["properties"]
            .get("id")
            .map(|_| format!("/{name}/id"))
    })
}

fn add_links(doc: &mut Value) {
    let links = links(doc);
    for operation in operations(doc) {
        let Some(id) = operation.get("operationId").and_then(Value::as_str) else {
            continue;
        };
        let from: Vec<_> = links
            .iter()
            .filter(|link| link.from == id)
            .cloned()
            .collect();
        for link in from {
            let Some(response) = operation
                .get_mut("responses")
                .and_then(|r| r.get_mut(link.status))
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            if let Some(entry) = response
                .entry("links")
                .or_insert_with(|| json!({}))
                .as_object_mut()
            {
                entry.insert(
                    link.to.clone(),
                    json!({
                        "operationId": link.to,
                        "parameters": { link.param: link.source },
                    }),
                );
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
