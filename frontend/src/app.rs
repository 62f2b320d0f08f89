//! The application: shared state, the start-up check of a session left by an earlier
//! visit (the refresh cookie), and the routes. Changing the language redraws everything
//! below the router's URL, so every text is read again from the new catalogue.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{path, Lazy};
use relay_types::PermissionCode;

use crate::api;
use crate::components::guard::{landing, RequirePermission};
use crate::components::shell::Shell;
use crate::pages::account::ChangePasswordPage;
use crate::pages::bulk_sends::{BulkSendList, NewSendDraft};
use crate::pages::errors::NotFound;
use crate::pages::lazy;
use crate::pages::session::Login;
use crate::state::i18n::{self, Language};
use crate::state::session::{use_session, Session};
use crate::state::toasts::Toasts;
use crate::state::{Online, Routing};

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
    // While a page's chunk is on its way, the shell says so.
    let (routing, set_routing) = signal(false);
    provide_context(Routing(routing));

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
            <Router set_is_routing=set_routing>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/login") view=Login/>
                    <ParentRoute path=path!("") view=Shell>
                        <Route path=path!("") view=|| view! { <Redirect path=landing(&use_session())/> }/>
                        <Route path=path!("envios") view=|| view! {
                            <RequirePermission permission=PermissionCode::BulkSendsView>
                                <BulkSendList/>
                            </RequirePermission>
                        }/>
                        // Every other page is a chunk of its own, fetched on first visit.
                        <Route path=path!("envios/nuevo") view={Lazy::<lazy::NewSendPage>::new()}/>
                        <Route path=path!("envios/:id") view={Lazy::<lazy::SendPage>::new()}/>
                        <Route path=path!("reportes") view={Lazy::<lazy::ReportsPage>::new()}/>
                        <Route path=path!("auditoria") view={Lazy::<lazy::AuditPage>::new()}/>
                        <Route path=path!("plantillas") view={Lazy::<lazy::TemplatesPage>::new()}/>
                        <Route path=path!("plantillas/nueva") view={Lazy::<lazy::NewTemplatePage>::new()}/>
                        <Route path=path!("plantillas/:id") view={Lazy::<lazy::TemplatePage>::new()}/>
                        <Route path=path!("usuarios") view={Lazy::<lazy::UsersPage>::new()}/>
                        <Route path=path!("mensajes") view={Lazy::<lazy::MessagesPage>::new()}/>
                        <Route path=path!("mensajes/nuevo") view={Lazy::<lazy::NewMessagePage>::new()}/>
                        <Route path=path!("mensajes/:id") view={Lazy::<lazy::MessagePage>::new()}/>
                        <Route path=path!("adjuntos") view={Lazy::<lazy::AttachmentsPage>::new()}/>
                        <Route path=path!("remitentes") view={Lazy::<lazy::SendersPage>::new()}/>
                        <Route path=path!("sistema") view={Lazy::<lazy::SystemPage>::new()}/>
                        <Route path=path!("tokens") view={Lazy::<lazy::TokensPage>::new()}/>
                        <Route path=path!("mi-remitente") view={Lazy::<lazy::MySenderPage>::new()}/>
                        <Route path=path!("contrasena") view=ChangePasswordPage/>
                        <Route path=path!("*any") view=NotFound/>
                    </ParentRoute>
                </Routes>
            </Router>
        }
    }
}
