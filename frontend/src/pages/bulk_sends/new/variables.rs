//! 3 Variables: template variables to CSV columns, the missing-variable check, and
//! "Vista previa" with the first valid row.

use leptos::prelude::*;
use leptos::task::spawn_local;
use relay_types::ValidationStatus;

use super::{refresh_preview, Form, PreviewStatus};
use crate::api::templates;
use crate::state::i18n::t;
use crate::state::toasts::use_toasts;

#[component]
pub(super) fn VariablesSection(form: Form) -> impl IntoView {
    let t = t();
    let status = expect_context::<PreviewStatus>().0;
    let rendered = RwSignal::new(None::<String>);
    let previewing = RwSignal::new(false);
    let toasts = use_toasts();
    let set_column = move |variable: String, column: String| {
        form.mapping.update(|m| {
            if column.is_empty() || column == variable {
                m.remove(&variable);
            } else {
                m.insert(variable, column);
            }
        });
        refresh_preview(form, status);
    };
    let show_preview = move |_| {
        let template_id = form.template_id();
        let Some(preview) = form.preview.get_untracked() else {
            return;
        };
        // The first importable row, its columns renamed to the template's variables.
        let Some(row) = preview
            .rows
            .iter()
            .find(|r| r.status != ValidationStatus::Invalid)
            .cloned()
        else {
            toasts.error(t.no_valid_row);
            return;
        };
        let mut variables = row.variables.clone();
        for (variable, column) in form.mapping.get_untracked() {
            if let Some(value) = row.variables.get(&column) {
                variables.insert(variable, value.clone());
            }
        }
        previewing.set(true);
        spawn_local(async move {
            match templates::preview(&template_id, variables).await {
                Ok(page) => rendered.set(Some(page.html)),
                Err(err) => toasts.error(err.detail),
            }
            previewing.set(false);
        });
    };
    let open_ref = NodeRef::<leptos::html::Button>::new();
    let close_ref = NodeRef::<leptos::html::Button>::new();
    // Focus goes into the dialog when it opens and back to "Vista previa" when it closes.
    Effect::new(move |_| {
        if rendered.with(Option::is_some) {
            if let Some(button) = close_ref.get() {
                let _ = button.focus();
            }
        }
    });
    let close = move || {
        rendered.set(None);
        if let Some(button) = open_ref.get_untracked() {
            let _ = button.focus();
        }
    };
    let ready = move || {
        !form.template_id().is_empty()
            && form
                .preview
                .with(|p| p.as_ref().is_some_and(|p| p.problem.is_none()))
    };
    view! {
        <fieldset class="panel step">
            <legend><span class="step-n">"3"</span> {t.variables}</legend>
            {move || form.preview.get().filter(|p| p.problem.is_none()).map(|preview| {
                let columns = preview.headers.clone();
                let missing = preview.missing_variables.clone();
                view! {
                    {(preview.template_variables.is_empty()).then(|| view! { <p class="muted">{t.no_template_variables}</p> })}
                    <div class="mapping">
                        {preview.template_variables.iter().map(|variable| {
                            let chosen = form.mapping.with(|m| m.get(variable).cloned()).unwrap_or_else(|| variable.clone());
                            let is_missing = missing.contains(variable);
                            let name = variable.clone();
                            view! {
                                <label class:missing=is_missing>
                                    <code>{format!("{{{{{variable}}}}}")}</code>
                                    <select on:change=move |ev| set_column(name.clone(), event_target_value(&ev)) aria-invalid=is_missing.to_string()>
                                        <option value="">{t.choose_column}</option>
                                        {columns.iter().map(|c| view! { <option value=c.clone() selected=*c == chosen>{c.clone()}</option> }).collect_view()}
                                    </select>
                                </label>
                            }
                        }).collect_view()}
                    </div>
                    {(!missing.is_empty()).then(|| view! {
                        <p class="error" role="alert" data-testid="missing-variables">{(t.missing_variables)(&missing.join(", "))}</p>
                    })}
                }
            })}
            <button type="button" class="secondary" node_ref=open_ref disabled=move || !ready() || previewing.get() on:click=show_preview>
                {move || if previewing.get() { t.loading } else { t.preview }}
            </button>
            {move || rendered.get().map(|html| view! {
                <div class="overlay" on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" { close() }>
                    <div class="dialog wide" role="dialog" aria-modal="true" aria-labelledby="preview-title">
                        <h2 id="preview-title">{t.preview}</h2>
                        <p class="muted">{t.preview_first_row}</p>
                        <iframe sandbox="" title=t.preview srcdoc=html data-testid="template-preview"></iframe>
                        <div class="actions"><button type="button" node_ref=close_ref on:click=move |_| close()>{t.close}</button></div>
                    </div>
                </div>
            })}
        </fieldset>
    }
}
