//! Who is calling, and what they may do.
//!
//! [`require_user`] guards every non-public route: it reads `Authorization: Bearer …`
//! (a JWT access token or a personal API token), loads the active user and their
//! effective permissions, and leaves a [`CurrentUser`] for the handlers. Without a valid
//! token it answers 401 JSON before any handler or body parsing runs.

pub mod login;
pub mod password;
pub mod permission;
pub mod throttle;
pub mod tokens;

use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::Response;
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::app::AppState;
use crate::audit::Actor;
use crate::db::Db;
use crate::entities::user;
use crate::error::{AppError, AppResult};
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

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or_else(missing_token)
    }
}

/// A signed-in caller who holds the permission `R` names. As an extractor it runs before
/// the body is read, so a caller without the permission gets 403, not a validation error.
pub struct Authorized<R> {
    pub user: CurrentUser,
    requirement: PhantomData<R>,
}

impl<R> std::ops::Deref for Authorized<R> {
    type Target = CurrentUser;

    fn deref(&self) -> &CurrentUser {
        &self.user
    }
}

/// Permissions as a type, for [`Authorized`]: holding any one of them is enough.
pub trait Requirement {
    const ANY_OF: &'static [Permission];
}

/// The permissions as types: `Authorized<can::ManageUsers>`.
pub mod can {
    use super::{Permission, Requirement};

    macro_rules! requirements {
        ($($name:ident => $($permission:ident)|+),* $(,)?) => {
            $(
                pub struct $name;
                impl Requirement for $name {
                    const ANY_OF: &'static [Permission] = &[$(Permission::$permission),+];
                }
            )*
        };
    }

    requirements! {
        ViewBulkSends => BulkSendsView,
        OperateBulkSends => BulkSendsOperate,
        ViewJobs => JobsView,
        ViewTemplates => TemplatesView,
        ManageTemplates => TemplatesManage,
        SendMessages => MessagesSend,
        ManageSenders => SendersManage,
        ViewReports => ReportsView,
        RequestReports => ReportsRequest,
        ProcessReports => ReportsProcess,
        LoadReports => ReportsLoad,
        ManageUsers => UsersManage,
        ViewAudit => AuditView,
        ReadTemplates => TemplatesView | TemplatesManage | BulkSendsOperate,
        UseAttachments => BulkSendsOperate | MessagesSend,
        ReadAttachments => BulkSendsView | BulkSendsOperate | MessagesSend,
        RetryJobs => BulkSendsOperate | ReportsProcess,
    }
}

impl<S: Send + Sync, R: Requirement> FromRequestParts<S> for Authorized<R> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        user.require_any(R::ANY_OF)?;
        Ok(Authorized {
            user,
            requirement: PhantomData,
        })
    }
}

fn missing_token() -> AppError {
    AppError::unauthorized(
        "auth_missing_token",
        "Se requiere autenticación: envía 'Authorization: Bearer <token>'.",
        "Authentication required: send 'Authorization: Bearer <token>'.",
    )
}

pub async fn require_user(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> AppResult<Response> {
    let token = bearer_token(request.headers()).ok_or_else(missing_token)?;
    let (user_id, session_version, api_token_id) = if token.starts_with(tokens::API_TOKEN_PREFIX) {
        let (user_id, token_id) = tokens::authenticate_api_token(&state.db, &token).await?;
        (user_id, None, Some(token_id))
    } else {
        let claims = tokens::verify_access_token(&state.config.secret_key, &token)?;
        (claims.user_id, Some(claims.session_version), None)
    };
    let user = user::Entity::find_by_id(user_id)
        .one(&state.db.conn)
        .await?
        .filter(|u| u.is_active)
        .ok_or_else(|| {
            AppError::unauthorized(
                "auth_user_inactive",
                "La cuenta no existe o está desactivada.",
                "The account does not exist or is disabled.",
            )
        })?;
    if session_version.is_some_and(|version| version != user.session_version) {
        return Err(tokens::session_ended());
    }
    let permissions = effective_permissions(&state.db, user.id).await?;
    let ip = client_ip(&request);
    request.extensions_mut().insert(CurrentUser {
        id: user.id,
        username: user.username,
        is_superuser: user.is_superuser,
        permissions,
        ip,
        api_token_id,
    });
    Ok(next.run(request).await)
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
        .then(|| token.trim().to_string())
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

/// The caller's address. Behind our nginx (on loopback or a unix socket) its `X-Real-IP`
/// is believed: nginx sets it from the connection. `X-Forwarded-For` is never read: its
/// first entry is whatever the client wrote.
pub fn client_ip(request: &Request) -> Option<String> {
    client_ip_from(
        request.headers(),
        request.extensions().get::<ConnectInfo<SocketAddr>>(),
    )
}

/// Whether the request came through our local proxy (a unix socket, or loopback), whose
/// `X-Real-IP` and `X-Forwarded-Proto` can be believed.
pub fn from_trusted_proxy(request: &Request) -> bool {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_none_or(|ConnectInfo(addr)| addr.ip().is_loopback())
}

fn client_ip_from(
    headers: &HeaderMap,
    connect_info: Option<&ConnectInfo<SocketAddr>>,
) -> Option<String> {
    let peer = connect_info.map(|ConnectInfo(addr)| addr.ip());
    if peer.is_none_or(|ip| ip.is_loopback()) {
        let real_ip = headers
            .get("x-real-ip")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<std::net::IpAddr>().ok());
        if let Some(ip) = real_ip {
            return Some(ip.to_string());
        }
    }
    peer.map(|ip| ip.to_string())
}

/// The caller's address, for public routes (login) that have no CurrentUser.
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip_from(
            &parts.headers,
            parts.extensions.get::<ConnectInfo<SocketAddr>>(),
        )))
    }
}
