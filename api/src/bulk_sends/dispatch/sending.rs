//! Sending one claimed recipient: waiting for a turn under the rate limits, the request,
//! and what its answer means for the row and for the whole send.

use std::sync::atomic::Ordering;

use serde_json::{Map, Value};
use tokio::time::Instant;

use super::{Dispatch, Halt, RATE_LIMITED_TRIES, UNREACHABLE_TRIES};
use crate::recipients::ledger::{Claimed, Finish};
use crate::relay::payload::TemplateMessage;
use crate::relay::SendOutcome;

/// The name Doppler shows for a recipient: a name-like variable when the file has one.
fn recipient_name(variables: &Map<String, Value>) -> String {
    const KEYS: [&str; 5] = [
        "nombres",
        "nombre",
        "name",
        "nombre_completo",
        "nombres_completos",
    ];
    variables
        .iter()
        .find(|(k, _)| KEYS.contains(&k.to_lowercase().as_str()))
        .and_then(|(_, v)| v.as_str())
        .unwrap_or_default()
        .to_string()
}

impl Dispatch {
    /// Waits for the rate limits and any 429 back-off; false when the send was stopped.
    pub(super) async fn wait_turn(&self) -> bool {
        loop {
            let until = *self.backoff_until.lock().unwrap_or_else(|p| p.into_inner());
            match until {
                Some(at) if at > Instant::now() => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => continue,
                        _ = self.stop.cancelled() => return false,
                    }
                }
                _ => break,
            }
        }
        // The account's limits, shared with every other send and message (`send_budget`).
        tokio::select! {
            ready = self.services.budget.until_ready() => {
                if let Err(err) = ready {
                    tracing::warn!(error = %err, "the send budget could not be read; waiting");
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    return !self.stop.is_cancelled() && Box::pin(self.wait_turn()).await;
                }
            }
            _ = self.stop.cancelled() => return false,
        }
        !self.stop.is_cancelled()
    }

    fn halt(&self, reason: Halt) {
        let mut halt = self.halt.lock().unwrap_or_else(|p| p.into_inner());
        halt.get_or_insert(reason);
        self.stop.cancel();
    }

    pub(super) async fn send_one(&self, row: Claimed) {
        let mut model = row.variables.clone();
        model.insert(self.email_column.clone(), Value::String(row.email.clone()));
        let message = TemplateMessage::to_one(
            &self.template_id,
            self.from.clone(),
            &self.subject,
            &row.email,
            &recipient_name(&row.variables),
            &model,
            self.attachments.clone(),
        );
        let tz = self.services.config.time_zone;
        let mut tries = 0u32;
        let end = loop {
            tries += 1;
            let outcome = self.services.relay.send_template(&message).await;
            metrics::counter!("relay_sends_total", "outcome" => outcome.label()).increment(1);
            match outcome {
                SendOutcome::Sent { message_id } => break Finish::Sent { message_id },
                SendOutcome::Rejected { code, message } => break Finish::Failed { code, message },
                SendOutcome::Ambiguous { code, message } => {
                    break Finish::Ambiguous { code, message }
                }
                SendOutcome::CredentialsRefused { status } => {
                    self.halt(Halt::Credentials(status));
                    break Finish::Released {
                        code: crate::error::ErrorCode::RelayCredentials.as_str().into(),
                        message: crate::relay::credentials_es(status),
                    };
                }
                SendOutcome::QuotaExceeded(quota) => {
                    let message = quota.message_es(tz);
                    self.halt(Halt::Quota(quota));
                    break Finish::Released {
                        code: "doppler_quota_exceeded".into(),
                        message,
                    };
                }
                SendOutcome::NotSent {
                    code,
                    message,
                    retry_after,
                } => {
                    let unreachable = code == "connection_refused";
                    let limit = if unreachable {
                        UNREACHABLE_TRIES
                    } else {
                        RATE_LIMITED_TRIES
                    };
                    if tries >= limit || self.stop.is_cancelled() {
                        if unreachable && tries >= limit {
                            self.halt(Halt::Unreachable(message.clone()));
                        }
                        break Finish::Released { code, message };
                    }
                    {
                        let mut until =
                            self.backoff_until.lock().unwrap_or_else(|p| p.into_inner());
                        let wanted = Instant::now() + retry_after;
                        if until.is_none_or(|at| at < wanted) {
                            *until = Some(wanted);
                        }
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(retry_after) => {}
                        _ = self.stop.cancelled() => break Finish::Released { code, message },
                    }
                }
            }
        };
        tracing::debug!(
            bulk_send = self.bulk_id,
            row = row.row_number,
            domain = row.email_normalized.rsplit('@').next().unwrap_or(""),
            key = %row.idempotency_key,
            outcome = ?end,
            "recipient"
        );
        let sent = self
            .results
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(|results| results.send((row.id, end)).is_ok());
        if !sent {
            self.unrecorded.store(true, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recipient_name_comes_from_a_name_column() {
        let v = serde_json::json!({ "Nombres": "Ana", "deuda": "1" });
        assert_eq!(recipient_name(v.as_object().unwrap()), "Ana");
        assert_eq!(recipient_name(&Map::new()), "");
    }
}
