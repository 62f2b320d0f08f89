//! 4 Envío: sender, attachments, "Programar envío" or "Enviar ahora", then "Revisar y
//! enviar" (the last look, `review.rs`; nothing is created here).

use leptos::prelude::*;

use super::Form;
use crate::components::attachments::AttachmentPicker;
use crate::components::form::{FormAction, FormProblem};
use crate::components::sender_select::SenderSelect;
use crate::state::i18n::t;
use crate::state::session::use_session;

#[component]
pub(super) fn SendSection(form: Form) -> impl IntoView {
    let t = t();
    let session = use_session();
    let action = FormAction::new();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let problem = if form.template_id().is_empty() {
            Some(t.choose_template_first)
        } else if form.file.with_untracked(Option::is_none) {
            Some(t.choose_csv_first)
        } else if form.preview.with_untracked(|p| {
            p.as_ref()
                .is_none_or(|p| p.problem.is_some() || !p.missing_variables.is_empty())
        }) {
            Some(t.fix_file_first)
        } else {
            None
        };
        match problem {
            Some(problem) => action.refuse_text(problem),
            None => {
                action.clear();
                form.reviewing.set(true);
            }
        }
    };

    view! {
        <form class="panel step" on:submit=submit node_ref=action.node()>
            <fieldset>
                <legend><span class="step-n">"4"</span> {t.sending}</legend>
                <SenderSelect value=form.sender label=form.sender_label/>
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
            <FormProblem action=action/>
            <div class="actions">
                <button type="submit" class="primary">{t.review_and_send} " ›"</button>
            </div>
        </form>
    }
}
