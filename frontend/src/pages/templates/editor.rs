//! One template: name, subject, sender and HTML beside a live preview in a sandboxed frame,
//! filled from sample values for the variables the body uses. Saving creates or changes it
//! in Doppler; deleting asks first, and so does leaving with changes not saved. Read-only
//! without `templates.manage`.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map};
use relay_types::limits::SUBJECT_MAX_CHARS;
use relay_types::{PermissionCode, TemplateDetail, TemplateInput, TemplatePatch};

use crate::api::templates;
use crate::components::confirm::Confirm;
use crate::components::form::{FieldError, FormAction, FormProblem, Submit};
use crate::components::loaded::found;
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;
use relay_types::mustache;

#[component]
pub fn TemplateEditor() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id")).unwrap_or_default());
    move || {
        let id = id.get();
        if id.is_empty() {
            return view! { <Editor template=None/> }.into_any();
        }
        view! { <Existing id=id/> }.into_any()
    }
}

#[component]
fn Existing(id: String) -> impl IntoView {
    let template = Loaded::new(move || {
        let id = id.clone();
        async move { templates::one(&id).await }
    });
    found(template, |template| {
        view! { <Editor template=Some(template)/> }.into_any()
    })
}

#[component]
fn Editor(template: Option<TemplateDetail>) -> impl IntoView {
    let t = t();
    let session = use_session();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let can_edit = session.can(PermissionCode::TemplatesManage);
    let existing_id = template.as_ref().map(|t| t.id.clone());
    let name = RwSignal::new(
        template
            .as_ref()
            .map(|t| t.name.clone())
            .unwrap_or_default(),
    );
    let subject = RwSignal::new(
        template
            .as_ref()
            .map(|t| t.subject.clone())
            .unwrap_or_default(),
    );
    let from_email = RwSignal::new(
        template
            .as_ref()
            .map(|t| t.from_email.clone())
            .unwrap_or_default(),
    );
    let from_name = RwSignal::new(
        template
            .as_ref()
            .map(|t| t.from_name.clone())
            .unwrap_or_default(),
    );
    let html = RwSignal::new(
        template
            .as_ref()
            .map(|t| t.html.clone())
            .unwrap_or_default(),
    );
    let samples = RwSignal::new(BTreeMap::<String, String>::new());
    let variables = Memo::new(move |_| html.with(|h| mustache::variables(h)));
    let rendered = Memo::new(move |_| samples.with(|s| html.with(|h| mustache::render(h, s))));
    let action = FormAction::new();
    let confirm_delete = RwSignal::new(false);
    // Leaving with changes not saved asks first.
    let snapshot =
        move || [name, subject, from_email, from_name, html].map(|field| field.get_untracked());
    let saved = StoredValue::new(snapshot());
    crate::state::browser::guard_leaving(
        move || can_edit && saved.with_value(|s| *s != snapshot()),
        t.unsaved_changes_question,
    );

    let save_id = existing_id.clone();
    let save_navigate = navigate.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let id = save_id.clone();
        let navigate = save_navigate.clone();
        action.run(async move {
            let outcome = match &id {
                Some(id) => {
                    let patch = TemplatePatch {
                        name: Some(name.get_untracked()),
                        subject: Some(subject.get_untracked()),
                        from_email: Some(from_email.get_untracked()),
                        from_name: Some(from_name.get_untracked()),
                        html: Some(html.get_untracked()),
                    };
                    templates::update(id, &patch).await
                }
                None => {
                    let input = TemplateInput {
                        name: name.get_untracked(),
                        subject: subject.get_untracked(),
                        from_email: from_email.get_untracked(),
                        from_name: from_name.get_untracked(),
                        html: html.get_untracked(),
                    };
                    templates::create(&input).await
                }
            };
            let stored = outcome?;
            saved.set_value(snapshot());
            toasts.success(t.template_saved);
            if id.is_none() {
                navigate(
                    &format!("/plantillas/{}", js_sys::encode_uri_component(&stored.id)),
                    Default::default(),
                );
            }
            Ok(())
        });
    };
    let delete_id = existing_id.clone();
    let delete = Callback::new(move |()| {
        let Some(id) = delete_id.clone() else { return };
        let navigate = navigate.clone();
        spawn_local(async move {
            match templates::delete(&id).await {
                Ok(()) => {
                    toasts.success(t.template_deleted);
                    navigate("/plantillas", Default::default());
                }
                Err(err) => toasts.error(err.detail),
            }
        });
    });
    let title = template
        .as_ref()
        .map_or(t.new_template.to_string(), |t| t.name.clone());
    let is_existing = existing_id.is_some();
    view! {
        <section class="page">
            <header class="page-head">
                <div>
                    <p class="crumbs"><a href="/plantillas">{t.nav_templates}</a></p>
                    <h1>{title}</h1>
                    {existing_id.clone().map(|id| view! { <p class="subtitle"><code>{id}</code></p> })}
                </div>
                {(can_edit && is_existing).then(|| view! {
                    <div class="actions">
                        <button class="danger" on:click=move |_| confirm_delete.set(true)>{t.delete}</button>
                    </div>
                })}
            </header>
            <div class="editor">
                <form class="panel" on:submit=save node_ref=action.node()>
                    <FormProblem action=action/>
                    <fieldset class="plain" disabled=!can_edit>
                        <label>{t.template_name}<input type="text" name="name" required maxlength="200" bind:value=name/><FieldError action=action name="name"/></label>
                        <label>{t.subject}<input type="text" name="subject" maxlength=SUBJECT_MAX_CHARS.to_string() bind:value=subject/><FieldError action=action name="subject"/></label>
                        <label>{t.from_email}<input type="email" name="from_email" required maxlength="254" bind:value=from_email/><FieldError action=action name="from_email"/></label>
                        <label>{t.from_name}<input type="text" name="from_name" maxlength="255" bind:value=from_name/><FieldError action=action name="from_name"/></label>
                        <label>{t.html_body}<textarea name="html" rows="16" maxlength="200000" bind:value=html></textarea><FieldError action=action name="html"/></label>
                    </fieldset>
                    {can_edit.then(|| view! {
                        <div class="actions"><Submit action=action label=t.save/></div>
                    })}
                </form>
                <div class="panel">
                    <h2>{t.preview}</h2>
                    <div class="samples" data-testid="template-variables">
                        {move || variables.get().into_iter().map(|variable| {
                            let key = variable.clone();
                            view! {
                                <label>
                                    <code>{format!("{{{{{variable}}}}}")}</code>
                                    <input type="text" placeholder=t.sample_value
                                        on:input=move |ev| { let v = event_target_value(&ev); samples.update(|s| { s.insert(key.clone(), v); }); }/>
                                </label>
                            }
                        }).collect_view()}
                    </div>
                    <iframe sandbox="" title=t.preview srcdoc=move || rendered.get() data-testid="live-preview"></iframe>
                </div>
            </div>
            <Confirm open=confirm_delete title=t.delete text=t.delete_template_explained confirm=t.delete danger=true on_confirm=delete/>
        </section>
    }
}
