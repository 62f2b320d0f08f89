//! The application frame: session context, start-up check of stored tokens, routes.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::api;
use crate::routes::{home::Home, login::Login};
use crate::session::{self, Session};

#[component]
pub fn App() -> impl IntoView {
    let session = Session::new();
    provide_context(session);

    // A stored session is checked once: still valid, the user lands signed in.
    if session::access_token().is_some() {
        spawn_local(async move {
            match api::me().await {
                Ok(me) => session.me.set(Some(me)),
                Err(_) => session::clear_tokens(),
            }
            session.checking.set(false);
        });
    }

    view! {
        <Router>
            <Routes fallback=|| view! { <p class="not-found">"Página no encontrada."</p> }>
                <Route path=path!("/login") view=Login/>
                <Route path=path!("/") view=Home/>
            </Routes>
        </Router>
    }
}
