//! Access tokens (JWT), rotating refresh tokens and personal API tokens.
//!
//! Refresh and API tokens are random secrets stored only as SHA-256 hashes. Refresh
//! tokens are single-use: each refresh spends one and issues the next in the same family;
//! presenting a spent token again means it leaked, so the whole family is revoked.

use chrono::{Duration as ChronoDuration, Utc};
use jsonwebtoken::{
    decode, encode, errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use rand::distributions::Alphanumeric;
use rand::Rng;
use relay_types::TokenResponse;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{Config, MAX_API_TOKEN_DAYS};
use crate::db::Db;
use crate::entities::{api_token, refresh_token, user};
use crate::error::{AppError, AppResult, ErrorCode};

pub const API_TOKEN_PREFIX: &str = "rcp_";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    exp: i64,
    typ: String,
    /// The user's session version when signed; a later sign-out or password change moves
    /// the version on and the token stops working.
    #[serde(default)]
    ver: i64,
}

/// Who an access token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessClaims {
    pub user_id: i64,
    pub session_version: i64,
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn random_secret(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

pub fn issue_access_token(
    secret: &SecretString,
    claims: AccessClaims,
    ttl: std::time::Duration,
) -> AppResult<String> {
    let expires = Utc::now() + ChronoDuration::from_std(ttl).unwrap_or(ChronoDuration::minutes(15));
    sign_access_token(secret, claims, expires)
}

/// An access token that expires at `expires` (in the past, for tests of expiry).
pub fn sign_access_token(
    secret: &SecretString,
    claims: AccessClaims,
    expires: chrono::DateTime<Utc>,
) -> AppResult<String> {
    let claims = Claims {
        sub: claims.user_id.to_string(),
        iat: Utc::now().timestamp().min(expires.timestamp()),
        exp: expires.timestamp(),
        typ: "access".into(),
        ver: claims.session_version,
    };
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.expose_secret().as_bytes()),
    )
    .map_err(|e| AppError::internal(anyhow::anyhow!("token signing failed: {e}")))
}

/// Who an access token speaks for; 401 when it is expired or not ours.
pub fn verify_access_token(secret: &SecretString, token: &str) -> AppResult<AccessClaims> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 2;
    let data = decode::<Claims>(
        token,
        &DecodingKey::from_secret(secret.expose_secret().as_bytes()),
        &validation,
    )
    .map_err(|e| match e.kind() {
        ErrorKind::ExpiredSignature => AppError::unauthorized(
            ErrorCode::AuthTokenExpired,
            "La sesión expiró. Inicia sesión de nuevo.",
            "The session expired. Sign in again.",
        ),
        _ => invalid_token(),
    })?;
    if data.claims.typ != "access" {
        return Err(invalid_token());
    }
    Ok(AccessClaims {
        user_id: data.claims.sub.parse().map_err(|_| invalid_token())?,
        session_version: data.claims.ver,
    })
}

pub fn session_ended() -> AppError {
    AppError::unauthorized(
        ErrorCode::AuthSessionEnded,
        "La sesión terminó (se cerró sesión o cambió la contraseña). Inicia sesión de nuevo.",
        "The session ended (signed out or the password changed). Sign in again.",
    )
}

pub fn invalid_token() -> AppError {
    AppError::unauthorized(
        ErrorCode::AuthTokenInvalid,
        "El token de acceso no es válido.",
        "The access token is not valid.",
    )
}

/// A new access token and a new refresh token; `family` continues a rotation chain.
pub async fn issue_pair(
    db: &Db,
    config: &Config,
    user: &user::Model,
    family: Option<String>,
) -> AppResult<TokenResponse> {
    let user_id = user.id;
    let access_token = issue_access_token(
        &config.secret_key,
        AccessClaims {
            user_id,
            session_version: user.session_version,
        },
        config.auth.access_token_ttl,
    )?;
    let refresh = format!("rcr_{}", random_secret(48));
    let now = Utc::now();
    refresh_token::Entity::insert(refresh_token::ActiveModel {
        user_id: Set(user_id),
        family_id: Set(family.unwrap_or_else(|| uuid::Uuid::new_v4().to_string())),
        token_hash: Set(hash_token(&refresh)),
        created_at: Set(now),
        expires_at: Set(now
            + ChronoDuration::from_std(config.auth.refresh_token_ttl)
                .unwrap_or(ChronoDuration::days(14))),
        ..Default::default()
    })
    .exec(&db.conn)
    .await?;
    Ok(TokenResponse {
        access_token,
        refresh_token: Some(refresh),
        token_type: "Bearer".into(),
        expires_in: config.auth.access_token_ttl.as_secs() as i64,
        password_change_required: user.password_change_required,
    })
}

/// The account a refresh token still speaks for (not spent, revoked or expired): a browser
/// presenting it is a known client of that account.
pub async fn refresh_token_owner(db: &Db, presented: &str) -> AppResult<Option<i64>> {
    Ok(refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_token(presented)))
        .filter(refresh_token::Column::UsedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .filter(refresh_token::Column::ExpiresAt.gt(Utc::now()))
        .one(&db.conn)
        .await?
        .map(|token| token.user_id))
}

pub enum RefreshOutcome {
    Rotated {
        user_id: i64,
        tokens: TokenResponse,
    },
    /// A spent token came back: the family was revoked.
    Reused {
        user_id: i64,
    },
}

/// Spends a refresh token. The compare-and-set on `used_at` makes two racing refreshes
/// with the same token produce one success and one reuse detection.
pub async fn rotate_refresh_token(
    db: &Db,
    config: &Config,
    presented: &str,
) -> AppResult<RefreshOutcome> {
    let hash = hash_token(presented);
    let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(&hash))
        .one(&db.conn)
        .await?
    else {
        return Err(invalid_refresh());
    };
    let now = Utc::now();
    if token.revoked_at.is_some() || token.expires_at <= now {
        return Err(invalid_refresh());
    }
    let spent = refresh_token::Entity::update_many()
        .col_expr(
            refresh_token::Column::UsedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(refresh_token::Column::Id.eq(token.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&db.conn)
        .await?;
    if spent.rows_affected == 0 {
        // A spent token came back: whoever holds the session may be an attacker, so the
        // session's access tokens end too, not only its refresh tokens.
        revoke_family(db, &token.family_id).await?;
        bump_session_version(&db.conn, token.user_id).await?;
        return Ok(RefreshOutcome::Reused {
            user_id: token.user_id,
        });
    }
    let user = user::Entity::find_by_id(token.user_id)
        .one(&db.conn)
        .await?
        .filter(|u| u.is_active)
        .ok_or_else(invalid_refresh)?;
    let tokens = issue_pair(db, config, &user, Some(token.family_id)).await?;
    Ok(RefreshOutcome::Rotated {
        user_id: token.user_id,
        tokens,
    })
}

fn invalid_refresh() -> AppError {
    AppError::unauthorized(
        ErrorCode::AuthRefreshInvalid,
        "El token de renovación no es válido o expiró. Inicia sesión de nuevo.",
        "The refresh token is invalid or expired. Sign in again.",
    )
}

pub async fn revoke_family(db: &Db, family_id: &str) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(
            refresh_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&db.conn)
        .await?;
    Ok(())
}

/// Signs out one session (the family of `presented`) or, without a token, every session.
/// Access tokens already issued stop working at once (other sessions refresh theirs).
pub async fn revoke_sessions(db: &Db, user_id: i64, presented: Option<&str>) -> AppResult<()> {
    bump_session_version(&db.conn, user_id).await?;
    let mut query = refresh_token::Entity::update_many()
        .col_expr(
            refresh_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null());
    if let Some(presented) = presented {
        let family = refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(hash_token(presented)))
            .filter(refresh_token::Column::UserId.eq(user_id))
            .one(&db.conn)
            .await?;
        let Some(family) = family else { return Ok(()) };
        query = query.filter(refresh_token::Column::FamilyId.eq(family.family_id));
    }
    query.exec(&db.conn).await?;
    Ok(())
}

/// When a new API token expires: `requested` days, the configured default when absent, or
/// never (`Some(None)`), which only a superuser may ask for.
pub fn api_token_expiry(
    config: &Config,
    by_superuser: bool,
    requested: Option<Option<u32>>,
) -> AppResult<Option<chrono::DateTime<Utc>>> {
    let days = match requested {
        None => Some(config.auth.api_token_default_days),
        Some(Some(days)) if (1..=MAX_API_TOKEN_DAYS).contains(&days) => Some(days),
        Some(Some(_)) => {
            return Err(AppError::invalid(
                "expires_in_days",
                ErrorCode::TokenExpiryInvalid,
                format!("expires_in_days va de 1 a {MAX_API_TOKEN_DAYS}."),
                format!("expires_in_days ranges from 1 to {MAX_API_TOKEN_DAYS}."),
            ))
        }
        Some(None) if by_superuser => None,
        Some(None) => {
            return Err(AppError::new(
                crate::error::ErrorKind::Forbidden,
                ErrorCode::TokenWithoutExpiryForbidden,
                "Solo un superusuario puede crear tokens sin vencimiento.",
                "Only a superuser can create tokens that never expire.",
            )
            .with("permission", "superuser"))
        }
    };
    Ok(days.map(|d| Utc::now() + ChronoDuration::days(d.into())))
}

pub async fn create_api_token(
    db: &Db,
    user_id: i64,
    name: &str,
    expires_at: Option<chrono::DateTime<Utc>>,
) -> AppResult<(api_token::Model, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid(
            "name",
            ErrorCode::TokenNameInvalid,
            "El nombre del token es obligatorio (máximo 100 caracteres).",
            "The token name is required (at most 100 characters).",
        ));
    }
    let secret = format!("{API_TOKEN_PREFIX}{}", random_secret(40));
    let now = Utc::now();
    let model = api_token::ActiveModel {
        user_id: Set(user_id),
        name: Set(name.to_string()),
        token_prefix: Set(secret[..API_TOKEN_PREFIX.len() + 6].to_string()),
        token_hash: Set(hash_token(&secret)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        ..Default::default()
    };
    let inserted = api_token::Entity::insert(model)
        .exec_with_returning(&db.conn)
        .await?;
    Ok((inserted, secret))
}

pub async fn list_api_tokens(db: &Db, user_id: i64) -> AppResult<Vec<api_token::Model>> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .order_by_desc(api_token::Column::Id)
        .all(&db.conn)
        .await?)
}

/// Revokes one of the user's tokens; false when it is not theirs.
pub async fn revoke_api_token(db: &Db, user_id: i64, token_id: i64) -> AppResult<bool> {
    let result = api_token::Entity::update_many()
        .col_expr(
            api_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(api_token::Column::Id.eq(token_id))
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(&db.conn)
        .await?;
    if result.rows_affected > 0 {
        return Ok(true);
    }
    // Already revoked still counts as "theirs".
    Ok(api_token::Entity::find_by_id(token_id)
        .filter(api_token::Column::UserId.eq(user_id))
        .one(&db.conn)
        .await?
        .is_some())
}

/// Ends everything that speaks for a user: access tokens (the session version moves on),
/// refresh tokens and API tokens. After a password change, deactivation or demotion.
pub async fn end_everything(db: &impl sea_orm::ConnectionTrait, user_id: i64) -> AppResult<()> {
    let now = Utc::now();
    bump_session_version(db, user_id).await?;
    refresh_token::Entity::update_many()
        .col_expr(
            refresh_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    api_token::Entity::update_many()
        .col_expr(
            api_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Every access token of the user signed until now stops working.
pub async fn bump_session_version(
    db: &impl sea_orm::ConnectionTrait,
    user_id: i64,
) -> AppResult<()> {
    use sea_orm::sea_query::Expr;
    use sea_orm::ExprTrait;
    user::Entity::update_many()
        .col_expr(
            user::Column::SessionVersion,
            Expr::col(user::Column::SessionVersion).add(1),
        )
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The user id a personal API token speaks for.
pub async fn authenticate_api_token(db: &Db, presented: &str) -> AppResult<(i64, i64)> {
    let token = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash_token(presented)))
        .one(&db.conn)
        .await?
        .ok_or_else(invalid_token)?;
    let now = Utc::now();
    if token.revoked_at.is_some() {
        return Err(AppError::unauthorized(
            ErrorCode::AuthTokenRevoked,
            "El token de API fue revocado.",
            "The API token was revoked.",
        ));
    }
    if token.expires_at.is_some_and(|at| at <= now) {
        return Err(AppError::unauthorized(
            ErrorCode::AuthTokenExpired,
            "El token de API expiró.",
            "The API token expired.",
        ));
    }
    // Recording every use would turn each read into a write; a minute's precision is plenty.
    if token
        .last_used_at
        .is_none_or(|at| now - at > ChronoDuration::minutes(1))
    {
        api_token::Entity::update_many()
            .col_expr(
                api_token::Column::LastUsedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(api_token::Column::Id.eq(token.id))
            .exec(&db.conn)
            .await?;
    }
    Ok((token.user_id, token.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_tokens_round_trip_and_reject_foreign_keys() {
        let key = SecretString::from("k".repeat(32));
        let claims = AccessClaims {
            user_id: 42,
            session_version: 3,
        };
        let token = issue_access_token(&key, claims, std::time::Duration::from_secs(60)).unwrap();
        assert_eq!(verify_access_token(&key, &token).unwrap(), claims);
        let other = SecretString::from("x".repeat(32));
        assert_eq!(
            verify_access_token(&other, &token).unwrap_err().code,
            ErrorCode::AuthTokenInvalid
        );
    }

    #[test]
    fn expired_tokens_say_so() {
        let key = SecretString::from("k".repeat(32));
        let claims = Claims {
            sub: "1".into(),
            iat: 0,
            exp: 1,
            typ: "access".into(),
            ver: 0,
        };
        let token = encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(key.expose_secret().as_bytes()),
        )
        .unwrap();
        assert_eq!(
            verify_access_token(&key, &token).unwrap_err().code,
            ErrorCode::AuthTokenExpired
        );
    }
}
