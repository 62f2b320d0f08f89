//! The identity forms: a new one given to a user (each user has at most one), and an edit
//! that starts from the identity as stored now.

use leptos::prelude::*;
use relay_types::{CreateSender, Sender, UpdateSender};

use crate::api::senders as api;
use crate::components::form::{FieldError, FormAction, FormProblem, Submit};
use crate::components::loaded::shown;
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::toasts::use_toasts;

#[component]
pub fn NewSender(open: RwSignal<bool>, reload: Callback<()>) -> impl IntoView {
    let t = t();
    let toasts = use_toasts();
    // Who may get one: asked again as the search changes (senders.manage is enough).
    let who = RwSignal::new(String::new());
    let people = Loaded::new(move || {
        let q = who.get();
        async move { api::candidates(&q).await }
    });
    let user_id = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let active = RwSignal::new(true);
    let action = FormAction::new();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(user_id) = user_id.get_untracked().parse::<i64>() else {
            action.refuse_field("user_id", t.choose_user_first);
            return;
        };
        let body = CreateSender {
            user_id,
            from_email: email.get_untracked().trim().to_string(),
            from_name: name.get_untracked().trim().to_string(),
            is_active: active.get_untracked(),
        };
        action.run(async move {
            let sender = api::create(&body).await?;
            toasts.success((t.sender_saved_toast)(&sender.label));
            open.set(false);
            reload.try_run(());
            Ok(())
        });
    };
    view! {
        <form class="panel inline-form" on:submit=create data-testid="new-sender" node_ref=action.node()>
            <h2>{t.new_sender}</h2>
            <FormProblem action=action/>
            <label>
                {t.find_user}
                <input type="search" name="user_q" maxlength="200" placeholder=t.user_search_placeholder
                    on:input=move |ev| who.set(event_target_value(&ev))/>
            </label>
            <label>
                {t.username}
                <select name="user_id" required on:change=move |ev| user_id.set(event_target_value(&ev))
                    prop:value=move || user_id.get()>
                    <option value="">"—"</option>
                    {move || people.get().and_then(Result::ok).map(|found| found.into_iter()
                        .map(|u| {
                            let text = if u.full_name.is_empty() { u.username.clone() } else { format!("{} ({})", u.username, u.full_name) };
                            view! { <option value=u.id.to_string()>{text}</option> }
                        })
                        .collect_view())}
                </select>
                <FieldError action=action name="user_id"/>
            </label>
            {move || people.get().and_then(Result::ok).is_some_and(|found| found.is_empty())
                .then(|| view! { <p class="muted">{t.no_user_without_sender}</p> })}
            <SenderFields email=email name=name active=active action=action/>
            <div class="actions">
                <button type="button" class="secondary" on:click=move |_| open.set(false)>{t.back}</button>
                <Submit action=action label=t.create_sender/>
            </div>
        </form>
    }
}

#[component]
pub fn EditSender(id: i64, editing: RwSignal<Option<i64>>, reload: Callback<()>) -> impl IntoView {
    let stored = Loaded::new(move || api::one(id));
    shown(stored, move |sender| {
        view! { <SenderForm sender=sender editing=editing reload=reload/> }.into_any()
    })
}

#[component]
fn SenderForm(
    sender: Sender,
    editing: RwSignal<Option<i64>>,
    reload: Callback<()>,
) -> impl IntoView {
    let t = t();
    let toasts = use_toasts();
    let id = sender.id;
    let email = RwSignal::new(sender.from_email);
    let name = RwSignal::new(sender.from_name);
    let active = RwSignal::new(sender.is_active);
    let action = FormAction::new();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = UpdateSender {
            from_email: Some(email.get_untracked().trim().to_string()),
            from_name: Some(name.get_untracked().trim().to_string()),
            is_active: Some(active.get_untracked()),
        };
        action.run(async move {
            let sender = api::update(id, &body).await?;
            toasts.success((t.sender_saved_toast)(&sender.label));
            editing.set(None);
            reload.try_run(());
            Ok(())
        });
    };
    view! {
        <form class="inline-form" on:submit=save data-testid="edit-sender" node_ref=action.node()>
            <FormProblem action=action/>
            <SenderFields email=email name=name active=active action=action/>
            <div class="actions">
                <button type="button" class="secondary" on:click=move |_| editing.set(None)>{t.back}</button>
                <Submit action=action label=t.save/>
            </div>
        </form>
    }
}

#[component]
fn SenderFields(
    email: RwSignal<String>,
    name: RwSignal<String>,
    active: RwSignal<bool>,
    action: FormAction,
) -> impl IntoView {
    let t = t();
    view! {
        <label>{t.from_email}<input type="email" name="from_email" required maxlength="254" bind:value=email/><FieldError action=action name="from_email"/></label>
        <label>{t.from_name}<input type="text" name="from_name" required maxlength="255" bind:value=name/><FieldError action=action name="from_name"/></label>
        <label class="check"><input type="checkbox" name="sender_active" bind:checked=active/> {t.sender_may_be_used}</label>
    }
}
