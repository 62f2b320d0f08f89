//! Who is calling, and what they may do: [`authenticate`] turns a bearer token (a JWT
//! access token or a personal API token) into a [`CurrentUser`] with their effective
//! permissions. `http::auth` reads the token from the request and guards the routes.

pub mod login;
pub mod password;
pub mod permission;
pub mod throttle;
pub mod tokens;

use std::collections::BTreeSet;

use sea_orm::{ConnectionTrait, EntityTrait};
use secrecy::SecretString;

use crate::audit::Actor;
use crate::db::Db;
use crate::entities::user;
use crate::error::{AppError, AppResult, ErrorCode};
pub use permission::Permission;

#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub is_superuser: bool,
    pub permissions: BTreeSet<Permission>,
    pub ip: Option<String>,
    /// Set when the call came with a personal API token rather than a session.
    pub api_token_id: Option<i64>,
    /// An administrator set the password: the owner must choose a new one first.
    pub password_change_required: bool,
}

impl CurrentUser {
    pub fn has(&self, permission: Permission) -> bool {
        self.is_superuser || self.permissions.contains(&permission)
    }

    pub fn require(&self, permission: Permission) -> AppResult<()> {
        if self.has(permission) {
            Ok(())
        } else {
            Err(AppError::forbidden(permission.as_str()))
        }
    }

    /// Passes when the user holds at least one of `permissions`.
    pub fn require_any(&self, permissions: &[Permission]) -> AppResult<()> {
        if permissions.iter().any(|p| self.has(*p)) {
            return Ok(());
        }
        let names: Vec<&str> = permissions.iter().map(|p| p.as_str()).collect();
        Err(AppError::forbidden(&names.join(" | ")))
    }

    pub fn require_superuser(&self) -> AppResult<()> {
        if self.is_superuser {
            Ok(())
        } else {
            Err(AppError::forbidden("superuser"))
        }
    }

    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.id),
            username: self.username.clone(),
            ip: self.ip.clone(),
        }
    }

    /// Effective permissions, in catalogue order.
    pub fn permission_codes(&self) -> Vec<Permission> {
        if self.is_superuser {
            Permission::ALL.to_vec()
        } else {
            self.permissions.iter().copied().collect()
        }
    }
}

/// The active user a bearer token belongs to, with their permissions; `ip` is where the
/// call came from (for the audit log).
pub async fn authenticate(
    db: &Db,
    secret_key: &SecretString,
    token: &str,
    ip: Option<String>,
) -> AppResult<CurrentUser> {
    let (user_id, session_version, api_token_id) = if token.starts_with(tokens::API_TOKEN_PREFIX) {
        let (user_id, token_id) = tokens::authenticate_api_token(db, token).await?;
        (user_id, None, Some(token_id))
    } else {
        let claims = tokens::verify_access_token(secret_key, token)?;
        (claims.user_id, Some(claims.session_version), None)
    };
    let user = user::Entity::find_by_id(user_id)
        .one(&db.conn)
        .await?
        .filter(|u| u.is_active)
        .ok_or_else(|| {
            AppError::unauthorized(
                ErrorCode::AuthUserInactive,
                "La cuenta no existe o está desactivada.",
                "The account does not exist or is disabled.",
            )
        })?;
    if session_version.is_some_and(|version| version != user.session_version) {
        return Err(tokens::session_ended());
    }
    let permissions = effective_permissions(db, user.id).await?;
    Ok(CurrentUser {
        id: user.id,
        username: user.username,
        is_superuser: user.is_superuser,
        permissions,
        ip,
        api_token_id,
        password_change_required: user.password_change_required,
    })
}

/// Direct permissions plus those of the user's groups.
pub async fn effective_permissions(db: &Db, user_id: i64) -> AppResult<BTreeSet<Permission>> {
    let rows = db
        .conn
        .query_all_raw(db.stmt(
            "SELECT permission_code FROM user_permissions WHERE user_id = $1 \
             UNION SELECT gp.permission_code FROM group_permissions gp \
             JOIN user_groups ug ON ug.group_id = gp.group_id WHERE ug.user_id = $1",
            [user_id.into()],
        ))
        .await?;
    let mut set = BTreeSet::new();
    for row in rows {
        let code: String = row.try_get_by_index(0)?;
        if let Ok(p) = code.parse::<Permission>() {
            set.insert(p);
        }
    }
    Ok(set)
}
