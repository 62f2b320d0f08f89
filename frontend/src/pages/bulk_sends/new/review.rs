//! "Revisar y enviar": the last look before anything is created. What goes out (template,
//! subject, From, file and its verdicts, attachments, when), the e-mail as a chosen row gets
//! it, and one button that says what it does: "Enviar 20.000 correos", "Programar para …"
//! or "Crear sin enviar". "Volver a editar" goes back with everything kept.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use web_sys::FormData;

use super::rendered::RenderedEmail;
use super::{remember_email_column, Form};
use crate::api::bulk_sends;
use crate::components::form::{FormAction, FormProblem};
use crate::state::format::number;
use crate::state::i18n::t;
use crate::state::toasts::use_toasts;

/// The create request as the form fills it.
fn request(form: Form) -> Option<FormData> {
    let file = form.file.get_untracked()?;
    let data = FormData::new().ok()?;
    let _ = data.append_with_blob_and_filename("recipients_file", &file, &file.name());
    let _ = data.append_with_str("template_id", &form.template_id());
    let subject = form.subject.get_untracked();
    if !subject.trim().is_empty() {
        let _ = data.append_with_str("subject", subject.trim());
    }
    let sender = form.sender.get_untracked();
    if !sender.is_empty() {
        let _ = data.append_with_str("sender_id", &sender);
    }
    if let Some(mapping) = form.mapping_json() {
        let _ = data.append_with_str("mapping", &mapping);
    }
    let email_column = form
        .preview
        .with_untracked(|p| p.as_ref().map(|p| p.email_column.clone()))
        .unwrap_or_default();
    if !email_column.is_empty() {
        let _ = data.append_with_str("email_column", &email_column);
    }
    let ids = form.attachments.with_untracked(|a| {
        a.iter()
            .map(|a| a.id.to_string())
            .collect::<Vec<_>>()
            .join(",")
    });
    if !ids.is_empty() {
        let _ = data.append_with_str("attachment_ids", &ids);
    }
    let schedule = form.schedule.get_untracked();
    if schedule.is_empty() {
        let now = if form.send_now.get_untracked() {
            "true"
        } else {
            "false"
        };
        let _ = data.append_with_str("send_now", now);
    } else {
        let _ = data.append_with_str("scheduled_at", &schedule);
    }
    Some(data)
}

#[component]
pub(super) fn Review(form: Form) -> impl IntoView {
    let t = t();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let action = FormAction::new();
    let lost = RwSignal::new(false);
    let heading = NodeRef::<leptos::html::H2>::new();
    // The review takes the place of the form: its heading gets the focus.
    Effect::new(move |_| {
        if let Some(h) = heading.get() {
            let _ = h.focus();
        }
    });

    let preview = move || form.preview.get().unwrap_or_default();
    let emails = move || preview().valid_rows as i64;
    let schedule = move || form.schedule.get().replace('T', " ");
    let create = move |_| {
        let Some(data) = request(form) else {
            action.refuse_text(t.choose_csv_first);
            return;
        };
        lost.set(false);
        let navigate = navigate.clone();
        let template_id = form.template_id();
        let email_column = preview().email_column;
        action.run(async move {
            match bulk_sends::create(data, &form.key.get_value()).await {
                Ok(bulk) => {
                    remember_email_column(&template_id, &email_column);
                    toasts.success((t.created_toast)(bulk.id));
                    form.reset();
                    navigate(&format!("/envios/{}", bulk.id), Default::default());
                    Ok(())
                }
                // The answer was lost: the send may exist. The same key makes a retry safe.
                Err(err) if err.is_network() => {
                    lost.set(true);
                    Ok(())
                }
                Err(err) => Err(err),
            }
        });
    };
    let button_text = move || {
        if action.busy() {
            t.creating.to_string()
        } else if !form.schedule.with(String::is_empty) {
            (t.schedule_for)(&schedule())
        } else if form.send_now.get() {
            (t.send_n_emails)(&number(emails()), emails())
        } else {
            t.create_without_sending.to_string()
        }
    };
    let template = move || {
        form.template
            .get()
            .map(|chosen| format!("{} · {}", chosen.name, chosen.id))
            .unwrap_or_else(|| form.manual_template.get())
    };
    let subject = move || {
        let subject = form.subject.get();
        if subject.trim().is_empty() {
            t.subject_from_template.to_string()
        } else {
            subject
        }
    };
    let file = move || {
        form.file
            .with(|f| f.as_ref().map(web_sys::File::name))
            .unwrap_or_default()
    };
    let attachments = move || {
        let names = form
            .attachments
            .with(|a| a.iter().map(|a| a.name.clone()).collect::<Vec<_>>());
        if names.is_empty() {
            t.none.to_string()
        } else {
            names.join(", ")
        }
    };
    let when = move || {
        if !form.schedule.with(String::is_empty) {
            (t.scheduled_for_at)(&schedule())
        } else if form.send_now.get() {
            t.right_away.to_string()
        } else {
            t.not_sent_until_queued.to_string()
        }
    };
    view! {
        <section class="panel review" aria-labelledby="review-title" data-testid="review">
            <h2 id="review-title" tabindex="-1" node_ref=heading>{t.review_and_send}</h2>
            <dl class="facts">
                <div><dt>{t.template}</dt><dd>{template}</dd></div>
                <div><dt>{t.subject}</dt><dd>{subject}</dd></div>
                <div><dt>{t.from}</dt><dd>{move || form.sender_label.get()}</dd></div>
                <div><dt>{t.file}</dt><dd>{file}</dd></div>
                <div><dt>{t.valid_emails}</dt><dd class="num" data-testid="review-valid">{move || number(preview().valid_rows as i64)}</dd></div>
                <div><dt>{t.invalid}</dt><dd class="num">{move || number(preview().invalid_rows as i64)}</dd></div>
                <div><dt>{t.warnings}</dt><dd class="num">{move || number(preview().warning_rows as i64)}</dd></div>
                <div><dt>{t.attachments}</dt><dd>{attachments}</dd></div>
                <div><dt>{t.when_sent}</dt><dd data-testid="review-when">{when}</dd></div>
            </dl>
            <h3>{t.as_a_row_gets_it}</h3>
            <RenderedEmail form=form/>
            <FormProblem action=action/>
            <Show when=move || lost.get()>
                <p class="notice" role="alert">{t.lost_response} " " <A href="/envios">{t.check_the_list}</A></p>
            </Show>
            <div class="actions">
                <button type="button" class="secondary" disabled=move || action.busy()
                    on:click=move |_| form.reviewing.set(false)>"‹ " {t.back_to_edit}</button>
                <button type="button" class="primary" data-testid="confirm-send" disabled=move || action.busy() on:click=create>
                    {button_text}
                </button>
            </div>
        </section>
    }
}
