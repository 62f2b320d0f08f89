//! "Nuevo envío": one page in four numbered sections — 1 Plantilla, 2 Destinatarios, 3
//! Variables, 4 Envío — then "Crear envío". Nothing is created until the last click, and
//! that click creates one send even when repeated (the form's idempotency key).

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use relay_types::{Attachment, CsvPreview, TemplateSummary, ValidationStatus};
use wasm_bindgen::JsCast;
use web_sys::{File, FormData};

use crate::api::{attachments, bulk_sends, csv, senders, templates};
use crate::components::badge::{validation_tone, Badge};
use crate::components::table::Table;
use crate::state::browser::{move_focus, save_bytes, uuid};

/// The template picker's options, for the arrow keys.
const OPTIONS: &str = "#template-options .option";
use crate::state::format::number;
use crate::state::i18n::t;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

/// Everything the four sections fill in. It lives above the router (see `app.rs`), so a
/// half-filled form survives switching the language, and its idempotency key survives a
/// retry; it starts afresh once a send is created.
#[derive(Clone, Copy)]
pub struct Form {
    template: RwSignal<Option<TemplateSummary>>,
    manual_template: RwSignal<String>,
    subject: RwSignal<String>,
    file: RwSignal<Option<File>, LocalStorage>,
    preview: RwSignal<Option<CsvPreview>>,
    mapping: RwSignal<BTreeMap<String, String>>,
    sender: RwSignal<String>,
    attachments: RwSignal<Vec<Attachment>>,
    schedule: RwSignal<String>,
    send_now: RwSignal<bool>,
    /// Bumped per preview request: only the latest answer is shown.
    previews: StoredValue<u64>,
    /// The create request's idempotency key: one per send, kept across retries.
    key: StoredValue<String>,
}

impl Form {
    pub fn new() -> Form {
        Form {
            template: RwSignal::new(None),
            manual_template: RwSignal::new(String::new()),
            subject: RwSignal::new(String::new()),
            file: RwSignal::new_local(None),
            preview: RwSignal::new(None),
            mapping: RwSignal::new(BTreeMap::new()),
            sender: RwSignal::new(String::new()),
            attachments: RwSignal::new(Vec::new()),
            schedule: RwSignal::new(String::new()),
            send_now: RwSignal::new(true),
            previews: StoredValue::new(0),
            key: StoredValue::new(uuid()),
        }
    }

    /// A blank form with a new key, once its send exists.
    fn reset(&self) {
        self.template.set(None);
        self.manual_template.set(String::new());
        self.subject.set(String::new());
        self.file.set(None);
        self.preview.set(None);
        self.mapping.set(BTreeMap::new());
        self.sender.set(String::new());
        self.attachments.set(Vec::new());
        self.schedule.set(String::new());
        self.send_now.set(true);
        self.key.set_value(uuid());
    }

    fn template_id(&self) -> String {
        self.template
            .with(|chosen| chosen.as_ref().map(|chosen| chosen.id.clone()))
            .unwrap_or_else(|| self.manual_template.get().trim().to_string())
    }

    fn mapping_json(&self) -> Option<String> {
        self.mapping
            .with(|m| (!m.is_empty()).then(|| serde_json::to_string(m).unwrap_or_default()))
    }
}

#[component]
pub fn NewBulkSend() -> impl IntoView {
    let t = t();
    let form = use_context::<Form>().unwrap_or_else(Form::new);
    provide_context(PreviewStatus(RwSignal::new(None)));
    view! {
        <section class="page new-send">
            <header class="page-head">
                <div>
                    <h1>{t.nav_new_bulk_send}</h1>
                    <p class="subtitle">{t.new_send_subtitle}</p>
                </div>
            </header>
            <TemplateSection form=form/>
            <RecipientsSection form=form/>
            <VariablesSection form=form/>
            <SendSection form=form/>
        </section>
    }
}

/// Runs the CSV preview again (a new file, template or mapping).
fn refresh_preview(form: Form, status: RwSignal<Option<String>>) {
    untrack(|| ask_preview(form, status));
}

fn ask_preview(form: Form, status: RwSignal<Option<String>>) {
    let Some(file) = form.file.get_untracked() else {
        return;
    };
    let generation = form.previews.get_value() + 1;
    form.previews.set_value(generation);
    let Ok(data) = FormData::new() else { return };
    let _ = data.append_with_blob_and_filename("file", &file, &file.name());
    let template_id = form.template_id();
    if !template_id.is_empty() {
        let _ = data.append_with_str("template_id", &template_id);
    }
    if let Some(mapping) = form.mapping_json() {
        let _ = data.append_with_str("mapping", &mapping);
    }
    status.set(Some(t().reading_file.into()));
    spawn_local(async move {
        let answer = csv::preview(data).await;
        if form.previews.get_value() != generation {
            return; // a newer request is on its way
        }
        match answer {
            Ok(preview) => {
                status.set(None);
                form.preview.set(Some(preview));
            }
            Err(err) => {
                form.preview.set(None);
                status.set(Some(err.detail));
            }
        }
    });
}

#[component]
fn TemplateSection(form: Form) -> impl IntoView {
    let t = t();
    let query = RwSignal::new(String::new());
    let list = LocalResource::new(move || {
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
                    None => view! { <p class="loading" aria-busy="true">{t.loading}</p> }.into_any(),
                    Some(Err(err)) => view! {
                        <p class="error" role="alert">{err.detail}</p>
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
                <input type="text" name="subject" maxlength="998" placeholder=t.subject_hint
                    bind:value=form.subject/>
            </label>
        </fieldset>
    }
}

/// What the preview is doing or why it failed, shared by the sections that rerun it.
#[derive(Clone, Copy)]
struct PreviewStatus(RwSignal<Option<String>>);

#[component]
fn RecipientsSection(form: Form) -> impl IntoView {
    let t = t();
    let status = expect_context::<PreviewStatus>().0;
    let dragging = RwSignal::new(false);
    let take = move |file: Option<File>| {
        if let Some(file) = file {
            form.mapping.set(BTreeMap::new());
            form.file.set(Some(file));
            refresh_preview(form, status);
        }
    };
    let on_change = move |ev: leptos::ev::Event| {
        let input = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        take(input.and_then(|i| i.files()).and_then(|files| files.get(0)));
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        take(
            ev.data_transfer()
                .and_then(|d| d.files())
                .and_then(|files| files.get(0)),
        );
    };
    view! {
        <fieldset class="panel step">
            <legend><span class="step-n">"2"</span> {t.recipients_csv}</legend>
            <label class="dropzone" class:dragging=move || dragging.get()
                on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop>
                <span>{move || form.file.with(|f| f.as_ref().map(File::name)).unwrap_or_else(|| t.drop_csv.to_string())}</span>
                <input type="file" name="recipients_file" accept=".csv,text/csv" on:change=on_change/>
            </label>
            {move || status.get().map(|text| view! { <p class="muted" role="status">{text}</p> })}
            {move || form.preview.get().map(|preview| view! { <PreviewSummary preview=preview/> })}
        </fieldset>
    }
}

#[component]
fn PreviewSummary(preview: CsvPreview) -> impl IntoView {
    let t = t();
    if let Some(problem) = preview.problem {
        return view! { <p class="error" role="alert" data-testid="csv-problem">{problem.message}</p> }.into_any();
    }
    let problems = preview.problem_rows.clone();
    let download = move |_| {
        // As the server's exports for Excel in Spanish: BOM, `;`, formulas neutralised.
        let mut text = String::from("\u{feff}");
        text.push_str(&t.problems_csv_header.join(";"));
        text.push_str("\r\n");
        for row in &problems {
            let cells = [
                row.row_number.to_string(),
                row.email.clone(),
                (t.validation_label)(row.status).to_string(),
                row.code.clone(),
                row.message.clone(),
            ];
            let line = cells
                .iter()
                .map(|c| {
                    let c = if c.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                        format!("'{c}")
                    } else {
                        c.clone()
                    };
                    format!("\"{}\"", c.replace('"', "\"\""))
                })
                .collect::<Vec<_>>()
                .join(";");
            text.push_str(&line);
            text.push_str("\r\n");
        }
        save_bytes(text.as_bytes(), "filas-con-problemas.csv", "text/csv");
    };
    let columns: Vec<String> = preview.headers.iter().take(8).cloned().collect();
    let headers: Vec<String> = std::iter::once(t.row.to_string())
        .chain(columns.iter().cloned())
        .chain(std::iter::once(t.validation.to_string()))
        .collect();
    view! {
        <dl class="facts" data-testid="csv-preview">
            <div><dt>{t.encoding}</dt><dd>{preview.encoding.clone()}</dd></div>
            <div><dt>{t.delimiter}</dt><dd>{preview.delimiter.clone()}</dd></div>
            <div><dt>{t.email_column}</dt><dd>{if preview.email_column.is_empty() { t.not_detected.to_string() } else { preview.email_column.clone() }}</dd></div>
            <div><dt>{t.rows}</dt><dd class="num">{number(preview.total_rows as i64)}</dd></div>
            <div><dt>{t.valid_emails}</dt><dd class="num" data-testid="valid-rows">{number(preview.valid_rows as i64)}</dd></div>
            <div><dt>{t.invalid}</dt><dd class="num">{number(preview.invalid_rows as i64)}</dd></div>
            <div><dt>{t.warnings}</dt><dd class="num">{number(preview.warning_rows as i64)}</dd></div>
        </dl>
        {(!preview.problem_rows.is_empty()).then(|| view! {
            <div class="callout warn">
                <ul class="problem-rows" data-testid="problem-rows">
                    {preview.problem_rows.iter().take(20).map(|row| view! {
                        <li>
                            <Badge tone=validation_tone(row.status) text=(t.validation_label)(row.status)/>
                            " " {(t.row_n)(row.row_number)} " · " {row.email.clone()} " — " {row.message.clone()}
                        </li>
                    }).collect_view()}
                </ul>
                {(preview.problem_rows.len() > 20).then(|| view! {
                    <p class="muted">{(t.more_problem_rows)(preview.problem_rows.len() - 20)}</p>
                })}
                <button type="button" class="secondary" on:click=download>{t.download_problems}</button>
            </div>
        })}
        <Table headers=headers>
            {preview.rows.into_iter().take(5).map(|row| {
                let cells = columns.iter().map(|c| {
                    let value = if *c == preview.email_column { row.email.clone() } else {
                        row.variables.get(c).map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).unwrap_or_default()
                    };
                    view! { <td data-label=c.clone()>{value}</td> }
                }).collect_view();
                view! {
                    <tr>
                        <td class="num">{row.row_number}</td>
                        {cells}
                        <td><Badge tone=validation_tone(row.status) text=(t.validation_label)(row.status)/>
                            {(row.status != ValidationStatus::Valid).then(|| view! { <small class="muted block">{row.message.clone()}</small> })}</td>
                    </tr>
                }
            }).collect_view()}
        </Table>
    }.into_any()
}

#[component]
fn VariablesSection(form: Form) -> impl IntoView {
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

#[component]
fn SendSection(form: Form) -> impl IntoView {
    let t = t();
    let session = use_session();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let senders = LocalResource::new(senders::usable);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let lost = RwSignal::new(false);
    let uploading = RwSignal::new(false);

    let attach = move |ev: leptos::ev::Event| {
        let input = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        let Some(file) = input
            .as_ref()
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
        else {
            return;
        };
        let Ok(data) = FormData::new() else { return };
        let _ = data.append_with_blob_and_filename("file", &file, &file.name());
        if let Some(input) = input {
            input.set_value("");
        }
        uploading.set(true);
        spawn_local(async move {
            match attachments::upload(data).await {
                Ok(attachment) => form.attachments.update(|list| list.push(attachment)),
                Err(err) => toasts.error(err.detail),
            }
            uploading.set(false);
        });
    };

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
                <label>
                    {t.sender}
                    <select name="sender_id" prop:value=move || form.sender.get() on:change=move |ev| form.sender.set(event_target_value(&ev))>
                        {move || senders.get().and_then(Result::ok).map(|list| view! {
                            <option value="">{list.default_sender.label.clone()}</option>
                            {list.items.into_iter().map(|s| view! { <option value=s.id.to_string()>{s.label.clone()}</option> }).collect_view()}
                        })}
                    </select>
                </label>
                <label>
                    {t.attachments}
                    <input type="file" name="attachment" on:change=attach disabled=move || uploading.get()/>
                </label>
                <ul class="chips">
                    {move || form.attachments.get().into_iter().map(|a| {
                        let id = a.id;
                        view! { <li>{a.name.clone()} <button type="button" class="link" aria-label=t.remove
                            on:click=move |_| form.attachments.update(|list| list.retain(|x| x.id != id))>"×"</button></li> }
                    }).collect_view()}
                </ul>
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
