//! "Nuevo envío": one page in four numbered sections — 1 Plantilla, 2 Destinatarios, 3
//! Variables, 4 Envío — then "Revisar y enviar", the last look: what goes out, to how many,
//! the e-mail as a chosen row gets it, and the button that says it ("Enviar 20.000
//! correos"). Nothing is created until that click, which creates one send even when
//! repeated (the form's idempotency key). The form survives a reload (kept for the tab;
//! the file is asked for again by name).

mod recipients;
mod rendered;
mod review;
mod sending;
mod template;
mod variables;

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use relay_types::{Attachment, CsvPreview, TemplateSummary};
use serde::{Deserialize, Serialize};
use web_sys::{File, FormData};

use crate::api::csv;
use crate::state::browser::{self, session_store, session_stored, store, stored, uuid};
use crate::state::i18n::t;
use crate::state::AppOwner;

/// Where the tab keeps the half-filled form.
const DRAFT_KEY: &str = "relay-console.nuevo-envio";

/// The form as kept across a reload: everything but the file itself.
#[derive(Serialize, Deserialize, Default)]
struct Draft {
    template: Option<TemplateSummary>,
    manual_template: String,
    subject: String,
    mapping: BTreeMap<String, String>,
    sender: String,
    attachments: Vec<Attachment>,
    schedule: String,
    send_now: bool,
    email_column: String,
    file_name: Option<String>,
    key: String,
}

/// The e-mail column last used with a template, remembered in this browser.
fn remembered_email_column(template_id: &str) -> Option<String> {
    stored(&format!("relay-console.columna-correo.{template_id}")).filter(|c| !c.is_empty())
}

fn remember_email_column(template_id: &str, column: &str) {
    store(
        &format!("relay-console.columna-correo.{template_id}"),
        column,
    );
}

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
    /// The column holding the addresses, when the operator chose it (else the API finds it).
    email_column: RwSignal<String>,
    /// "Revisar y enviar": the last look before the send is created.
    reviewing: RwSignal<bool>,
    /// The file a restored draft had: asked for again by name.
    wanted_file: RwSignal<Option<String>>,
    /// The chosen From in words, as the sender picker shows it.
    sender_label: RwSignal<String>,
    /// Bumped per preview request: only the latest answer is shown.
    previews: StoredValue<u64>,
    /// The create request's idempotency key: one per send, kept across retries.
    key: StoredValue<String>,
}

impl Form {
    /// The form as the tab left it (a reload), or a blank one.
    pub fn new() -> Form {
        let draft: Draft = session_stored(DRAFT_KEY)
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_else(|| Draft {
                send_now: true,
                ..Draft::default()
            });
        Form {
            template: RwSignal::new(draft.template),
            manual_template: RwSignal::new(draft.manual_template),
            subject: RwSignal::new(draft.subject),
            file: RwSignal::new_local(None),
            preview: RwSignal::new(None),
            mapping: RwSignal::new(draft.mapping),
            sender: RwSignal::new(draft.sender),
            attachments: RwSignal::new(draft.attachments),
            schedule: RwSignal::new(draft.schedule),
            send_now: RwSignal::new(draft.send_now),
            email_column: RwSignal::new(draft.email_column),
            reviewing: RwSignal::new(false),
            wanted_file: RwSignal::new(draft.file_name),
            sender_label: RwSignal::new(String::new()),
            previews: StoredValue::new(0),
            key: StoredValue::new(if draft.key.is_empty() {
                uuid()
            } else {
                draft.key
            }),
        }
    }

    /// Keeps the form for the tab (called whenever a field changes).
    fn save(&self) {
        let draft = Draft {
            template: self.template.get(),
            manual_template: self.manual_template.get(),
            subject: self.subject.get(),
            mapping: self.mapping.get(),
            sender: self.sender.get(),
            attachments: self.attachments.get(),
            schedule: self.schedule.get(),
            send_now: self.send_now.get(),
            email_column: self.email_column.get(),
            file_name: self
                .file
                .with(|f| f.as_ref().map(File::name))
                .or_else(|| self.wanted_file.get()),
            key: self.key.get_value(),
        };
        if let Ok(text) = serde_json::to_string(&draft) {
            session_store(DRAFT_KEY, Some(&text));
        }
    }

    /// A blank form with a new key, once its send exists.
    fn reset(&self) {
        session_store(DRAFT_KEY, None);
        self.email_column.set(String::new());
        self.reviewing.set(false);
        self.wanted_file.set(None);
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
    // The draft lives with the app, made on the first visit (its code stays in this chunk).
    let form = use_context::<Form>().unwrap_or_else(|| match use_context::<AppOwner>() {
        Some(AppOwner(app)) => app.with(|| {
            let form = Form::new();
            provide_context(form);
            form
        }),
        None => Form::new(),
    });
    provide_context(PreviewStatus(RwSignal::new(None)));
    // Every change is kept for the tab: a reload brings the form back.
    Effect::new(move |_| form.save());
    view! {
        <section class="page new-send">
            <header class="page-head">
                <div>
                    <h1>{t.nav_new_bulk_send}</h1>
                    <p class="subtitle">{t.new_send_subtitle}</p>
                </div>
            </header>
            <Show when=move || !form.reviewing.get()
                fallback=move || view! { <review::Review form=form/> }>
                <template::TemplateSection form=form/>
                <recipients::RecipientsSection form=form/>
                <variables::VariablesSection form=form/>
                <sending::SendSection form=form/>
            </Show>
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
    let email_column = form.email_column.get_untracked();
    if !email_column.is_empty() {
        let _ = data.append_with_str("email_column", &email_column);
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
                let again = adopt_suggestions(form, &template_id, &preview);
                browser::keeping_focus(|| form.preview.set(Some(preview)));
                if again {
                    ask_preview(form, status);
                }
            }
            Err(err) => {
                form.preview.set(None);
                status.set(Some(err.detail));
            }
        }
    });
}

/// Takes what the preview suggests and the operator has not chosen: the e-mail column last
/// used with this template, columns named nearly like a variable (`Nombre` for
/// `{{nombres}}`). True when the preview should be read again with them.
fn adopt_suggestions(form: Form, template_id: &str, preview: &CsvPreview) -> bool {
    let mut again = false;
    if form.email_column.with_untracked(String::is_empty) {
        if let Some(column) = remembered_email_column(template_id) {
            if preview.headers.contains(&column) && preview.email_column != column {
                form.email_column.set(column);
                again = true;
            }
        }
    }
    let new: Vec<(String, String)> = form.mapping.with_untracked(|m| {
        preview
            .suggested_mapping
            .iter()
            .filter(|(variable, _)| !m.contains_key(*variable))
            .map(|(v, c)| (v.clone(), c.clone()))
            .collect()
    });
    if !new.is_empty() {
        form.mapping.update(|m| m.extend(new));
        again = true;
    }
    again
}

/// What the preview is doing or why it failed, shared by the sections that rerun it.
#[derive(Clone, Copy)]
struct PreviewStatus(RwSignal<Option<String>>);
