//! Signing in with a username and password.

use chrono::Utc;
use relay_types::{AuditAction, TokenResponse};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::password::{self, Hasher};
use super::{throttle, tokens, CurrentUser};
use crate::audit::{self, Actor, Target};
use crate::config::Config;
use crate::db::Db;
use crate::entities::user;
use crate::error::{AppError, AppResult, ErrorCode};

/// Longest username accepted anywhere (as the legacy system's).
pub const MAX_USERNAME_CHARS: usize = 150;

/// 422 for a username no account can have, before it is stored or logged anywhere.
pub fn check_username_length(username: &str) -> AppResult<()> {
    if username.chars().count() > MAX_USERNAME_CHARS {
        return Err(AppError::invalid(
            "username",
            ErrorCode::UsernameTooLong,
            format!("El nombre de usuario admite hasta {MAX_USERNAME_CHARS} caracteres."),
            format!("The username takes at most {MAX_USERNAME_CHARS} characters."),
        ));
    }
    Ok(())
}

/// Signs in. `refresh_cookie` is the browser's session cookie, if it sent one: a valid one
/// of this account makes the browser a known client, which the per-username slowdown lets
/// through (see `throttle`).
pub async fn login(
    db: &Db,
    config: &Config,
    hasher: &Hasher,
    username: &str,
    password: SecretString,
    ip: Option<String>,
    refresh_cookie: Option<&str>,
) -> AppResult<(user::Model, TokenResponse)> {
    check_username_length(username)?;
    password::check_length(password.expose_secret(), "password")?;
    let key = username.trim().to_lowercase();
    let found = user::Entity::find()
        .filter(user::Column::UsernameKey.eq(&key))
        .one(&db.conn)
        .await?;
    let known = match (&found, refresh_cookie) {
        (Some(user), Some(cookie)) => {
            tokens::refresh_token_owner(db, cookie).await? == Some(user.id)
        }
        _ => false,
    } || throttle::address_known(&db.conn, &key, ip.as_deref()).await?;
    let attempt = throttle::begin(&db.conn, &key, ip.as_deref()).await?;
    if let Err(refusal) = throttle::check(&db.conn, &key, ip.as_deref(), attempt, known).await {
        throttle::settle(&db.conn, attempt, throttle::LOGIN_THROTTLED, None, "").await?;
        return Err(refusal);
    }

    let matches = match hasher
        .verify(password, found.as_ref().map(|u| u.password_hash.clone()))
        .await
    {
        Ok(matches) => matches,
        Err(busy) => {
            // Not a guess that was checked: it does not count against the user.
            throttle::settle(&db.conn, attempt, throttle::LOGIN_THROTTLED, None, "busy").await?;
            return Err(busy);
        }
    };
    let who = found.as_ref().map(|u| (u.id, u.username.as_str()));
    match &found {
        Some(user) if matches && user.is_active => {
            throttle::settle(&db.conn, attempt, throttle::LOGIN_OK, who, "").await?;
            let mut active = user.clone().into_active_model();
            active.last_login_at = Set(Some(Utc::now()));
            let user = active.update(&db.conn).await?;
            let tokens = tokens::issue_pair(db, config, &user, None).await?;
            Ok((user, tokens))
        }
        other => {
            let reason = match other {
                None => "unknown_user",
                Some(u) if !u.is_active => "inactive",
                Some(_) => "wrong_password",
            };
            throttle::settle(&db.conn, attempt, throttle::LOGIN_FAILED, who, reason).await?;
            // The same answer whatever the reason, so accounts cannot be probed.
            Err(invalid_credentials())
        }
    }
}

pub fn invalid_credentials() -> AppError {
    AppError::unauthorized(
        ErrorCode::AuthInvalidCredentials,
        "Usuario o contraseña incorrectos.",
        "Incorrect username or password.",
    )
}

/// Checks the password of a signed-in user again before a sensitive action (creating an
/// API token, changing their own password); 403 when it is wrong. Counts as a login
/// attempt for the throttle, so a stolen session cannot guess the password at leisure.
pub async fn confirm_password(
    db: &Db,
    hasher: &Hasher,
    user: &user::Model,
    password: SecretString,
    ip: Option<String>,
) -> AppResult<()> {
    password::check_length(password.expose_secret(), "password")?;
    let attempt = throttle::begin(&db.conn, &user.username_key, ip.as_deref()).await?;
    // Signed in already: a known client, held to the per-address limits only.
    if let Err(refusal) =
        throttle::check(&db.conn, &user.username_key, ip.as_deref(), attempt, true).await
    {
        throttle::settle(&db.conn, attempt, throttle::LOGIN_THROTTLED, None, "").await?;
        return Err(refusal);
    }
    let who = Some((user.id, user.username.as_str()));
    if hasher
        .verify(password, Some(user.password_hash.clone()))
        .await?
    {
        throttle::settle(
            &db.conn,
            attempt,
            throttle::LOGIN_OK,
            who,
            "reauthenticated",
        )
        .await?;
        Ok(())
    } else {
        throttle::settle(
            &db.conn,
            attempt,
            throttle::LOGIN_FAILED,
            who,
            "wrong_password",
        )
        .await?;
        Err(AppError::new(
            crate::error::ErrorKind::Forbidden,
            ErrorCode::AuthPasswordConfirmationFailed,
            "La contraseña no es correcta.",
            "The password is not correct.",
        )
        .field("password"))
    }
}

/// The next pair for a refresh token. A token presented a second time ends its whole family
/// (`tokens::rotate_refresh_token`): the reuse is audited and the caller must sign in again.
pub async fn refresh(
    db: &Db,
    config: &Config,
    presented: &str,
    ip: Option<String>,
) -> AppResult<TokenResponse> {
    match tokens::rotate_refresh_token(db, config, presented).await? {
        tokens::RefreshOutcome::Rotated { tokens, .. } => Ok(tokens),
        tokens::RefreshOutcome::Reused { user_id } => {
            let actor = Actor {
                user_id: Some(user_id),
                username: String::new(),
                ip,
            };
            audit::record(
                &db.conn,
                &actor,
                AuditAction::AuthRefreshReused,
                Some(Target::new("user", user_id)),
                json!({}),
            )
            .await?;
            Err(AppError::unauthorized(
                ErrorCode::AuthRefreshReused,
                "Este token de renovación ya fue usado; la sesión se cerró por seguridad.",
                "This refresh token was already used; the session was closed for safety.",
            ))
        }
    }
}

/// Signs out: the presented refresh token's session ends (every session of the user when
/// none is presented), audited.
pub async fn sign_out(db: &Db, user: &CurrentUser, presented: Option<&str>) -> AppResult<()> {
    tokens::revoke_sessions(db, user.id, presented).await?;
    audit::record(
        &db.conn,
        &user.actor(),
        AuditAction::AuthLogout,
        Some(Target::new("user", user.id)),
        json!({}),
    )
    .await?;
    Ok(())
}
