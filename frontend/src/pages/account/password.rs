//! "Cambiar contraseña": the current password, the new one twice. Open to everyone from the
//! menu, and the only page a user sees after an administrator set their password.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::state::i18n::t;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let t = t();
    let session = use_session();
    let toasts = use_toasts();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let repeated = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let forced = move || {
        session.me.with(|me| {
            me.as_ref()
                .is_some_and(|me| me.user.password_change_required)
        })
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        if new.get_untracked() != repeated.get_untracked() {
            error.set(Some(t.passwords_differ.to_string()));
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::auth::change_password(current.get_untracked(), new.get_untracked()).await {
                Ok(me) => {
                    for field in [current, new, repeated] {
                        field.set(String::new());
                    }
                    session.sign_in(me);
                    toasts.success(t.password_changed);
                }
                Err(err) => error.set(Some(err.detail)),
            }
            busy.set(false);
        });
    };

    view! {
        <section class="page">
            <header class="page-head">
                <div>
                    <h1>{t.nav_password}</h1>
                    <p class="subtitle">{t.password_subtitle}</p>
                </div>
            </header>
            <Show when=forced>
                <aside class="callout warn" role="status" data-testid="password-forced">
                    <p>{t.password_forced}</p>
                </aside>
            </Show>
            <form class="panel inline-form" on:submit=submit>
                <label>
                    {t.current_password}
                    <input type="password" name="current_password" required autocomplete="current-password"
                        bind:value=current/>
                </label>
                <label>
                    {t.chosen_password}
                    <input type="password" name="new_password" required minlength="12" maxlength="1024"
                        autocomplete="new-password" aria-describedby="password-rules" bind:value=new/>
                </label>
                <label>
                    {t.repeat_new_password}
                    <input type="password" name="repeat_password" required autocomplete="new-password"
                        bind:value=repeated/>
                </label>
                <p class="hint" id="password-rules">{t.password_rules}</p>
                {move || error.get().map(|text| view! { <p class="error" role="alert">{text}</p> })}
                <div class="actions">
                    <button type="submit" class="primary" disabled=move || busy.get()>{t.nav_password}</button>
                </div>
            </form>
        </section>
    }
}
