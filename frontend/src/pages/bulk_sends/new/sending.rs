//! 4 Envío: sender, attachments, schedule or queue now, and "Crear envío".

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use web_sys::FormData;

use super::Form;
use crate::api::bulk_sends;
use crate::components::attachments::AttachmentPicker;
use crate::components::sender_select::SenderSelect;
use crate::state::i18n::t;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

#[component]
pub(super) fn SendSection(form: Form) -> impl IntoView {
    let t = t();
    let session = use_session();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let lost = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let Some(file) = form.file.get_untracked() else {
            error.set(Some(t.choose_csv_first.into()));
            return;
        };
        let template_id = form.template_id();
        if template_id.is_empty() {
            error.set(Some(t.choose_template_first.into()));
            return;
        }
        let Ok(data) = FormData::new() else { return };
        let _ = data.append_with_blob_and_filename("recipients_file", &file, &file.name());
        let _ = data.append_with_str("template_id", &template_id);
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
            let _ = data.append_with_str(
                "send_now",
                if form.send_now.get_untracked() {
                    "true"
                } else {
                    "false"
                },
            );
        } else {
            let _ = data.append_with_str("scheduled_at", &schedule);
        }
        busy.set(true);
        error.set(None);
        lost.set(false);
        let navigate = navigate.clone();
        spawn_local(async move {
            match bulk_sends::create(data, &form.key.get_value()).await {
                Ok(bulk) => {
                    toasts.success((t.created_toast)(bulk.id));
                    form.reset();
                    navigate(&format!("/envios/{}", bulk.id), Default::default());
                }
                // The answer was lost: the send may exist. The same key makes a retry safe.
                Err(err) if err.is_network() => lost.set(true),
                Err(err) => error.set(Some(err.detail)),
            }
            busy.set(false);
        });
    };

    view! {
        <form class="panel step" on:submit=submit>
            <fieldset>
                <legend><span class="step-n">"4"</span> {t.sending}</legend>
                <SenderSelect value=form.sender/>
                <AttachmentPicker chosen=form.attachments/>
                <label>
                    {t.schedule_send}
                    <input type="datetime-local" name="scheduled_at" bind:value=form.schedule/>
                    <small class="muted">{move || (t.times_in_zone)(&session.time_zone())}</small>
                </label>
                <label class="check">
                    <input type="checkbox" name="send_now" bind:checked=form.send_now
                        disabled=move || !form.schedule.get().is_empty()/>
                    {t.queue_immediately}
                </label>
            </fieldset>
            {move || error.get().map(|text| view! { <p class="error" role="alert">{text}</p> })}
            <Show when=move || lost.get()>
                <p class="notice" role="alert">{t.lost_response} " " <A href="/envios">{t.check_the_list}</A></p>
            </Show>
            <div class="actions">
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { t.creating } else { t.create_send }}
                </button>
            </div>
        </form>
    }
}
