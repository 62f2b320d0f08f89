//! The application: shared state, the start-up check of a session left by an earlier
//! visit (the refresh cookie), and the routes. Changing the language redraws everything
//! below the router's URL, so every text is read again from the new catalogue.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::path;
use relay_types::PermissionCode;

use crate::api;
use crate::components::guard::{
    attachments_visible, audit_visible, landing, reports_visible, system_visible,
    templates_visible, RequireAny, RequirePermission,
};
use crate::components::shell::Shell;
use crate::pages::account::{ChangePasswordPage, MySenderPage, Tokens};
use crate::pages::attachments::Attachments;
use crate::pages::audit::Audit;
use crate::pages::bulk_sends::{BulkSendDetail, BulkSendList, NewBulkSend, NewSendDraft};
use crate::pages::errors::NotFound;
use crate::pages::messages::{MessageDetail, MessageList, NewMessage};
use crate::pages::reports::ReportList;
use crate::pages::senders::Senders;
use crate::pages::session::Login;
use crate::pages::system::SystemPage;
use crate::pages::templates::{TemplateEditor, TemplateListPage};
use crate::pages::users::UsersAndGroups;
use crate::state::i18n::{self, Language};
use crate::state::session::{use_session, Session};
use crate::state::toasts::Toasts;
use crate::state::Online;

#[component]
pub fn App() -> impl IntoView {
    let language = Language(RwSignal::new(i18n::remembered()));
    provide_context(language);
    let session = Session::new();
    provide_context(session);
    provide_context(Toasts::new());
    // Above the language redraw: a half-filled "Nuevo envío" survives switching language.
    provide_context(NewSendDraft::new());
    let online = RwSignal::new(true);
    provide_context(Online(online));

    api::on_network(move |reachable| online.set(reachable));
    api::on_expired(move || {
        if session.me.get_untracked().is_some() {
            session.expired.set(true);
            session.me.set(None);
        }
    });
    spawn_local(async move {
        match api::auth::resume().await {
            api::auth::Resumed::SignedIn(me) => session.sign_in(me),
            api::auth::Resumed::SignedOut => {}
            // The login page shows the "sin conexión" banner with its retry.
            api::auth::Resumed::Offline => online.set(false),
        }
        session.checked.set(true);
    });

    move || {
        language.0.track();
        view! {
            <Router>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/login") view=Login/>
                    <ParentRoute path=path!("") view=Shell>
                        <Route path=path!("") view=|| view! { <Redirect path=landing(&use_session())/> }/>
                        <Route path=path!("envios") view=|| view! {
                            <RequirePermission permission=PermissionCode::BulkSendsView>
                                <BulkSendList/>
                            </RequirePermission>
                        }/>
                        <Route path=path!("envios/nuevo") view=|| view! {
                            <RequirePermission permission=PermissionCode::BulkSendsOperate>
                                <NewBulkSend/>
                            </RequirePermission>
                        }/>
                        <Route path=path!("envios/:id") view=|| view! {
                            <RequirePermission permission=PermissionCode::BulkSendsView>
                                <BulkSendDetail/>
                            </RequirePermission>
                        }/>
                        <Route path=path!("reportes") view=|| view! {
                            <RequireAny allowed=reports_visible><ReportList/></RequireAny>
                        }/>
                        <Route path=path!("auditoria") view=|| view! {
                            <RequireAny allowed=audit_visible><Audit/></RequireAny>
                        }/>
                        <Route path=path!("plantillas") view=|| view! {
                            <RequireAny allowed=templates_visible><TemplateListPage/></RequireAny>
                        }/>
                        <Route path=path!("plantillas/nueva") view=|| view! {
                            <RequirePermission permission=PermissionCode::TemplatesManage>
                                <TemplateEditor/>
                            </RequirePermission>
                        }/>
                        <Route path=path!("plantillas/:id") view=|| view! {
                            <RequireAny allowed=templates_visible><TemplateEditor/></RequireAny>
                        }/>
                        <Route path=path!("usuarios") view=|| view! {
                            <RequirePermission permission=PermissionCode::UsersManage>
                                <UsersAndGroups/>
                            </RequirePermission>
                        }/>
                        <Route path=path!("mensajes") view=|| view! {
                            <RequirePermission permission=PermissionCode::MessagesSend>
                                <MessageList/>
                            </RequirePermission>
                        }/>
                        <Route path=path!("mensajes/nuevo") view=|| view! {
                            <RequirePermission permission=PermissionCode::MessagesSend>
                                <NewMessage/>
                            </RequirePermission>
                        }/>
                        <Route path=path!("mensajes/:id") view=|| view! {
                            <RequirePermission permission=PermissionCode::MessagesSend>
                                <MessageDetail/>
                            </RequirePermission>
                        }/>
                        <Route path=path!("adjuntos") view=|| view! {
                            <RequireAny allowed=attachments_visible><Attachments/></RequireAny>
                        }/>
                        <Route path=path!("remitentes") view=|| view! {
                            <RequirePermission permission=PermissionCode::SendersManage>
                                <Senders/>
                            </RequirePermission>
                        }/>
                        <Route path=path!("sistema") view=|| view! {
                            <RequireAny allowed=system_visible><SystemPage/></RequireAny>
                        }/>
                        <Route path=path!("tokens") view=Tokens/>
                        <Route path=path!("mi-remitente") view=MySenderPage/>
                        <Route path=path!("contrasena") view=ChangePasswordPage/>
                        <Route path=path!("*any") view=NotFound/>
                    </ParentRoute>
                </Routes>
            </Router>
        }
    }
}
