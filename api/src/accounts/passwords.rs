//! Passwords of accounts: one's own changed (the current one confirms it, throttled like a
//! sign-in), and an administrator's reset of someone else's, which the owner must replace at
//! the next sign-in and is told about by e-mail.

use chrono::Utc;
use relay_types::{AuditAction, ChangePassword, TokenResponse};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel, TransactionTrait};
use secrecy::SecretString;
use serde_json::json;

use super::users;
use crate::audit::{self, Target};
use crate::auth::password;
use crate::auth::{login, tokens, CurrentUser};
use crate::entities::user;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::relay::payload::{MessageRecipient, PlainMessage};
use crate::services::Services;

/// The policy for `user`'s new password: its name and address do not make it stronger.
pub fn check_new(password: &str, field: &str, user: &user::Model) -> AppResult<()> {
    let local = user.email.split('@').next().unwrap_or_default();
    password::check_policy(
        password,
        field,
        &[&user.username, &user.first_name, &user.last_name, local],
    )
}

/// A signed-in user replaces their own password (their current one confirms it). Every
/// other session and API token of the account ends; the answer is this session's new pair.
pub async fn change_own(
    services: &Services,
    by: &CurrentUser,
    input: ChangePassword,
) -> AppResult<TokenResponse> {
    let db = &services.db;
    let account = users::find(db, by.id).await?;
    login::confirm_password(
        db,
        &services.hasher,
        &account,
        SecretString::from(input.current_password.clone()),
        by.ip.clone(),
    )
    .await
    .map_err(|err| match err.code {
        ErrorCode::AuthPasswordConfirmationFailed => err.field("current_password"),
        _ => err,
    })?;
    check_new(&input.new_password, "new_password", &account)?;
    if input.new_password == input.current_password {
        return Err(AppError::invalid(
            "new_password",
            ErrorCode::PasswordUnchanged,
            "La nueva contraseña debe ser distinta de la actual.",
            "The new password must differ from the current one.",
        ));
    }
    let hash = services
        .hasher
        .hash(SecretString::from(input.new_password))
        .await?;
    let txn = db.conn.begin().await?;
    let mut active = account.clone().into_active_model();
    active.password_hash = Set(hash);
    active.password_change_required = Set(false);
    active.updated_at = Set(Utc::now());
    active.update(&txn).await?;
    tokens::end_everything(&txn, account.id).await?;
    audit::record(
        &txn,
        &by.actor(),
        AuditAction::UsersPasswordChange,
        Some(Target::new("user", account.id)),
        json!({ "was_required": account.password_change_required, "sessions_ended": true }),
    )
    .await?;
    txn.commit().await?;
    let account = users::find(db, by.id).await?;
    tokens::issue_pair(db, &services.config, &account, None).await
}

/// Whether [`notify_reset`] can reach the owner of `account`.
pub fn can_notify(services: &Services, account: &user::Model) -> bool {
    services.relay.is_configured()
        && !services.config.relay.from_email.is_empty()
        && !account.email.is_empty()
}

/// Tells the owner of an account that an administrator set a new password for it, when the
/// deployment can send mail (a Doppler account and `DOPPLER_RELAY_FROM_EMAIL`) and the
/// account has an address. Sent in the background: the reset does not wait for Doppler.
pub fn notify_reset(services: &Services, account: &user::Model, by: &CurrentUser) {
    if !can_notify(services, account) {
        return;
    }
    let relay = &services.config.relay;
    let when = Utc::now()
        .with_timezone(&services.config.time_zone)
        .format("%d/%m/%Y %H:%M");
    let (name, username, admin) = (account.display_name(), &account.username, &by.username);
    let text = format!(
        "Hola {name}:\n\nEl administrador '{admin}' estableció una nueva contraseña para su cuenta \
         '{username}' de Relay Console el {when}. Al iniciar sesión deberá elegir una propia. \
         Si no lo esperaba, avise de inmediato a su administrador.\n\n---\n\n\
         Hello {name},\n\nThe administrator '{admin}' set a new password for your Relay Console \
         account '{username}' on {when}. You will choose your own when you next sign in. If you \
         did not expect this, tell your administrator at once.\n"
    );
    let message = PlainMessage {
        from_email: relay.from_email.clone(),
        from_name: Some(relay.from_name.clone()).filter(|n| !n.is_empty()),
        subject:
            "Su contraseña de Relay Console fue cambiada / Your Relay Console password was changed"
                .into(),
        recipients: vec![MessageRecipient {
            kind: "to",
            email: account.email.clone(),
            name: name.clone(),
        }],
        html: None,
        text: Some(text),
        attachments: Vec::new(),
    };
    let client = services.relay.clone();
    let user_id = account.id;
    tokio::spawn(async move {
        let outcome = client.send_message(&message).await;
        tracing::info!(
            user = user_id,
            outcome = outcome.label(),
            "password reset notice sent"
        );
    });
}
