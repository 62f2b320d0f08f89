//! The e-mail as one row of the file gets it: the template rendered by the API with that
//! row's values (its columns renamed to the template's variables), with the From, the
//! subject and the address; "‹ Fila anterior" / "Fila siguiente ›" step through the rows
//! the preview read.

use leptos::prelude::*;
use relay_types::{PreviewRow, ValidationStatus};

use super::Form;
use crate::api::templates;
use crate::components::loaded::{failed, loading};
use crate::state::i18n::t;
use crate::state::loaded::Loaded;

/// The rows worth showing: those that will be sent.
fn sendable(form: Form) -> Vec<PreviewRow> {
    form.preview.with(|p| {
        p.as_ref()
            .map(|p| {
                p.rows
                    .iter()
                    .filter(|r| r.status != ValidationStatus::Invalid)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    })
}

#[component]
pub(super) fn RenderedEmail(form: Form) -> impl IntoView {
    let t = t();
    let index = RwSignal::new(0usize);
    let rows = Memo::new(move |_| sendable(form));
    let rendered = Loaded::new(move || {
        let row = rows.with(|rows| rows.get(index.get()).cloned());
        let template_id = form.template_id();
        let mapping = form.mapping.get();
        async move {
            let row = row?;
            let mut variables = row.variables.clone();
            for (variable, column) in mapping {
                if let Some(value) = row.variables.get(&column) {
                    variables.insert(variable, value.clone());
                }
            }
            Some((row, templates::preview(&template_id, variables).await))
        }
    });
    let count = move || rows.with(Vec::len);
    view! {
        <div class="rendered-email" data-testid="rendered-email">
            {move || match rendered.get() {
                None => loading(),
                Some(None) => view! { <p class="muted">{t.no_valid_row}</p> }.into_any(),
                Some(Some((_, Err(err)))) => failed(err, move || rendered.refetch()),
                Some(Some((row, Ok(page)))) => {
                    let subject = form.subject.with(|s| s.trim().to_string());
                    let subject = if subject.is_empty() { page.subject.clone() } else { subject };
                    view! {
                        <dl class="facts email-head">
                            <div><dt>{t.from}</dt><dd>{move || form.sender_label.get()}</dd></div>
                            <div><dt>{t.to}</dt><dd data-testid="rendered-to">{row.email.clone()}</dd></div>
                            <div class="wide"><dt>{t.subject}</dt><dd data-testid="rendered-subject">{subject}</dd></div>
                        </dl>
                        <div class="row-stepper">
                            <button type="button" class="secondary" disabled=move || { index.get() == 0 }
                                on:click=move |_| index.update(|i| *i = i.saturating_sub(1))>"‹ " {t.previous_row}</button>
                            <span class="muted">{(t.row_of)(row.row_number, index.get_untracked() + 1, count())}</span>
                            <button type="button" class="secondary" disabled=move || { index.get() + 1 >= count() }
                                on:click=move |_| index.update(|i| *i += 1)>{t.next_row} " ›"</button>
                        </div>
                        <iframe sandbox="" title=t.preview srcdoc=page.html data-testid="template-preview"></iframe>
                    }.into_any()
                }
            }}
        </div>
    }
}
