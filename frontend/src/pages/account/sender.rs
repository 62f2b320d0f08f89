//! "Mi remitente": the From the user's sends use — their own identity, or the deployment's
//! default — and setting their own.

use leptos::prelude::*;
use relay_types::{MySender, SetMySender};

use crate::api::senders;
use crate::components::form::{FieldError, FormAction, FormProblem, Submit};
use crate::components::loaded::shown;
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::toasts::use_toasts;

#[component]
pub fn MySenderPage() -> impl IntoView {
    let t = t();
    let current = Loaded::new(senders::mine);
    view! {
        <section class="page">
            <header class="page-head">
                <div>
                    <h1>{t.nav_my_sender}</h1>
                    <p class="subtitle">{t.my_sender_subtitle}</p>
                </div>
            </header>
            {shown(current, move |mine| view! { <SenderForm mine=mine on_saved=Callback::new(move |()| current.refetch())/> }.into_any())}
        </section>
    }
}

#[component]
fn SenderForm(mine: MySender, on_saved: Callback<()>) -> impl IntoView {
    let t = t();
    let toasts = use_toasts();
    let email = RwSignal::new(
        mine.sender
            .as_ref()
            .map(|s| s.from_email.clone())
            .unwrap_or_default(),
    );
    let name = RwSignal::new(
        mine.sender
            .as_ref()
            .map(|s| s.from_name.clone())
            .unwrap_or_default(),
    );
    let action = FormAction::new();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = SetMySender {
            from_email: email.get_untracked().trim().to_string(),
            from_name: name.get_untracked().trim().to_string(),
        };
        action.run(async move {
            senders::set_mine(&body).await?;
            toasts.success(t.sender_saved);
            on_saved.try_run(());
            Ok(())
        });
    };
    view! {
        <dl class="facts" data-testid="effective-sender">
            <div class="wide"><dt>{t.sends_go_from}</dt><dd>{format!("{} <{}>", mine.effective_from_name, mine.effective_from_email)}</dd></div>
            {mine.sender.is_none().then(|| view! { <div class="wide"><dt>{t.sender}</dt><dd class="muted">{mine.default_sender.label.clone()}</dd></div> })}
        </dl>
        <form class="panel inline-form" on:submit=save node_ref=action.node()>
            <FormProblem action=action/>
            <label>
                {t.from_name}
                <input type="text" name="from_name" required maxlength="255" bind:value=name/>
                <FieldError action=action name="from_name"/>
            </label>
            <label>
                {t.from_email}
                <input type="email" name="from_email" required maxlength="254" bind:value=email/>
                <FieldError action=action name="from_email"/>
            </label>
            <div class="actions">
                <Submit action=action label=t.save/>
            </div>
        </form>
    }
}
