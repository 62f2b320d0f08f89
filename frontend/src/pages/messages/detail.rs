//! One message: who sent it from where to whom, its state (and Doppler's id or the error),
//! its attachments to download, the body as the recipient sees it, and for an ambiguous one
//! the decision: "Marcar enviado" or "Reenviar", each confirmed.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use relay_types::{Message, MessageStatus, ResolveAction};

use crate::api::{attachments, messages as api};
use crate::components::badge::{message_tone, Badge};
use crate::components::confirm::Confirm;
use crate::components::form::FormAction;
use crate::components::loaded::found;
use crate::pages::errors::NotFound;
use crate::state::format::{bytes, datetime, relative};
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::toasts::use_toasts;

#[component]
pub fn MessageDetail() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .with(|p| p.get("id"))
            .and_then(|id| id.parse::<i64>().ok())
    };
    let message = Loaded::new(move || {
        let id = id();
        async move {
            match id {
                Some(id) => api::one(id).await.map(Some),
                None => Ok(None),
            }
        }
    });
    let replace = Callback::new(move |()| message.refetch());
    found(message, move |message| match message {
        None => view! { <NotFound/> }.into_any(),
        Some(message) => view! { <MessageView message=message changed=replace/> }.into_any(),
    })
}

#[component]
fn MessageView(message: Message, changed: Callback<()>) -> impl IntoView {
    let t = t();
    let toasts = use_toasts();
    let id = message.id;
    let confirm_open = RwSignal::new(false);
    let action = RwSignal::new(ResolveAction::MarkSent);
    let busy = FormAction::new();
    let resolve = Callback::new(move |()| {
        let chosen = action.get_untracked();
        busy.act(
            async move {
                let done = api::resolve(id, chosen).await?;
                if done.status == MessageStatus::SendFailed {
                    toasts.error(done.error_message);
                } else {
                    toasts.success(t.message_resolved);
                }
                Ok(())
            },
            move || changed.run(()),
        );
    });
    let ask = move |chosen: ResolveAction| {
        move |_| {
            action.set(chosen);
            confirm_open.set(true);
        }
    };
    let list = |addresses: &[String]| {
        if addresses.is_empty() {
            "—".to_string()
        } else {
            addresses.join(", ")
        }
    };
    let ambiguous = message.status == MessageStatus::Ambiguous;
    view! {
        <section class="page">
            <header class="page-head">
                <div>
                    <p class="crumbs"><A href="/mensajes">{t.nav_messages}</A></p>
                    <h1>{format!("#{} · {}", message.id, message.subject)}</h1>
                    <p class="subtitle"><Badge tone=message_tone(message.status) text=(t.message_status_label)(message.status)/></p>
                </div>
            </header>
            {ambiguous.then(|| view! {
                <aside class="callout ambiguous" data-testid="message-ambiguous">
                    <p>{t.message_ambiguous_explained}</p>
                    <div class="actions">
                        <button class="secondary" disabled=move || busy.busy() on:click=ask(ResolveAction::MarkSent)>{t.mark_sent}</button>
                        <button class="primary" disabled=move || busy.busy() on:click=ask(ResolveAction::Resend)>{t.resend}</button>
                    </div>
                </aside>
            })}
            <dl class="facts">
                <div><dt>{t.sender}</dt><dd>{format!("{} <{}>", message.from_name, message.from_email)}</dd></div>
                <div><dt>{t.created}</dt><dd><time title=datetime(&message.created_at)>{relative(&message.created_at)}</time>
                    {message.created_by.clone().map(|who| format!(" · {who}"))}</dd></div>
                {message.sent_at.as_ref().map(|at| view! { <div><dt>{t.sent_at}</dt><dd>{datetime(at)}</dd></div> })}
                <div class="wide"><dt>{t.message_to}</dt><dd>{list(&message.to)}</dd></div>
                {(!message.cc.is_empty()).then(|| view! { <div class="wide"><dt>{t.message_cc}</dt><dd>{list(&message.cc)}</dd></div> })}
                {(!message.bcc.is_empty()).then(|| view! { <div class="wide"><dt>{t.message_bcc}</dt><dd>{list(&message.bcc)}</dd></div> })}
                {(!message.relay_message_id.is_empty()).then(|| view! {
                    <div class="wide"><dt>{t.doppler_id}</dt><dd><code>{message.relay_message_id.clone()}</code></dd></div>
                })}
                {(!message.error_message.is_empty()).then(|| view! {
                    <div class="wide"><dt>{t.error}</dt><dd class="error">{message.error_message.clone()}</dd></div>
                })}
            </dl>
            {(!message.attachment_ids.is_empty()).then(|| view! {
                <section class="panel">
                    <h2>{t.attachments}</h2>
                    <ul class="chips">
                        {message.attachment_ids.iter().map(|id| view! { <AttachmentChip id=*id/> }).collect_view()}
                    </ul>
                </section>
            })}
            <section class="panel">
                <h2>{t.preview}</h2>
                {match (message.html.clone(), message.text.clone()) {
                    (Some(html), _) => view! { <iframe class="message-body" sandbox="" title=t.preview srcdoc=html></iframe> }.into_any(),
                    (None, Some(text)) => view! { <pre class="message-body">{text}</pre> }.into_any(),
                    (None, None) => view! { <p class="muted">"—"</p> }.into_any(),
                }}
            </section>
            <Confirm open=confirm_open
                title=move || if action.get() == ResolveAction::MarkSent { t.mark_sent } else { t.resend }
                text=move || if action.get() == ResolveAction::MarkSent { t.message_mark_sent_explained } else { t.message_resend_explained }
                confirm=move || if action.get() == ResolveAction::MarkSent { t.mark_sent } else { t.resend }
                on_confirm=resolve/>
        </section>
    }
}

/// An attachment by id: its name and size, downloaded on click.
#[component]
fn AttachmentChip(id: i64) -> impl IntoView {
    let toasts = use_toasts();
    let found = Loaded::new(move || attachments::one(id));
    move || match found.get() {
        Some(Ok(attachment)) => {
            let label = format!("{} ({})", attachment.name, bytes(attachment.size_bytes));
            view! {
                <li><button type="button" class="link" on:click=move |_| {
                    let attachment = attachment.clone();
                    spawn_local(async move {
                        if let Err(err) = attachments::download(&attachment).await {
                            toasts.error(err.detail);
                        }
                    });
                }>{label}</button></li>
            }
            .into_any()
        }
        // Deleted since, or not the user's to see: the id is all there is.
        Some(Err(_)) => view! { <li class="muted">{format!("#{id}")}</li> }.into_any(),
        None => view! { <li class="muted" aria-busy="true">"…"</li> }.into_any(),
    }
}
