//! Who is calling, as HTTP sees it: [`require_user`] guards every non-public route. It
//! reads `Authorization: Bearer …`, has `auth::authenticate` load the active user and their
//! permissions, and leaves a [`CurrentUser`] for the handlers. Without a valid token it
//! answers 401 before any handler or body parsing runs. [`Authorized`] then checks a
//! permission, also before the body is read.

use std::marker::PhantomData;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::Response;

use crate::auth::{self, CurrentUser, Permission};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::services::Services;

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
        ErrorCode::AuthMissingToken,
        "Se requiere autenticación: envía 'Authorization: Bearer <token>'.",
        "Authentication required: send 'Authorization: Bearer <token>'.",
    )
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
        .then(|| token.trim().to_string())
}

/// Middleware for the protected routes: a [`CurrentUser`] for the handlers, or 401.
pub async fn require_user(
    State(services): State<Services>,
    mut request: Request,
    next: Next,
) -> AppResult<Response> {
    let token = bearer_token(request.headers()).ok_or_else(missing_token)?;
    let user = auth::authenticate(
        &services.db,
        &services.config.secret_key,
        &token,
        client_ip(&request),
    )
    .await?;
    if user.password_change_required && !PASSWORD_CHANGE_PATHS.contains(&request.uri().path()) {
        return Err(AppError::new(
            crate::error::ErrorKind::Forbidden,
            ErrorCode::PasswordChangeRequired,
            "Un administrador cambió su contraseña: elija una nueva antes de continuar.",
            "An administrator changed your password: choose a new one before going on.",
        ));
    }
    request.extensions_mut().insert(user);
    Ok(next.run(request).await)
}

/// What a user whose password an administrator set may still do: choose a new one, see who
/// they are, sign out.
const PASSWORD_CHANGE_PATHS: [&str; 3] = [
    "/api/v1/auth/password",
    "/api/v1/auth/me",
    "/api/v1/auth/logout",
];

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
