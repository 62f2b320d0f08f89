//! 3 Variables: template variables to CSV columns (columns named nearly like a variable are
//! chosen for it), the missing-variable check, and "Vista previa": the e-mail as each row
//! gets it, with its From and subject.

use leptos::prelude::*;

use super::rendered::RenderedEmail;
use super::{refresh_preview, Form, PreviewStatus};
use crate::state::i18n::t;

#[component]
pub(super) fn VariablesSection(form: Form) -> impl IntoView {
    let t = t();
    let status = expect_context::<PreviewStatus>().0;
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
    let open = RwSignal::new(false);
    let open_ref = NodeRef::<leptos::html::Button>::new();
    let close_ref = NodeRef::<leptos::html::Button>::new();
    // Focus goes into the dialog when it opens and back to "Vista previa" when it closes.
    Effect::new(move |_| {
        if open.get() {
            if let Some(button) = close_ref.get() {
                let _ = button.focus();
            }
        }
    });
    let close = move || {
        open.set(false);
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
                                    <select name=format!("columna_{variable}") on:change=move |ev| set_column(name.clone(), event_target_value(&ev)) aria-invalid=is_missing.to_string()>
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
            <button type="button" class="secondary" node_ref=open_ref disabled=move || !ready() on:click=move |_| open.set(true)>
                {t.preview}
            </button>
            <Show when=move || open.get()>
                <div class="overlay" on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" { close() }>
                    <div class="dialog wide" role="dialog" aria-modal="true" aria-labelledby="preview-title">
                        <h2 id="preview-title">{t.preview}</h2>
                        <RenderedEmail form=form/>
                        <div class="actions"><button type="button" node_ref=close_ref on:click=move |_| close()>{t.close}</button></div>
                    </div>
                </div>
            </Show>
        </fieldset>
    }
}
