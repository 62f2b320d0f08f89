//! "Nuevo envío": one page in four numbered sections — 1 Plantilla, 2 Destinatarios, 3
//! Variables, 4 Envío — then "Crear envío". Nothing is created until the last click, and
//! that click creates one send even when repeated (the form's idempotency key).

mod recipients;
mod sending;
mod template;
mod variables;

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use relay_types::{Attachment, CsvPreview, TemplateSummary};
use web_sys::{File, FormData};

use crate::api::csv;
use crate::state::browser::uuid;
use crate::state::i18n::t;

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
            <template::TemplateSection form=form/>
            <recipients::RecipientsSection form=form/>
            <variables::VariablesSection form=form/>
            <sending::SendSection form=form/>
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

/// What the preview is doing or why it failed, shared by the sections that rerun it.
#[derive(Clone, Copy)]
struct PreviewStatus(RwSignal<Option<String>>);
