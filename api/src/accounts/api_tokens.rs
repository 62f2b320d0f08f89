//! Personal API tokens for scripts, as people ask for them: their own (created only with
//! their password, asked again), and anyone's for `users.manage` (within what they may
//! manage). Each change is audited here, where it is made.

use relay_types::{ApiToken, AuditAction, CreateApiToken, CreatedApiToken};
use secrecy::SecretString;
use serde_json::json;

use super::{privileges, users};
use crate::audit::{self, Target};
use crate::auth::{login, tokens, CurrentUser};
use crate::error::{AppError, AppResult};
use crate::services::Services;

/// The caller's tokens (never their secrets).
pub async fn list_own(services: &Services, user: &CurrentUser) -> AppResult<Vec<ApiToken>> {
    let items = tokens::list_api_tokens(&services.db, user.id).await?;
    Ok(items.into_iter().map(ApiToken::from).collect())
}

/// A token for the caller, once their password is confirmed (a sign-in attempt for the
/// throttle). It expires after `expires_in_days` (default `API_TOKEN_DEFAULT_DAYS`); only
/// superusers may ask for none. The secret is in this answer only.
pub async fn create_own(
    services: &Services,
    user: &CurrentUser,
    ip: Option<String>,
    request: CreateApiToken,
) -> AppResult<CreatedApiToken> {
    let expires_at =
        tokens::api_token_expiry(&services.config, user.is_superuser, request.expires_in_days)?;
    let account = users::find(&services.db, user.id).await?;
    let password = SecretString::from(request.password);
    login::confirm_password(&services.db, &services.hasher, &account, password, ip).await?;
    let (model, secret) =
        tokens::create_api_token(&services.db, user.id, &request.name, expires_at).await?;
    audit::record(
        &services.db.conn,
        &user.actor(),
        AuditAction::TokensCreate,
        Some(Target::new("api_token", model.id)),
        json!({ "name": model.name, "expires_at": model.expires_at }),
    )
    .await?;
    Ok(CreatedApiToken {
        token: model.into(),
        secret,
    })
}

/// Revokes one of the caller's tokens (404 when it is not theirs).
pub async fn revoke_own(services: &Services, user: &CurrentUser, id: i64) -> AppResult<()> {
    revoke(services, user, user.id, id, json!({})).await
}

/// A user's tokens, for someone who may manage them (a superuser's only for superusers).
pub async fn list_of(services: &Services, by: &CurrentUser, id: i64) -> AppResult<Vec<ApiToken>> {
    let target = users::find(&services.db, id).await?;
    privileges::check_may_manage(by, &target)?;
    let items = tokens::list_api_tokens(&services.db, id).await?;
    Ok(items.into_iter().map(ApiToken::from).collect())
}

/// Revokes a user's token, for someone who may change their credentials.
pub async fn revoke_of(
    services: &Services,
    by: &CurrentUser,
    id: i64,
    token_id: i64,
) -> AppResult<()> {
    let target = users::find(&services.db, id).await?;
    privileges::check_may_change_credentials(&services.db, by, &target).await?;
    revoke(services, by, id, token_id, json!({ "user_id": id })).await
}

async fn revoke(
    services: &Services,
    by: &CurrentUser,
    owner: i64,
    token_id: i64,
    details: serde_json::Value,
) -> AppResult<()> {
    if !tokens::revoke_api_token(&services.db, owner, token_id).await? {
        return Err(AppError::not_found(
            "Token no encontrado.",
            "Token not found.",
        ));
    }
    audit::record(
        &services.db.conn,
        &by.actor(),
        AuditAction::TokensRevoke,
        Some(Target::new("api_token", token_id)),
        details,
    )
    .await?;
    Ok(())
}
