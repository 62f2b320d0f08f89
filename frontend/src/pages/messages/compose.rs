//! "Nuevo mensaje": from (an identity, else the default), to / cc / bcc, subject, the HTML
//! with its live preview beside it, an optional plain text, attachments, "Enviar". The
//! request carries an id of its own, so a double click or a retry after a lost answer
//! never sends twice.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use relay_types::limits::SUBJECT_MAX_CHARS;
use relay_types::{Attachment, Email, MessageStatus, SendMessage};

use crate::api::messages as api;
use crate::components::attachments::AttachmentPicker;
use crate::components::sender_select::SenderSelect;
use crate::state::browser::uuid;
use crate::state::i18n::t;
use crate::state::toasts::use_toasts;

/// Addresses as typed: separated by commas, semicolons, spaces or lines.
fn addresses(text: &str) -> Vec<Email> {
    text.split([',', ';', ' ', '\n', '\t'])
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| Email(a.to_string()))
        .collect()
}

/// The fields that show their own error; any other error shows below the form.
const FIELDS: [&str; 5] = ["to", "cc", "bcc", "subject", "html"];

fn beside_its_field(field: Option<&str>) -> bool {
    field.is_some_and(|f| FIELDS.iter().any(|name| f.starts_with(name)))
}

#[component]
pub fn NewMessage() -> impl IntoView {
    let t = t();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let sender = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let cc = RwSignal::new(String::new());
    let bcc = RwSignal::new(String::new());
    let subject = RwSignal::new(String::new());
    let html = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let attachments = RwSignal::new(Vec::<Attachment>::new());
    let key = StoredValue::new(uuid());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<(Option<String>, String)>);
    let lost = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let plain = text.get_untracked();
        let body = SendMessage {
            sender_id: sender.get_untracked().parse().ok(),
            from_email: None,
            from_name: None,
            to: addresses(&to.get_untracked()),
            cc: addresses(&cc.get_untracked()),
            bcc: addresses(&bcc.get_untracked()),
            subject: subject.get_untracked().trim().to_string(),
            html: html.get_untracked(),
            text: (!plain.trim().is_empty()).then_some(plain),
            attachment_ids: attachments.with_untracked(|a| a.iter().map(|a| a.id).collect()),
            client_request_id: Some(key.get_value()),
        };
        if body.to.is_empty() {
            error.set(Some((Some("to".into()), t.message_needs_recipient.into())));
            return;
        }
        busy.set(true);
        error.set(None);
        lost.set(false);
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::send(&body).await {
                Ok(message) => {
                    match message.status {
                        MessageStatus::Sent => toasts.success((t.message_sent_toast)(message.id)),
                        MessageStatus::SendFailed => toasts.error(message.error_message.clone()),
                        MessageStatus::Sending | MessageStatus::Ambiguous => {}
                    }
                    navigate(&format!("/mensajes/{}", message.id), Default::default());
                }
                // The answer was lost: it may have gone out. The same id makes a retry safe.
                Err(err) if err.is_network() => lost.set(true),
                Err(err) => error.set(Some((err.field, err.detail))),
            }
            busy.set(false);
        });
    };
    let field_error = move |name: &'static str| {
        move || {
            error.with(|e| match e {
                Some((Some(field), text)) if field.starts_with(name) => {
                    Some(view! { <small class="error">{text.clone()}</small> })
                }
                _ => None,
            })
        }
    };

    view! {
        <section class="page">
            <header class="page-head">
                <div>
                    <p class="crumbs"><A href="/mensajes">{t.nav_messages}</A></p>
                    <h1>{t.new_message}</h1>
                </div>
            </header>
            <div class="editor">
                <form class="panel" on:submit=submit data-testid="new-message">
                    <SenderSelect value=sender/>
                    <label>{t.message_to}<input type="text" name="to" required autocomplete="off" placeholder=t.addresses_placeholder bind:value=to/>{field_error("to")}</label>
                    <label>{t.message_cc}<input type="text" name="cc" autocomplete="off" bind:value=cc/>{field_error("cc")}</label>
                    <label>{t.message_bcc}<input type="text" name="bcc" autocomplete="off" bind:value=bcc/>{field_error("bcc")}</label>
                    <label>{t.subject}<input type="text" name="subject" required maxlength=SUBJECT_MAX_CHARS.to_string() bind:value=subject/>{field_error("subject")}</label>
                    <label>{t.message_html}<textarea name="html" rows="14" required maxlength="200000" bind:value=html></textarea>{field_error("html")}</label>
                    <details>
                        <summary>{t.plain_text_optional}</summary>
                        <label>{t.plain_text}<textarea name="text" rows="6" maxlength="200000" bind:value=text></textarea></label>
                    </details>
                    <AttachmentPicker chosen=attachments/>
                    {move || error.with(|e| e.as_ref().filter(|(field, _)| !beside_its_field(field.as_deref())).map(|(_, text)| view! { <p class="error" role="alert">{text.clone()}</p> }))}
                    <Show when=move || lost.get()>
                        <p class="notice" role="alert">{t.message_lost_response} " " <A href="/mensajes">{t.message_check_history}</A></p>
                    </Show>
                    <div class="actions">
                        <button type="submit" class="primary" disabled=move || busy.get()>
                            {move || if busy.get() { t.sending_now } else { t.send_message }}
                        </button>
                    </div>
                </form>
                <div class="panel">
                    <h2>{t.preview}</h2>
                    <iframe sandbox="" title=t.preview srcdoc=move || html.get() data-testid="message-preview"></iframe>
                </div>
            </div>
        </section>
    }
}
