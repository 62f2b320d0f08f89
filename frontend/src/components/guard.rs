//! A page for one permission: without it, the 403 page instead (the navigation already
//! hides the link; this covers a typed or shared URL).

use leptos::prelude::*;
use relay_types::PermissionCode;

use crate::pages::errors::Forbidden;
use crate::state::session::{use_session, Session};

#[component]
pub fn RequirePermission(permission: PermissionCode, children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    view! {
        <Show when=move || session.can(permission) fallback=|| view! { <Forbidden/> }>
            {children()}
        </Show>
    }
}

/// A page several permissions open: shown when `allowed` says so.
#[component]
pub fn RequireAny(allowed: fn(&Session) -> bool, children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    view! {
        <Show when=move || allowed(&session) fallback=|| view! { <Forbidden/> }>
            {children()}
        </Show>
    }
}

/// "Reportes": for whoever requests, processes or loads reports; a user holding only
/// `reports.view` sees it when the deployment says so (`REPORTS_ADMIN_VISIBLE`).
pub fn reports_visible(session: &Session) -> bool {
    session.can(PermissionCode::ReportsRequest)
        || session.can(PermissionCode::ReportsProcess)
        || session.can(PermissionCode::ReportsLoad)
        || (session.can(PermissionCode::ReportsView)
            && session
                .me
                .with(|me| me.as_ref().is_some_and(|me| me.ui.reports_admin_visible)))
}

/// "Sistema": superusers only (the API's rule).
pub fn system_visible(session: &Session) -> bool {
    session
        .me
        .with(|me| me.as_ref().is_some_and(|me| me.user.is_superuser))
}

/// "Auditoría": jobs or the action log.
pub fn audit_visible(session: &Session) -> bool {
    session.can(PermissionCode::JobsView) || session.can(PermissionCode::AuditView)
}

/// The first page this user may open: where signing in and `/` lead.
pub fn landing(session: &Session) -> &'static str {
    if session.can(PermissionCode::BulkSendsView) {
        "/envios"
    } else if reports_visible(session) {
        "/reportes"
    } else if audit_visible(session) {
        "/auditoria"
    } else {
        "/envios"
    }
}

/// "Plantillas": to read them or to manage them.
pub fn templates_visible(session: &Session) -> bool {
    session.can(PermissionCode::TemplatesView) || session.can(PermissionCode::TemplatesManage)
}

/// "Adjuntos": to see and download them (whoever sends or follows sends).
pub fn attachments_visible(session: &Session) -> bool {
    session.can(PermissionCode::BulkSendsView) || attachments_usable(session)
}

/// Uploading and deleting attachments: whoever sends.
pub fn attachments_usable(session: &Session) -> bool {
    session.can(PermissionCode::BulkSendsOperate) || session.can(PermissionCode::MessagesSend)
}
