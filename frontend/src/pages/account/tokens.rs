//! "Tokens de API": create one (the password is asked again; the secret is shown once, with
//! a copy button), see when each was last used and when it expires, revoke.

use leptos::prelude::*;
use leptos::task::spawn_local;
use relay_types::{ApiToken, CreateApiToken};

use crate::api::tokens;
use crate::components::form::{FieldError, FormAction, FormProblem, Submit};
use crate::components::token_list::TokenList;
use crate::state::browser::copy_text;
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

#[component]
pub fn Tokens() -> impl IntoView {
    let t = t();
    let session = use_session();
    let toasts = use_toasts();
    let list = Loaded::new(tokens::mine);
    let name = RwSignal::new(String::new());
    let days = RwSignal::new("90".to_string());
    let password = RwSignal::new(String::new());
    let action = FormAction::new();
    let secret = RwSignal::new(None::<String>);
    let superuser = move || {
        session
            .me
            .with(|me| me.as_ref().is_some_and(|me| me.user.is_superuser))
    };

    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let expires_in_days = match days.get_untracked().as_str() {
            "never" => Some(None),
            value => Some(value.parse::<u32>().ok()),
        };
        let body = CreateApiToken {
            name: name.get_untracked().trim().to_string(),
            password: password.get_untracked(),
            expires_in_days,
        };
        action.run(async move {
            let created = tokens::create(&body).await;
            password.set(String::new());
            secret.set(Some(created?.secret));
            name.set(String::new());
            list.refetch();
            Ok(())
        });
    };
    let revoke = Callback::new(move |token: ApiToken| {
        spawn_local(async move {
            match tokens::revoke(token.id).await {
                Ok(()) => toasts.success((t.token_revoked_toast)(&token.name)),
                Err(err) => toasts.error(err.detail),
            }
            list.refetch();
        });
    });
    let copy = move |_| {
        if let Some(text) = secret.get_untracked() {
            spawn_local(async move {
                if copy_text(&text).await {
                    toasts.success(t.copied);
                } else {
                    toasts.error(t.copy_failed);
                }
            });
        }
    };

    view! {
        <section class="page">
            <header class="page-head">
                <div>
                    <h1>{t.nav_tokens}</h1>
                    <p class="subtitle">{t.tokens_subtitle}</p>
                </div>
            </header>
            {move || secret.get().map(|value| view! {
                <aside class="callout warn" data-testid="token-secret">
                    <h2>{t.token_created}</h2>
                    <p>{t.token_shown_once}</p>
                    <p><code class="secret">{value}</code></p>
                    <div class="actions">
                        <button class="primary" on:click=copy>{t.copy}</button>
                        <button class="secondary" on:click=move |_| secret.set(None)>{t.token_saved_it}</button>
                    </div>
                </aside>
            })}
            <form class="panel inline-form" on:submit=create node_ref=action.node()>
                <h2>{t.new_token}</h2>
                <FormProblem action=action/>
                <label>
                    {t.token_name}
                    <input type="text" name="token_name" data-field="name" required maxlength="100" bind:value=name/>
                    <FieldError action=action name="name"/>
                </label>
                <label>
                    {t.token_expires}
                    <select name="expires" data-field="expires_in_days" on:change=move |ev| days.set(event_target_value(&ev))>
                        {["30", "90", "365"].into_iter().map(|d| view! { <option value=d selected=d == "90">{(t.in_days)(d)}</option> }).collect_view()}
                        <Show when=superuser><option value="never">{t.never}</option></Show>
                    </select>
                    <FieldError action=action name="expires_in_days"/>
                </label>
                <label>
                    {t.password_again}
                    <input type="password" name="token_password" data-field="password" required autocomplete="current-password" bind:value=password/>
                    <FieldError action=action name="password"/>
                </label>
                <div class="actions">
                    <Submit action=action label=t.create_token/>
                </div>
            </form>
            <TokenList list=list revoke=revoke/>
        </section>
    }
}
