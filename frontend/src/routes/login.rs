//! "Iniciar sesión": username and password against `/api/v1/auth/login`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::session::{self, Session};

#[component]
pub fn Login() -> impl IntoView {
    let session = expect_context::<Session>();
    let navigate = use_navigate();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        spawn_local(async move {
            let outcome = async {
                let tokens = api::login(username.get_untracked(), password.get_untracked()).await?;
                session::store_tokens(&tokens);
                api::me().await
            }
            .await;
            match outcome {
                Ok(me) => {
                    session.me.set(Some(me));
                    password.set(String::new());
                    navigate("/", Default::default());
                }
                Err(err) => error.set(Some(err.detail)),
            }
            busy.set(false);
        });
    };

    view! {
        <main class="login">
            <form class="card" on:submit=submit>
                <h1>"Relay Console"</h1>
                <p class="subtitle">"Envíos masivos y reportes de Doppler Relay"</p>
                <label>
                    "Usuario"
                    <input type="text" name="username" autocomplete="username" required autofocus
                        bind:value=username/>
                </label>
                <label>
                    "Contraseña"
                    <input type="password" name="password" autocomplete="current-password" required
                        bind:value=password/>
                </label>
                <Show when=move || error.with(Option::is_some)>
                    <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
                </Show>
                <button type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Ingresando…" } else { "Iniciar sesión" }}
                </button>
            </form>
        </main>
    }
}
