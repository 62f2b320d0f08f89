//! The application: shared state, the start-up check of a session left by an earlier
//! visit (the refresh cookie), and the routes. Changing the language redraws everything
//! below the router's URL, so every text is read again from the new catalogue.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::api;
use crate::pages::errors::NotFound;
use crate::pages::session::Login;
use crate::pages::table::AppRoutes;
use crate::state::i18n::{self, Language};
use crate::state::session::Session;
use crate::state::toasts::Toasts;
use crate::state::{AppOwner, Online, Routing};

#[component]
pub fn App() -> impl IntoView {
    let language = Language(RwSignal::new(i18n::remembered()));
    provide_context(language);
    let session = Session::new();
    provide_context(session);
    provide_context(Toasts::new());
    // Above the language redraw: a half-filled "Nuevo envío" survives switching language
    // (the page makes its draft here on its first visit).
    if let Some(owner) = Owner::current() {
        provide_context(AppOwner(owner));
    }
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
                    // Every page inside the shell, from the page table.
                    <AppRoutes/>
                </Routes>
            </Router>
        }
    }
}
