//! The signed-in landing page: who is signed in, and signing out.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::session::Session;

#[component]
pub fn Home() -> impl IntoView {
    let session = expect_context::<Session>();
    let navigate = use_navigate();

    // Without a session (and once the stored one has been checked), go to the login page.
    let to_login = navigate.clone();
    Effect::new(move |_| {
        if !session.checking.get() && session.me.with(Option::is_none) {
            to_login("/login", Default::default());
        }
    });

    let sign_out = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            api::logout().await;
            session.me.set(None);
            navigate("/login", Default::default());
        });
    };

    view! {
        <Show when=move || session.me.with(Option::is_some)
            fallback=|| view! { <main class="loading">"Cargando…"</main> }>
            <header class="topbar">
                <strong>"Relay Console"</strong>
                <span class="spacer"></span>
                <span class="user" data-testid="signed-in-user">{move || session.display_name()}</span>
                <button class="secondary" on:click=sign_out.clone()>"Cerrar sesión"</button>
            </header>
            <main class="home">
                <h1>{move || format!("Hola, {}", session.display_name())}</h1>
                <p>"Sesión iniciada. Permisos: "
                    {move || session.me.with(|me| me.as_ref().map(|m| m.permissions.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")).unwrap_or_default())}
                </p>
            </main>
        </Show>
    }
}
