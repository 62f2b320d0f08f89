//! Signing in with a username and password.

use chrono::Utc;
use relay_types::TokenResponse;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
};
use secrecy::SecretString;
use serde_json::json;

use super::{password, throttle, tokens};
use crate::audit::{self, Actor, Target};
use crate::config::Config;
use crate::db::Db;
use crate::entities::user;
use crate::error::{AppError, AppResult};

pub async fn login(
    db: &Db,
    config: &Config,
    username: &str,
    password: SecretString,
    ip: Option<String>,
) -> AppResult<(user::Model, TokenResponse)> {
    let key = username.trim().to_lowercase();
    throttle::check(&db.conn, &key, ip.as_deref()).await?;

    let found = user::Entity::find()
        .filter(user::Column::UsernameKey.eq(&key))
        .one(&db.conn)
        .await?;
    let matches =
        password::verify(password, found.as_ref().map(|u| u.password_hash.clone())).await?;

    let actor = Actor {
        user_id: found.as_ref().map(|u| u.id),
        username: found
            .as_ref()
            .map(|u| u.username.clone())
            .unwrap_or_else(|| key.clone()),
        ip,
    };
    let target = || Some(Target::new("username", &key));
    match found {
        Some(user) if matches && user.is_active => {
            let mut active = user.clone().into_active_model();
            active.last_login_at = Set(Some(Utc::now()));
            let user = active.update(&db.conn).await?;
            let tokens = tokens::issue_pair(db, config, user.id, None).await?;
            audit::record(&db.conn, &actor, throttle::LOGIN_OK, target(), json!({})).await?;
            Ok((user, tokens))
        }
        other => {
            let reason = match other {
                None => "unknown_user",
                Some(u) if !u.is_active => "inactive",
                Some(_) => "wrong_password",
            };
            audit::record(
                &db.conn,
                &actor,
                throttle::LOGIN_FAILED,
                target(),
                json!({ "reason": reason }),
            )
            .await?;
            // The same answer whatever the reason, so accounts cannot be probed.
            Err(AppError::unauthorized(
                "auth_invalid_credentials",
                "Usuario o contraseña incorrectos.",
                "Incorrect username or password.",
            ))
        }
    }
}
