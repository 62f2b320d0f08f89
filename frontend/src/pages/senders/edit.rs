//! The identity forms: a new one given to a user (each user has at most one), and an edit
//! that starts from the identity as stored now.

use leptos::prelude::*;
use leptos::task::spawn_local;
use relay_types::{CreateSender, Sender, UpdateSender};

use crate::api::senders as api;
use crate::components::table::{failed, loading};
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
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(user_id) = user_id.get_untracked().parse::<i64>() else {
            error.set(Some(t.choose_user_first.into()));
            return;
        };
        let body = CreateSender {
            user_id,
            from_email: email.get_untracked().trim().to_string(),
            from_name: name.get_untracked().trim().to_string(),
            is_active: active.get_untracked(),
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::create(&body).await {
                Ok(sender) => {
                    toasts.success((t.sender_saved_toast)(&sender.label));
                    open.set(false);
                    reload.try_run(());
                }
                Err(err) => error.set(Some(err.detail)),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="panel inline-form" on:submit=create data-testid="new-sender">
            <h2>{t.new_sender}</h2>
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
            </label>
            {move || people.get().and_then(Result::ok).is_some_and(|found| found.is_empty())
                .then(|| view! { <p class="muted">{t.no_user_without_sender}</p> })}
            <SenderFields email=email name=name active=active/>
            {move || error.get().map(|text| view! { <p class="error" role="alert">{text}</p> })}
            <div class="actions">
                <button type="button" class="secondary" on:click=move |_| open.set(false)>{t.back}</button>
                <button type="submit" class="primary" disabled=move || busy.get()>{t.create_sender}</button>
            </div>
        </form>
    }
}

#[component]
pub fn EditSender(id: i64, editing: RwSignal<Option<i64>>, reload: Callback<()>) -> impl IntoView {
    let stored = Loaded::new(move || api::one(id));
    move || match stored.get() {
        None => loading(),
        Some(Err(err)) => failed(err),
        Some(Ok(sender)) => {
            view! { <SenderForm sender=sender editing=editing reload=reload/> }.into_any()
        }
    }
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
    let error = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = UpdateSender {
            from_email: Some(email.get_untracked().trim().to_string()),
            from_name: Some(name.get_untracked().trim().to_string()),
            is_active: Some(active.get_untracked()),
        };
        spawn_local(async move {
            match api::update(id, &body).await {
                Ok(sender) => {
                    toasts.success((t.sender_saved_toast)(&sender.label));
                    editing.set(None);
                    reload.try_run(());
                }
                Err(err) => error.set(Some(err.detail)),
            }
        });
    };
    view! {
        <form class="inline-form" on:submit=save data-testid="edit-sender">
            <SenderFields email=email name=name active=active/>
            {move || error.get().map(|text| view! { <p class="error" role="alert">{text}</p> })}
            <div class="actions">
                <button type="button" class="secondary" on:click=move |_| editing.set(None)>{t.back}</button>
                <button type="submit" class="primary">{t.save}</button>
            </div>
        </form>
    }
}

#[component]
fn SenderFields(
    email: RwSignal<String>,
    name: RwSignal<String>,
    active: RwSignal<bool>,
) -> impl IntoView {
    let t = t();
    view! {
        <label>{t.from_email}<input type="email" name="from_email" required maxlength="254" bind:value=email/></label>
        <label>{t.from_name}<input type="text" name="from_name" required maxlength="255" bind:value=name/></label>
        <label class="check"><input type="checkbox" name="sender_active" bind:checked=active/> {t.sender_may_be_used}</label>
    }
}
