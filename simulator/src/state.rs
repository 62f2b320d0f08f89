//! What the simulator remembers: templates, received messages, the request log and
//! report requests.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::faults::Faults;
use crate::SimConfig;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Template {
    pub id: String,
    pub name: String,
    pub subject: String,
    pub from_email: String,
    pub from_name: String,
    pub body: String,
}

/// A template to start with.
#[derive(Debug, Clone)]
pub struct SeedTemplate {
    pub name: &'static str,
    pub subject: &'static str,
    pub body: &'static str,
}

/// One message the simulator accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceivedMessage {
    pub message_id: String,
    /// `template` for `/templates/{id}/message`, `message` for `/messages`.
    pub kind: String,
    pub template_id: Option<String>,
    /// The first `to` recipient.
    pub recipient: String,
    pub recipients: Vec<String>,
    pub subject: String,
    pub from_email: String,
    pub from_name: String,
    pub variables: serde_json::Map<String, serde_json::Value>,
    pub attachments: Vec<String>,
    pub received_at: DateTime<Utc>,
}

/// Every API call that reached the simulator and how it was answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub at: DateTime<Utc>,
    pub method: String,
    pub path: String,
    pub recipient: Option<String>,
    /// The status code answered, or `timeout` / `dropped`.
    pub outcome: String,
}

#[derive(Debug, Clone)]
pub struct ReportRequest {
    pub id: String,
    pub resource: String,
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub ready_at: DateTime<Utc>,
}

pub struct Sim {
    pub api_key: String,
    pub account_id: i64,
    pub seed: u64,
    pub faults: Faults,
    pub templates: BTreeMap<String, Template>,
    pub messages: Vec<ReceivedMessage>,
    pub requests: Vec<RequestRecord>,
    pub reports: HashMap<String, ReportRequest>,
    pub accepted_sends: u64,
    /// When set, every report downloads this CSV instead of one built from the messages.
    pub canned_report: Option<String>,
    next_report: u64,
    pub rng: StdRng,
}

impl Sim {
    pub fn new(config: &SimConfig) -> Sim {
        let mut sim = Sim {
            api_key: config.api_key.clone(),
            account_id: config.account_id,
            seed: config.seed,
            faults: config.faults.clone(),
            templates: BTreeMap::new(),
            messages: Vec::new(),
            requests: Vec::new(),
            reports: HashMap::new(),
            accepted_sends: 0,
            canned_report: None,
            next_report: 1000,
            rng: StdRng::seed_from_u64(config.seed),
        };
        if config.seed_templates {
            for seed in seed_templates() {
                sim.add_template(
                    seed.name,
                    seed.subject,
                    "cobranzas@example.com",
                    "Equipo Cobranza",
                    seed.body,
                );
            }
        }
        sim
    }

    /// A GUID-like id, deterministic for a given seed.
    pub fn new_id(&mut self) -> String {
        let bytes: [u8; 16] = self.rng.r#gen();
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }

    pub fn next_report_id(&mut self) -> String {
        self.next_report += 1;
        self.next_report.to_string()
    }

    pub fn add_template(
        &mut self,
        name: &str,
        subject: &str,
        from_email: &str,
        from_name: &str,
        body: &str,
    ) -> String {
        let id = self.new_id();
        self.templates.insert(
            id.clone(),
            Template {
                id: id.clone(),
                name: name.into(),
                subject: subject.into(),
                from_email: from_email.into(),
                from_name: from_name.into(),
                body: body.into(),
            },
        );
        id
    }
}

/// Realistic collection templates, with the variables of the production CSVs.
pub fn seed_templates() -> Vec<SeedTemplate> {
    vec![
        SeedTemplate {
            name: "Descuento en su deuda",
            subject: "Descuento en su deuda",
            body: r#"<html><body style="font-family: Arial, sans-serif; color: #222">
<h2>Estimado/a {{nombres}}</h2>
<p>Le informamos que su deuda pendiente de <strong>${{deuda}}</strong> registrada con la identificación {{identificacion}} tiene un descuento especial de <strong>${{descuento}}</strong>.</p>
<p>Pague solo <strong style="color:#0a7d32">${{total_a_pagar}}</strong> y regularice su situación hoy.</p>
<p>Atentamente,<br>Equipo de Cobranzas</p>
</body></html>"#,
        },
        SeedTemplate {
            name: "Recordatorio de pago",
            subject: "Recordatorio de pago pendiente",
            body: r#"<html><body style="font-family: Arial, sans-serif">
<p>Hola {{nombres}},</p>
<p>Le recordamos que mantiene un saldo de ${{deuda}}. El valor total a pagar es <b>${{total_a_pagar}}</b>.</p>
<p>Si ya realizó el pago, por favor ignore este mensaje.</p>
</body></html>"#,
        },
        SeedTemplate {
            name: "Aviso legal de mora",
            subject: "Notificación de proceso de cobro",
            body: r#"<html><body style="font-family: Georgia, serif">
<p>Señor(a) {{nombres}} (C.I. {{identificacion}}):</p>
<p>Su obligación {{producto}} registra {{dias_mora}} días de mora. Comuníquese con {{nombre_abogado}} al {{telf_abg}} o por WhatsApp: {{{wapi_abg}}}</p>
</body></html>"#,
        },
    ]
}
