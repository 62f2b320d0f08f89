//! Every page of the signed-in app, once: its path, its name, who finds it in the
//! navigation and the chunk it comes in. The router ([`AppRoutes`]), the navigation, the
//! browser tab's title and the prefetch all read this one table, so a new page is one line.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{ParentRoute, Redirect, Route};
use leptos_router::{path, Lazy, LazyRoute};
use relay_types::PermissionCode;

use super::account::ChangePasswordPage;
use super::bulk_sends::BulkSendList;
use super::errors::NotFound;
use super::lazy;
use crate::components::guard::{
    attachments_visible, audit_visible, landing, reports_visible, system_visible,
    templates_visible, RequirePermission,
};
use crate::components::shell::Shell;
use crate::state::i18n::Texts;
use crate::state::session::{use_session, Session};

/// A page: where it is, what it is called, who sees its link, how its chunk is fetched early.
pub struct Page {
    /// As the router writes it: `/envios/:id`.
    pub path: &'static str,
    pub title: fn(&Texts) -> &'static str,
    /// `None`: no link in the navigation (reached from another page).
    pub nav: Option<fn(&Session) -> bool>,
    /// `None`: in the first download.
    pub preload: Option<fn()>,
}

/// `path, title, nav, lazy(ChunkType) | eager(view)` per page, in the navigation's order
/// (a fixed path before a parameter at the same place: `envios/nuevo` before `envios/:id`).
macro_rules! pages {
    ($( $path:tt, $title:ident, $nav:expr, $kind:ident($($page:tt)*); )*) => {
        pub static PAGES: &[Page] = &[$(
            Page {
                path: concat!("/", $path),
                title: |t| t.$title,
                nav: $nav,
                preload: pages!(@preload $kind $($page)*),
            }
        ),*];

        /// The routes inside the shell, from the table.
        #[component(transparent)]
        pub fn AppRoutes() -> impl leptos_router::MatchNestedRoutes + Clone {
            view! {
                <ParentRoute path=path!("") view=Shell>
                    $( <Route path=path!($path) view=pages!(@view $kind $($page)*)/> )*
                    <Route path=path!("*any") view=NotFound/>
                </ParentRoute>
            }
            .into_inner()
        }
    };
    (@preload lazy $page:ty) => { Some(|| spawn_local(<$page as LazyRoute>::preload())) };
    (@preload eager $page:expr) => { None };
    (@view lazy $page:ty) => { Lazy::<$page>::new() };
    (@view eager $page:expr) => { $page };
}

pages! {
    "", nav_bulk_sends, None, eager(|| view! { <Redirect path=landing(&use_session())/> });
    "envios", nav_bulk_sends, Some(|s| s.can(PermissionCode::BulkSendsView)), eager(|| view! {
        <RequirePermission permission=PermissionCode::BulkSendsView><BulkSendList/></RequirePermission>
    });
    "envios/nuevo", nav_new_bulk_send, Some(|s| s.can(PermissionCode::BulkSendsOperate)), lazy(lazy::NewSendPage);
    "envios/:id", nav_bulk_sends, None, lazy(lazy::SendPage);
    "reportes", nav_reports, Some(reports_visible), lazy(lazy::ReportsPage);
    "auditoria", nav_audit, Some(audit_visible), lazy(lazy::AuditPage);
    "plantillas", nav_templates, Some(templates_visible), lazy(lazy::TemplatesPage);
    "plantillas/nueva", new_template, None, lazy(lazy::NewTemplatePage);
    "plantillas/:id", nav_templates, None, lazy(lazy::TemplatePage);
    "mensajes", nav_messages, Some(|s| s.can(PermissionCode::MessagesSend)), lazy(lazy::MessagesPage);
    "mensajes/nuevo", new_message, None, lazy(lazy::NewMessagePage);
    "mensajes/:id", nav_messages, None, lazy(lazy::MessagePage);
    "adjuntos", nav_attachments, Some(attachments_visible), lazy(lazy::AttachmentsPage);
    "usuarios", nav_users, Some(|s| s.can(PermissionCode::UsersManage)), lazy(lazy::UsersPage);
    "remitentes", nav_senders, Some(|s| s.can(PermissionCode::SendersManage)), lazy(lazy::SendersPage);
    "sistema", nav_system, Some(system_visible), lazy(lazy::SystemPage);
    // Everyone's own: the From of their sends, tokens for their scripts, their password.
    "mi-remitente", nav_my_sender, Some(|_| true), lazy(lazy::MySenderPage);
    "tokens", nav_tokens, Some(|_| true), lazy(lazy::TokensPage);
    "contrasena", nav_password, Some(|_| true), eager(ChangePasswordPage);
}

/// The page a path (no query) is on.
pub fn page_at(path: &str) -> Option<&'static Page> {
    let path = path.trim_end_matches('/');
    PAGES.iter().find(|page| {
        let pattern = page.path.trim_end_matches('/');
        let (mut want, mut have) = (pattern.split('/'), path.split('/'));
        loop {
            match (want.next(), have.next()) {
                (None, None) => return true,
                (Some(w), Some(h)) if w.starts_with(':') && !h.is_empty() => {}
                (Some(w), Some(h)) if w == h => {}
                _ => return false,
            }
        }
    })
}

/// Starts fetching the chunk of the page at `path` (a link pointed at, or the app idle), so
/// it is there when it is opened.
pub fn preload(path: &str) {
    if let Some(fetch) = page_at(path).and_then(|page| page.preload) {
        fetch();
    }
}
