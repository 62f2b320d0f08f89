//! Single messages (`POST /accounts/{id}/messages`): recorded before the call, so a crash
//! mid-send leaves a visible `sending` row instead of a silent gap, then updated with
//! Doppler's id, or the failure.

mod queries;

use chrono::Utc;
use relay_types::{AuditAction, Email, Message, ResolveAction, SendMessage};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
    TransactionTrait,
};
use serde_json::json;

use crate::attachments;
use crate::audit::{self, Target};
use crate::auth::CurrentUser;
use crate::config::Config;
use crate::db::{is_unique_violation, Db};
use crate::entities::{attachment, message, message_attachment, sender};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::input;
use crate::relay::payload::{Attachment, MessageRecipient, PlainMessage};
use crate::relay::{RelayClient, SendOutcome};
use crate::send_budget::SendBudget;
use crate::senders;
use crate::services::Services;

use queries::{addresses, one};

pub use queries::{find, get, list, MessageFilter};
pub use relay_types::MessageStatus;

/// Times a refused-but-not-sent call (429, unreachable) is tried before giving up.
const SEND_ATTEMPTS: u32 = 3;

/// Every address checked; 422 names the list and position of the first bad one.
fn check_addresses(list: &[Email], field: &str) -> AppResult<Vec<String>> {
    list.iter()
        .enumerate()
        .map(|(i, Email(raw))| {
            input::email(raw).ok_or_else(|| {
                AppError::invalid(
                    format!("{field}[{i}]"),
                    ErrorCode::AddressInvalid,
                    format!("'{raw}' no es una dirección de correo válida."),
                    format!("'{raw}' is not a valid e-mail address."),
                )
            })
        })
        .collect()
}

/// The From of a single message: a chosen identity, an explicit address, the caller's own
/// active identity, or the deployment default.
async fn resolve_from(
    db: &Db,
    config: &Config,
    by: &CurrentUser,
    input: &SendMessage,
) -> AppResult<(Option<i64>, String, String)> {
    if input.sender_id.is_some() {
        let (email, name) = senders::resolve(db, config, by, input.sender_id).await?;
        return Ok((input.sender_id, email, name));
    }
    if let Some(email) = input
        .from_email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        by.require(crate::auth::Permission::SendersManage)?;
        let checked = check_addresses(&[Email(email.to_string())], "from_email").map_err(|e| {
            AppError::invalid(
                "from_email",
                ErrorCode::SenderEmailInvalid,
                e.es.clone(),
                e.en.clone(),
            )
        })?;
        return Ok((
            None,
            checked[0].clone(),
            input
                .from_name
                .clone()
                .unwrap_or_default()
                .trim()
                .to_string(),
        ));
    }
    let own = sender::Entity::find()
        .filter(sender::Column::UserId.eq(by.id))
        .filter(sender::Column::IsActive.eq(true))
        .one(&db.conn)
        .await?;
    if let Some(own) = own {
        return Ok((Some(own.id), own.from_email, own.from_name));
    }
    let (email, name) = senders::resolve(db, config, by, None).await?;
    Ok((None, email, name))
}

/// Most addresses in each of `to`, `cc` and `bcc`.
pub const MAX_ADDRESSES: usize = 50;

fn validate(input: &SendMessage) -> AppResult<()> {
    if input.to.is_empty() {
        return Err(AppError::invalid(
            "to",
            ErrorCode::RecipientsRequired,
            "Indica al menos un destinatario.",
            "Give at least one recipient.",
        ));
    }
    for (field, list) in [("to", &input.to), ("cc", &input.cc), ("bcc", &input.bcc)] {
        if list.len() > MAX_ADDRESSES {
            return Err(AppError::invalid(
                field,
                ErrorCode::TooManyAddresses,
                format!("'{field}' admite hasta {MAX_ADDRESSES} direcciones."),
                format!("'{field}' takes at most {MAX_ADDRESSES} addresses."),
            ));
        }
    }
    input::name(
        &input.subject,
        relay_types::limits::SUBJECT_MAX_CHARS,
        "subject",
        ErrorCode::SubjectRequired,
    )?;
    if input.html.is_empty() {
        return Err(AppError::invalid(
            "html",
            ErrorCode::ContentRequired,
            "El mensaje necesita contenido HTML.",
            "The message needs HTML content.",
        ));
    }
    input::text(&input.html, 200_000, "html")?;
    if let Some(email) = &input.from_email {
        input::email_field(email, "from_email", ErrorCode::SenderEmailInvalid)?;
    }
    if let Some(text) = &input.text {
        input::text(text, 200_000, "text")?;
    }
    if let Some(name) = &input.from_name {
        input::text(name, 255, "from_name")?;
    }
    Ok(())
}

/// The caller's own message with this idempotency key: keys belong to whoever used them.
async fn by_request_id(
    db: &Db,
    by: &CurrentUser,
    request_id: &str,
) -> AppResult<Option<message::Model>> {
    Ok(message::Entity::find()
        .filter(message::Column::CreatedBy.eq(by.id))
        .filter(message::Column::ClientRequestId.eq(request_id))
        .one(&db.conn)
        .await?)
}

/// Sends one message. Answers it and whether it is new (false: an earlier call with the
/// same `client_request_id` already sent it).
pub async fn send(
    services: &Services,
    by: &CurrentUser,
    input: SendMessage,
) -> AppResult<(Message, bool)> {
    let (db, relay, config) = (&services.db, &services.relay, &*services.config);
    let request_id = input
        .client_request_id
        .clone()
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty());
    if let Some(existing) = match &request_id {
        Some(id) => by_request_id(db, by, id).await?,
        None => None,
    } {
        return Ok((one(db, existing).await?, false));
    }
    validate(&input)?;
    let to = check_addresses(&input.to, "to")?;
    let cc = check_addresses(&input.cc, "cc")?;
    let bcc = check_addresses(&input.bcc, "bcc")?;
    let (sender_id, from_email, from_name) = resolve_from(db, config, by, &input).await?;
    let chosen =
        attachments::choose_for_send(db, config, by, &input.attachment_ids, "attachment_ids")
            .await?;
    let files = attachments::read_for_send(config, chosen).await?;
    let html = Some(input.html.clone());
    let text = input.text.clone().filter(|s| !s.trim().is_empty());

    let txn = db.conn.begin().await?;
    let inserted = message::Entity::insert(message::ActiveModel {
        client_request_id: Set(request_id.clone()),
        created_by: Set(Some(by.id)),
        sender_id: Set(sender_id),
        from_email: Set(from_email.clone()),
        from_name: Set(from_name.clone()),
        to_addresses: Set(json!(to)),
        cc_addresses: Set(json!(cc)),
        bcc_addresses: Set(json!(bcc)),
        subject: Set(input.subject.trim().to_string()),
        html: Set(html.clone()),
        text_body: Set(text.clone()),
        status: Set(MessageStatus::Sending),
        relay_message_id: Set(String::new()),
        error_code: Set(String::new()),
        error_message: Set(String::new()),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await;
    let inserted = match inserted {
        Ok(model) => model,
        // Two calls with one request id raced: the other one sends.
        Err(err) if is_unique_violation(&err) => {
            drop(txn);
            let existing = by_request_id(db, by, request_id.as_deref().unwrap_or_default()).await?;
            return match existing {
                Some(m) => Ok((one(db, m).await?, false)),
                None => Err(err.into()),
            };
        }
        Err(err) => return Err(err.into()),
    };
    for (file, _) in &files {
        message_attachment::Entity::insert(message_attachment::ActiveModel {
            message_id: Set(inserted.id),
            attachment_id: Set(file.id),
        })
        .exec(&txn)
        .await?;
    }
    txn.commit().await?;

    let payload = payload_of(&inserted, files);
    // The call to Doppler and the record of its outcome run on their own: a client that
    // hangs up mid-request does not leave the message `sending`.
    let delivery = tokio::spawn(deliver(
        db.clone(),
        relay.clone(),
        services.budget.clone(),
        config.time_zone,
        by.actor(),
        inserted,
        payload,
    ));
    let updated = delivery.await??;
    Ok((one(db, updated).await?, true))
}

/// The Doppler payload of a recorded message.
fn payload_of(m: &message::Model, files: Vec<(attachment::Model, String)>) -> PlainMessage {
    let recipients = [
        ("to", &m.to_addresses),
        ("cc", &m.cc_addresses),
        ("bcc", &m.bcc_addresses),
    ]
    .into_iter()
    .flat_map(|(kind, list)| {
        addresses(list)
            .into_iter()
            .map(move |email| MessageRecipient {
                kind,
                email,
                name: String::new(),
            })
    })
    .collect();
    PlainMessage {
        from_email: m.from_email.clone(),
        from_name: Some(m.from_name.clone()).filter(|n| !n.is_empty()),
        subject: m.subject.clone(),
        recipients,
        html: m.html.clone(),
        text: m.text_body.clone(),
        attachments: files
            .into_iter()
            .map(|(file, content)| Attachment::of(file, content))
            .collect(),
    }
}

/// The longest one refused-but-not-sent call (429, unreachable) makes a message wait.
const RETRY_WAIT_CAP: std::time::Duration = std::time::Duration::from_secs(3);

/// Sends a recorded `sending` message and records the outcome. A refusal of our credentials
/// (401/403) is answered as an error naming the settings, the message recorded as not sent.
async fn deliver(
    db: Db,
    relay: RelayClient,
    budget: SendBudget,
    time_zone: chrono_tz::Tz,
    actor: audit::Actor,
    recorded: message::Model,
    payload: PlainMessage,
) -> AppResult<message::Model> {
    // A single message counts against the account's limits like every send.
    budget.until_ready().await?;
    let mut outcome = relay.send_message(&payload).await;
    for _ in 1..SEND_ATTEMPTS {
        match &outcome {
            // Nothing was sent: waiting and trying again cannot duplicate the message.
            SendOutcome::NotSent { retry_after, .. } => {
                tokio::time::sleep((*retry_after).min(RETRY_WAIT_CAP)).await;
                budget.until_ready().await?;
                outcome = relay.send_message(&payload).await;
            }
            _ => break,
        }
    }
    let mut active = recorded.into_active_model();
    let mut refused = None;
    let (status, code, text) = match outcome {
        SendOutcome::Sent { message_id } => {
            active.relay_message_id = Set(message_id);
            active.sent_at = Set(Some(Utc::now()));
            (MessageStatus::Sent, String::new(), String::new())
        }
        SendOutcome::Rejected { code, message } | SendOutcome::NotSent { code, message, .. } => {
            (MessageStatus::SendFailed, code, message)
        }
        SendOutcome::Ambiguous { code, message } => (MessageStatus::Ambiguous, code, message),
        SendOutcome::QuotaExceeded(q) => (
            MessageStatus::SendFailed,
            "doppler_quota_exceeded".into(),
            q.message_es(time_zone),
        ),
        SendOutcome::CredentialsRefused { status } => {
            refused = Some(status);
            (
                MessageStatus::SendFailed,
                crate::error::ErrorCode::RelayCredentials.as_str().into(),
                crate::relay::credentials_es(status),
            )
        }
    };
    active.status = Set(status);
    active.error_code = Set(code);
    active.error_message = Set(text.chars().take(1000).collect());
    // The outcome and its audit entry commit together.
    let txn = db.conn.begin().await?;
    let updated = active.update(&txn).await?;
    audit::record(
        &txn,
        &actor,
        AuditAction::MessagesSend,
        Some(Target::new("message", updated.id)),
        json!({ "status": updated.status, "recipients": payload.recipients.len(), "relay_message_id": updated.relay_message_id }),
    )
    .await?;
    txn.commit().await?;
    if let Some(status) = refused {
        return Err(AppError::upstream(
            crate::error::ErrorCode::RelayCredentials,
            crate::relay::credentials_es(status),
            crate::relay::credentials_en(status),
        )
        .with("upstream_status", status)
        .with("message_id", updated.id));
    }
    Ok(updated)
}

/// How long a message may honestly stay `sending`: every attempt timing out, with the
/// waits between them, and a margin.
pub fn sending_deadline(config: &Config) -> chrono::Duration {
    let attempts = config.relay.timeout * SEND_ATTEMPTS + RETRY_WAIT_CAP * (SEND_ATTEMPTS - 1);
    chrono::Duration::from_std(attempts).unwrap_or(chrono::Duration::minutes(10))
        + chrono::Duration::seconds(5)
}

/// Messages a crash left `sending` become `ambiguous`: they may have gone out, and an
/// operator decides (mark sent, or resend). Answers how many.
pub async fn recover_stale(db: &Db, config: &Config) -> AppResult<u64> {
    let result = message::Entity::update_many()
        .col_expr(message::Column::Status, Expr::value(MessageStatus::Ambiguous))
        .col_expr(message::Column::ErrorCode, Expr::value("worker_lost"))
        .col_expr(
            message::Column::ErrorMessage,
            Expr::value(
                "El proceso que enviaba se detuvo durante el envío; verifique en Doppler antes de reenviar.",
            ),
        )
        .filter(message::Column::Status.eq(MessageStatus::Sending))
        .filter(message::Column::CreatedAt.lt(Utc::now() - sending_deadline(config)))
        .exec(&db.conn)
        .await?;
    if result.rows_affected > 0 {
        tracing::warn!(
            messages = result.rows_affected,
            "messages left sending by a stopped process are now ambiguous"
        );
    }
    Ok(result.rows_affected)
}

/// An operator settles an ambiguous message: it did go out (`mark_sent`), or it did not and
/// is sent once more (`resend`).
pub async fn resolve(
    services: &Services,
    by: &CurrentUser,
    id: i64,
    action: ResolveAction,
) -> AppResult<Message> {
    let (db, relay, config) = (&services.db, &services.relay, &*services.config);
    let current = find(db, id).await?;
    let to = match action {
        ResolveAction::MarkSent => MessageStatus::Sent,
        ResolveAction::Resend => MessageStatus::Sending,
    };
    // The decision and its audit entry commit together.
    let txn = db.conn.begin().await?;
    let moved = message::Entity::update_many()
        .col_expr(message::Column::Status, Expr::value(to))
        .col_expr(
            message::Column::ErrorMessage,
            Expr::value(match action {
                ResolveAction::MarkSent => format!("Marcado como enviado por {}", by.username),
                ResolveAction::Resend => String::new(),
            }),
        )
        .filter(message::Column::Id.eq(id))
        .filter(message::Column::Status.eq(MessageStatus::Ambiguous))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        return Err(AppError::conflict(
            ErrorCode::MessageNotAmbiguous,
            format!(
                "Solo se resuelve un mensaje ambiguo; este está en '{}'.",
                current.status
            ),
            format!(
                "Only an ambiguous message can be resolved; this one is '{}'.",
                current.status
            ),
        )
        .with("current_status", current.status.as_str()));
    }
    audit::record(
        &txn,
        &by.actor(),
        match action {
            ResolveAction::MarkSent => AuditAction::MessagesMarkSent,
            ResolveAction::Resend => AuditAction::MessagesResend,
        },
        Some(Target::new("message", id)),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    let model = find(db, id).await?;
    if action == ResolveAction::Resend {
        let ids: Vec<i64> = message_attachment::Entity::find()
            .filter(message_attachment::Column::MessageId.eq(id))
            .all(&db.conn)
            .await?
            .into_iter()
            .map(|l| l.attachment_id)
            .collect();
        let chosen = attachment::Entity::find()
            .filter(attachment::Column::Id.is_in(ids))
            .all(&db.conn)
            .await?;
        let files = attachments::read_for_send(config, chosen).await?;
        let payload = payload_of(&model, files);
        let delivery = tokio::spawn(deliver(
            db.clone(),
            relay.clone(),
            services.budget.clone(),
            config.time_zone,
            by.actor(),
            model,
            payload,
        ));
        return one(db, delivery.await??).await;
    }
    one(db, model).await
}
