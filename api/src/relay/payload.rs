//! The JSON bodies Doppler Relay takes (legacy 3.3 and 3.4).

use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Address {
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TemplateRecipient {
    pub email: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub model: Map<String, Value>,
}

/// A file carried by a message, as Doppler reads it (`RecipientAttachment` in Doppler's own
/// bulk sender: `base64_content`, `filename`, `type`; docs/doppler.md).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Attachment {
    /// Base64 of the file's bytes.
    pub base64_content: String,
    pub filename: String,
    /// The MIME type, e.g. `application/pdf`.
    #[serde(rename = "type")]
    pub content_type: String,
}

impl Attachment {
    /// A stored attachment and its bytes in base64 (`attachments::read_for_send`).
    pub fn of(file: crate::entities::attachment::Model, base64_content: String) -> Attachment {
        Attachment {
            base64_content,
            filename: file.original_name,
            content_type: match file.content_type.trim() {
                "" => "application/octet-stream".to_string(),
                known => known.to_string(),
            },
        }
    }
}

/// `POST /accounts/{id}/templates/{templateId}/message`: one recipient per call.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TemplateMessage {
    pub from_email: String,
    pub from_name: String,
    pub reply_to: Address,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subject: String,
    #[serde(rename = "templateId")]
    pub template_id: String,
    /// The recipients' variables merged, kept for compatibility.
    pub model: Map<String, Value>,
    pub recipients: Vec<TemplateRecipient>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

impl TemplateMessage {
    /// A message to one recipient. Variables with empty values are dropped, as Doppler
    /// renders a missing variable as empty anyway.
    pub fn to_one(
        template_id: &str,
        from: Address,
        subject: &str,
        recipient_email: &str,
        recipient_name: &str,
        variables: &Map<String, Value>,
        attachments: Vec<Attachment>,
    ) -> TemplateMessage {
        let model: Map<String, Value> = variables
            .iter()
            .filter(|(_, v)| !(v.is_null() || v.as_str().is_some_and(str::is_empty)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        TemplateMessage {
            from_email: from.email.clone(),
            from_name: from.name.clone(),
            reply_to: from,
            subject: subject.to_string(),
            template_id: template_id.to_string(),
            model: model.clone(),
            recipients: vec![TemplateRecipient {
                email: recipient_email.to_string(),
                name: recipient_name.to_string(),
                kind: "to",
                model,
            }],
            attachments,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MessageRecipient {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub email: String,
    pub name: String,
}

/// `POST /accounts/{id}/messages`: a message with its own content.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlainMessage {
    pub from_email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    pub subject: String,
    pub recipients: Vec<MessageRecipient>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A template's fields as this API takes them; Doppler takes the metadata with the template
/// call and the HTML body through `.../body` (docs/doppler.md).
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct TemplateFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    /// The HTML body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl TemplateFields {
    /// The fields the template call takes: everything but the body.
    pub fn metadata(&self) -> TemplateFields {
        TemplateFields {
            body: None,
            ..self.clone()
        }
    }

    pub fn has_metadata(&self) -> bool {
        self.name.is_some()
            || self.subject.is_some()
            || self.from_email.is_some()
            || self.from_name.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn template_message_has_dopplers_shape() {
        let vars = json!({ "nombres": "María Pérez", "deuda": "1200", "vacío": "" });
        let msg = TemplateMessage::to_one(
            "TPL-123",
            Address {
                email: "ops@example.com".into(),
                name: "Equipo Cobranza".into(),
            },
            "Descuento en su deuda",
            "client@example.com",
            "María Pérez",
            vars.as_object().unwrap(),
            vec![Attachment {
                base64_content: "JVBERi0=".into(),
                filename: "estado.pdf".into(),
                content_type: "application/pdf".into(),
            }],
        );
        assert_eq!(
            serde_json::to_value(&msg).unwrap(),
            json!({
                "from_email": "ops@example.com", "from_name": "Equipo Cobranza",
                "reply_to": { "email": "ops@example.com", "name": "Equipo Cobranza" },
                "subject": "Descuento en su deuda",
                "templateId": "TPL-123",
                "model": { "nombres": "María Pérez", "deuda": "1200" },
                "recipients": [{ "email": "client@example.com", "name": "María Pérez", "type": "to",
                                 "model": { "nombres": "María Pérez", "deuda": "1200" } }],
                // Doppler's field names (docs/doppler.md), not `content`/`name`.
                "attachments": [{ "base64_content": "JVBERi0=", "filename": "estado.pdf",
                                  "type": "application/pdf" }]
            })
        );
    }
}
