//! Doppler's send endpoints: a template message and a plain message, checked as Doppler
//! checks them, charged to the quota, and remembered.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Duration, Utc};
use serde_json::{json, Map, Value};

use super::{lock, problem, problem_with, text_field};
use crate::state::{ReceivedMessage, Sim};
use crate::Shared;

pub(super) fn valid_address(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.contains(' ')
}

/// The checks Doppler makes on any send: a sender, recipients, valid addresses.
// The refusal is the handler's answer itself; boxing it would only add noise.
#[allow(clippy::result_large_err)]
pub(super) fn validate_send(body: &Value) -> Result<Vec<String>, Response> {
    if text_field(body, "from_email").is_none() {
        return Err(problem_with(
            StatusCode::BAD_REQUEST,
            "Validation error: from_email is required.",
            json!({ "errorCode": 7, "errors": [{ "key": "from_email", "detail": "The from_email field is required." }] }),
        ));
    }
    let recipients: Vec<String> = body
        .get("recipients")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter(|r| r.get("type").and_then(Value::as_str).unwrap_or("to") == "to")
                .filter_map(|r| {
                    r.get("email")
                        .and_then(Value::as_str)
                        .map(|e| e.trim().to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    if recipients.is_empty() {
        return Err(problem_with(
            StatusCode::BAD_REQUEST,
            "Validation error: at least one recipient is required.",
            json!({ "errorCode": 7, "errors": [{ "key": "recipients", "detail": "At least one recipient is required." }] }),
        ));
    }
    // Doppler reads `base64_content`, `filename` and `type` (docs/doppler.md): a file under
    // other names would be dropped, so the stand-in refuses it loudly instead.
    let attachments = body
        .get("attachments")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, attachment) in attachments.iter().enumerate() {
        for field in ["base64_content", "filename"] {
            let given = attachment.get(field).and_then(Value::as_str).unwrap_or("");
            let readable = field != "base64_content" || base64_decodes(given);
            if given.trim().is_empty() || !readable {
                return Err(problem_with(
                    StatusCode::BAD_REQUEST,
                    &format!("Validation error: attachments[{i}].{field} is required."),
                    json!({ "errorCode": 3, "errors": [{
                        "key": format!("attachments[{i}].{field}"),
                        "detail": format!("The {field} field is required (base64 content, file name)."),
                    }] }),
                ));
            }
        }
    }
    if let Some(bad) = recipients.iter().find(|e| !valid_address(e)) {
        return Err(problem_with(
            StatusCode::BAD_REQUEST,
            &format!("Validation error: invalid recipient email '{bad}'."),
            json!({ "errorCode": 7, "errors": [{ "key": "recipients[0].email", "detail": "Invalid email address." }] }),
        ));
    }
    Ok(recipients)
}

/// 401/403 when told to refuse sends; 402 once the quota is used up; otherwise counts this
/// send.
#[allow(clippy::result_large_err)]
pub(super) fn charge_quota(sim: &mut Sim) -> Result<(), Response> {
    if let Some(status) = sim
        .faults
        .send_auth_status
        .and_then(|s| StatusCode::from_u16(s).ok())
    {
        return Err(problem_with(
            status,
            "The API key is not valid for this account.",
            json!({
                "errorCode": 2,
                "title": "Authentication error",
                "type": format!("/docs/errors/{}.2-authentication-error", status.as_u16()),
            }),
        ));
    }
    if let Some(limit) = sim.faults.quota_after {
        if sim.accepted_sends >= limit {
            if sim.faults.quota_body == crate::faults::QuotaBody::Bare {
                return Err(problem(StatusCode::PAYMENT_REQUIRED, "Payment Required."));
            }
            let reset = (Utc::now() + Duration::days(3))
                .format("%Y-%m-%dT00:00:00Z")
                .to_string();
            return Err(problem_with(
                StatusCode::PAYMENT_REQUIRED,
                "Delivery quota exceeded.",
                json!({
                    "errorCode": 1,
                    "resetDate": reset,
                    "deliveriesCount": sim.accepted_sends,
                    "limit": limit,
                    "period": "monthly",
                }),
            ));
        }
    }
    sim.accepted_sends += 1;
    Ok(())
}

pub(super) fn accepted(sim: &mut Sim, account: i64, message: ReceivedMessage) -> Response {
    let id = message.message_id.clone();
    let destination = message.recipients.clone();
    sim.messages.push(message);
    let location = format!("/accounts/{account}/messages/{id}");
    let body = if sim.faults.omit_message_id {
        json!({ "destinationEmails": destination })
    } else {
        json!({
            "createdResourceId": id,
            "destinationEmails": destination,
            "_links": [{ "href": location, "rel": "/docs/rels/get-message" }],
        })
    };
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response()
}

/// Whether `text` is standard base64 (padding optional, line breaks tolerated).
fn base64_decodes(text: &str) -> bool {
    let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    !clean.is_empty()
        && clean.len() % 4 != 1
        && clean
            .trim_end_matches('=')
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/')
}

pub(super) fn attachment_names(body: &Value) -> Vec<String> {
    body.get("attachments")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|a| {
                    a.get("filename")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default()
}

pub(super) async fn send_with_template(
    State(state): State<Shared>,
    Path((account, template_id)): Path<(i64, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return problem(StatusCode::BAD_REQUEST, "The body must be JSON.");
    };
    let recipients = match validate_send(&body) {
        Ok(r) => r,
        Err(response) => return response,
    };
    let mut sim = lock(&state);
    let Some(template) = sim.templates.get(&template_id).cloned() else {
        return problem(StatusCode::NOT_FOUND, "Template not found.");
    };
    if let Err(response) = charge_quota(&mut sim) {
        return response;
    }
    let variables: Map<String, Value> = body["recipients"][0]
        .get("model")
        .or_else(|| body.get("model"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let message = ReceivedMessage {
        message_id: sim.new_id(),
        kind: "template".into(),
        template_id: Some(template_id),
        recipient: recipients[0].clone(),
        recipients,
        subject: text_field(&body, "subject")
            .unwrap_or(&template.subject)
            .to_string(),
        from_email: text_field(&body, "from_email")
            .unwrap_or_default()
            .to_string(),
        from_name: text_field(&body, "from_name")
            .unwrap_or_default()
            .to_string(),
        variables,
        attachments: attachment_names(&body),
        received_at: Utc::now(),
    };
    accepted(&mut sim, account, message)
}

pub(super) async fn send_message(
    State(state): State<Shared>,
    Path(account): Path<i64>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return problem(StatusCode::BAD_REQUEST, "The body must be JSON.");
    };
    let recipients = match validate_send(&body) {
        Ok(r) => r,
        Err(response) => return response,
    };
    if text_field(&body, "html").is_none() && text_field(&body, "text").is_none() {
        return problem_with(
            StatusCode::BAD_REQUEST,
            "Validation error: html or text content is required.",
            json!({ "errorCode": 7, "errors": [{ "key": "html" }] }),
        );
    }
    let mut sim = lock(&state);
    if let Err(response) = charge_quota(&mut sim) {
        return response;
    }
    let message = ReceivedMessage {
        message_id: sim.new_id(),
        kind: "message".into(),
        template_id: None,
        recipient: recipients[0].clone(),
        recipients,
        subject: text_field(&body, "subject").unwrap_or_default().to_string(),
        from_email: text_field(&body, "from_email")
            .unwrap_or_default()
            .to_string(),
        from_name: text_field(&body, "from_name")
            .unwrap_or_default()
            .to_string(),
        variables: Map::new(),
        attachments: attachment_names(&body),
        received_at: Utc::now(),
    };
    accepted(&mut sim, account, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(attachments: Value) -> Result<Vec<String>, u16> {
        validate_send(&json!({
            "from_email": "a@example.com",
            "recipients": [{ "email": "b@example.com", "type": "to" }],
            "attachments": attachments,
        }))
        .map_err(|r| r.status().as_u16())
    }

    #[test]
    fn attachments_need_dopplers_field_names() {
        assert!(send(json!([{ "base64_content": "JVBERi0xLjQ=", "filename": "a.pdf", "type": "application/pdf" }])).is_ok());
        assert_eq!(
            send(json!([{ "content": "JVBERi0xLjQ=", "name": "a.pdf" }])),
            Err(400)
        );
        assert_eq!(
            send(json!([{ "content": "JVBERi0xLjQ=", "filename": "a.pdf" }])),
            Err(400)
        );
        assert_eq!(
            send(json!([{ "base64_content": "not base64!", "filename": "a.pdf" }])),
            Err(400)
        );
    }
}
