//! "Iniciar sesión": username and password; the refresh token goes to an HTTP-only cookie,
//! the access token stays in memory. Afterwards the user returns to the page they were on.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::api;
use crate::components::form::{FieldError, FormAction, FormProblem, Submit};
use crate::components::guard::landing;
use crate::components::shell::OfflineBanner;
use crate::state::i18n::{t, Lang, Language};
use crate::state::session::use_session;

/// Where to go after signing in: a path of this app, never another site. Browsers read
/// `/\evil.com` or a path with a tab or newline as `//evil.com`, so anything but plain
/// characters without backslashes or control characters after one leading `/` is refused.
fn safe_next(next: Option<String>, landing: &str) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/login")
                && path.chars().all(|c| c != '\\' && !c.is_control()) =>
        {
            path
        }
        _ => landing.to_string(),
    }
}

#[component]
pub fn Login() -> impl IntoView {
    let session = use_session();
    let language = expect_context::<Language>();
    let navigate = use_navigate();
    let query = use_query_map();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let action = FormAction::new();

    // Already signed in (a reload of /login): straight on.
    let go_on = navigate.clone();
    Effect::new(move |_| {
        if session.me.with(Option::is_some) {
            let next = safe_next(query.with_untracked(|q| q.get("next")), landing(&session));
            go_on(
                &next,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.run(async move {
            let me = api::auth::login(username.get_untracked(), password.get_untracked()).await?;
            password.set(String::new());
            session.sign_in(me);
            Ok(())
        });
    };

    view! {
        <OfflineBanner/>
        <main class="login">
            <form class="card" on:submit=submit node_ref=action.node()>
                <h1>"Relay Console"</h1>
                <p class="subtitle">{t().login_subtitle}</p>
                <Show when=move || session.expired.get()>
                    <p class="notice" role="status">{t().session_expired}</p>
                </Show>
                <FormProblem action=action/>
                <label>
                    {t().username}
                    <input type="text" name="username" autocomplete="username" required autofocus
                        bind:value=username/>
                    <FieldError action=action name="username"/>
                </label>
                <label>
                    {t().password}
                    <input type="password" name="password" autocomplete="current-password" required
                        bind:value=password/>
                    <FieldError action=action name="password"/>
                </label>
                <Submit action=action label=t().sign_in busy_label=t().signing_in/>
                <div class="lang" role="group" aria-label=t().language>
                    {Lang::ALL
                        .into_iter()
                        .map(|lang| view! {
                            <button type="button" class="link" lang=lang.code()
                                aria-pressed=move || (language.0.get() == lang).to_string()
                                on:click=move |_| language.choose(lang)>
                                {lang.code().to_ascii_uppercase()}
                            </button>
                        })
                        .collect_view()}
                </div>
            </form>
        </main>
    }
}
