//! 1 Plantilla: the template picker with search (a manual id when the list cannot load)
//! and the subject it fills.

use leptos::prelude::*;
use relay_types::limits::SUBJECT_MAX_CHARS;
use relay_types::TemplateSummary;

use super::{refresh_preview, Form, PreviewStatus};
use crate::api::templates;
use crate::components::loaded::{failed, loading};
use crate::state::browser::move_focus;
use crate::state::i18n::t;
use crate::state::loaded::Loaded;

/// The template picker's options, for the arrow keys.
const OPTIONS: &str = "#template-options .option";

#[component]
pub(super) fn TemplateSection(form: Form) -> impl IntoView {
    let t = t();
    let query = RwSignal::new(String::new());
    let list = Loaded::new(move || {
        let q = query.get();
        async move { templates::search(&q).await }
    });
    let choose = move |template: TemplateSummary| {
        form.subject.set(template.subject.clone());
        form.template.set(Some(template));
    };
    // A chosen template changes the variables the file is checked against.
    let status = expect_context::<PreviewStatus>().0;
    Effect::new(move |previous: Option<()>| {
        form.template.track();
        if previous.is_some() {
            refresh_preview(form, status);
        }
    });
    view! {
        <fieldset class="panel step">
            <legend><span class="step-n">"1"</span> {t.template}</legend>
            {move || form.template.get().map(|chosen| view! {
                <p class="chosen" data-testid="chosen-template">
                    <strong>{chosen.name.clone()}</strong> " · " {chosen.id.clone()}
                    <button type="button" class="link" on:click=move |_| form.template.set(None)>{t.change}</button>
                </p>
            })}
            <Show when=move || form.template.with(Option::is_none)>
                <label>
                    {t.search_template}
                    <input type="search" aria-controls="template-options"
                        placeholder=t.template_search_placeholder prop:value=query
                        on:input=move |ev| query.set(event_target_value(&ev))
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "ArrowDown" {
                            ev.prevent_default();
                            move_focus(OPTIONS, 1);
                        }/>
                </label>
                {move || match list.get() {
                    None => loading(),
                    Some(Err(err)) => view! {
                        {failed(err, move || list.refetch())}
                        <label>
                            {t.manual_template_id}
                            <input type="text" name="manual_template" maxlength="100" prop:value=move || form.manual_template.get()
                                on:change=move |ev| {
                                    form.manual_template.set(event_target_value(&ev));
                                    refresh_preview(form, status);
                                }/>
                        </label>
                    }.into_any(),
                    Some(Ok(list)) if list.items.is_empty() => view! { <p class="muted">{t.no_templates}</p> }.into_any(),
                    Some(Ok(list)) => view! {
                        <ul id="template-options" class="options"
                            on:keydown=move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
                                "ArrowDown" => { ev.prevent_default(); move_focus(OPTIONS, 1); }
                                "ArrowUp" => { ev.prevent_default(); move_focus(OPTIONS, -1); }
                                _ => {}
                            }>
                            {list.items.into_iter().map(|template| {
                                let label = format!(
                                    "{} · {}",
                                    if template.subject.is_empty() { t.no_subject } else { &template.subject },
                                    template.id
                                );
                                let name = template.name.clone();
                                view! {
                                    <li>
                                        <button type="button" class="option" on:click=move |_| choose(template.clone())>
                                            <strong>{name}</strong><small class="muted block">{label}</small>
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }}
            </Show>
            <label>
                {t.subject}
                <input type="text" name="subject" maxlength=SUBJECT_MAX_CHARS.to_string() placeholder=t.subject_hint
                    bind:value=form.subject/>
            </label>
        </fieldset>
    }
}
