//! "Cambiar contraseña": the current password, the new one twice. Open to everyone from the
//! menu, and the only page a user sees after an administrator set their password.

use leptos::prelude::*;

use crate::api;
use crate::components::form::{FieldError, FormAction, FormProblem, Submit};
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
    let action = FormAction::new();
    let forced = move || {
        session.me.with(|me| {
            me.as_ref()
                .is_some_and(|me| me.user.password_change_required)
        })
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if new.get_untracked() != repeated.get_untracked() {
            action.refuse_field("repeat_password", t.passwords_differ);
            return;
        }
        action.run(async move {
            let me =
                api::auth::change_password(current.get_untracked(), new.get_untracked()).await?;
            for field in [current, new, repeated] {
                field.set(String::new());
            }
            session.sign_in(me);
            toasts.success(t.password_changed);
            Ok(())
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
            <form class="panel inline-form" on:submit=submit node_ref=action.node()>
                <FormProblem action=action/>
                <label>
                    {t.current_password}
                    <input type="password" name="current_password" required autocomplete="current-password"
                        bind:value=current/>
                    <FieldError action=action name="current_password"/>
                </label>
                <label>
                    {t.chosen_password}
                    <input type="password" name="new_password" required minlength="12" maxlength="1024"
                        autocomplete="new-password" aria-describedby="password-rules" bind:value=new/>
                    <FieldError action=action name="new_password"/>
                </label>
                <label>
                    {t.repeat_new_password}
                    <input type="password" name="repeat_password" required autocomplete="new-password"
                        bind:value=repeated/>
                    <FieldError action=action name="repeat_password"/>
                </label>
                <p class="hint" id="password-rules">{t.password_rules}</p>
                <div class="actions">
                    <Submit action=action label=t.nav_password/>
                </div>
            </form>
        </section>
    }
}
