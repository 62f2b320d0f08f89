//! "Nuevo mensaje": from (an identity, else the default), to / cc / bcc, subject, the HTML
//! with its live preview beside it, an optional plain text, attachments, "Enviar". The
//! request carries an id of its own, so a double click or a retry after a lost answer
//! never sends twice.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use relay_types::limits::SUBJECT_MAX_CHARS;
use relay_types::{Attachment, Email, MessageStatus, SendMessage};

use crate::api::messages as api;
use crate::components::attachments::AttachmentPicker;
use crate::components::form::{FieldError, FormAction, FormProblem, Submit};
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
    let action = FormAction::new();
    let lost = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
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
            action.refuse_field("to", t.message_needs_recipient);
            return;
        }
        lost.set(false);
        let navigate = navigate.clone();
        action.run(async move {
            match api::send(&body).await {
                Ok(message) => {
                    match message.status {
                        MessageStatus::Sent => toasts.success((t.message_sent_toast)(message.id)),
                        MessageStatus::SendFailed => toasts.error(message.error_message.clone()),
                        MessageStatus::Sending | MessageStatus::Ambiguous => {}
                    }
                    navigate(&format!("/mensajes/{}", message.id), Default::default());
                    Ok(())
                }
                // The answer was lost: it may have gone out. The same id makes a retry safe.
                Err(err) if err.is_network() => {
                    lost.set(true);
                    Ok(())
                }
                Err(err) => Err(err),
            }
        });
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
                <form class="panel" on:submit=submit data-testid="new-message" node_ref=action.node()>
                    <FormProblem action=action/>
                    <SenderSelect value=sender/>
                    <label>{t.message_to}<input type="text" name="to" required autocomplete="off" placeholder=t.addresses_placeholder bind:value=to/><FieldError action=action name="to"/></label>
                    <label>{t.message_cc}<input type="text" name="cc" autocomplete="off" bind:value=cc/><FieldError action=action name="cc"/></label>
                    <label>{t.message_bcc}<input type="text" name="bcc" autocomplete="off" bind:value=bcc/><FieldError action=action name="bcc"/></label>
                    <label>{t.subject}<input type="text" name="subject" required maxlength=SUBJECT_MAX_CHARS.to_string() bind:value=subject/><FieldError action=action name="subject"/></label>
                    <label>{t.message_html}<textarea name="html" rows="14" required maxlength="200000" bind:value=html></textarea><FieldError action=action name="html"/></label>
                    <details>
                        <summary>{t.plain_text_optional}</summary>
                        <label>{t.plain_text}<textarea name="text" rows="6" maxlength="200000" bind:value=text></textarea></label>
                    </details>
                    <AttachmentPicker chosen=attachments/>
                    <Show when=move || lost.get()>
                        <p class="notice" role="alert">{t.message_lost_response} " " <A href="/mensajes">{t.message_check_history}</A></p>
                    </Show>
                    <div class="actions">
                        <Submit action=action label=t.send_message busy_label=t.sending_now/>
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
