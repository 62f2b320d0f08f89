//! The one way a form acts: while its request runs the form is busy (the submit button is
//! disabled and says so, a second submit is ignored); a refusal shows its summary on top of
//! the form ([`FormProblem`]) and, when the API names the field at fault, the message beside
//! that input ([`FieldError`]), which is marked `aria-invalid` and takes the keyboard focus.
//! Without a field, the focus goes to the summary. Every form of the SPA goes through it,
//! and so do the buttons that act alone ([`FormAction::act`]: busy, guarded, a toast).
//!
//! Leptos's `Action` does the busy part; this small version also knows the form it belongs
//! to, and costs less in the first download.

use std::future::Future;

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::ApiError;
use crate::state::browser::{clear_invalid, mark_invalid};
use crate::state::i18n::t;
use crate::state::toasts::Toasts;

type Work = std::pin::Pin<Box<dyn Future<Output = Result<(), ApiError>>>>;

#[derive(Clone, Copy)]
pub struct FormAction {
    busy: RwSignal<bool>,
    problem: RwSignal<Option<ApiError>, LocalStorage>,
    form: NodeRef<html::Form>,
    summary: NodeRef<html::Div>,
    /// Tells this form's error texts apart from another form's on the same page.
    key: StoredValue<u32>,
    toasts: Option<Toasts>,
}

thread_local! {
    static FORMS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

impl Default for FormAction {
    fn default() -> Self {
        Self::new()
    }
}

impl FormAction {
    pub fn new() -> FormAction {
        let key = FORMS.with(|n| {
            n.set(n.get().wrapping_add(1));
            n.get()
        });
        FormAction {
            busy: RwSignal::new(false),
            problem: RwSignal::new_local(None),
            form: NodeRef::new(),
            summary: NodeRef::new(),
            key: StoredValue::new(key),
            toasts: use_context::<Toasts>(),
        }
    }

    /// The `node_ref` of the `<form>`: where the field at fault is looked for.
    pub fn node(&self) -> NodeRef<html::Form> {
        self.form
    }

    /// Whether the request is running (tracked).
    pub fn busy(&self) -> bool {
        self.busy.get()
    }

    /// Runs `work` unless the form's request is already running: busy meanwhile, its
    /// refusal shown when it ends. `work` does what success means (a toast, a new page).
    pub fn run(&self, work: impl Future<Output = Result<(), ApiError>> + 'static) {
        self.start(Box::pin(work), None);
    }

    /// A button's action, with no form around it (pause, retry a job): the same busy state
    /// and guard; `done` (a toast, a reload) follows either way, a refusal is a toast.
    pub fn act(
        &self,
        work: impl Future<Output = Result<(), ApiError>> + 'static,
        done: impl FnOnce() + 'static,
    ) {
        self.start(Box::pin(work), Some(Box::new(done)));
    }

    /// One body for every form and button (not one copy per caller in the first download).
    fn start(&self, work: Work, done: Option<Box<dyn FnOnce()>>) {
        if self.busy.get_untracked() {
            return;
        }
        if done.is_none() {
            self.clear();
        }
        self.busy.set(true);
        let this = *self;
        spawn_local(async move {
            let outcome = work.await;
            // The form may be gone (success moved to another page).
            let here = this.busy.try_set(false).is_none();
            if let (Err(err), true) = (outcome, here) {
                match (&done, this.toasts) {
                    (None, _) => this.refuse(err),
                    (Some(_), Some(toasts)) => toasts.error(err.detail),
                    (Some(_), None) => {}
                }
            }
            if let Some(done) = done {
                done();
            }
        });
    }

    /// Shows a refusal: from the API, or found before asking it (two passwords differ).
    pub fn refuse(&self, err: ApiError) {
        self.clear();
        let field = err.field.clone();
        self.problem.set(Some(err));
        let this = *self;
        // After the texts are drawn: the focus and `aria-describedby` find them.
        request_animation_frame(move || {
            let marked = match (field, this.form.get_untracked()) {
                (Some(field), Some(form)) => mark_invalid(
                    &form,
                    |name| concerns(&field, name),
                    |name| this.error_id(name),
                ),
                _ => false,
            };
            if !marked {
                if let Some(summary) = this.summary.get_untracked() {
                    let _ = summary.focus();
                }
            }
        });
    }

    /// A refusal found before asking the API, about one field.
    pub fn refuse_field(&self, field: &str, detail: impl Into<String>) {
        self.refuse(ApiError {
            status: 422,
            code: String::new(),
            detail: detail.into(),
            field: Some(field.to_string()),
        });
    }

    /// A refusal found before asking the API, about the form as a whole (or a part of the
    /// page outside it).
    pub fn refuse_text(&self, detail: impl Into<String>) {
        self.refuse(ApiError {
            status: 422,
            code: String::new(),
            detail: detail.into(),
            field: None,
        });
    }

    /// Forgets the last refusal (a new attempt, or the user changed course).
    pub fn clear(&self) {
        self.problem.set(None);
        if let Some(form) = self.form.get_untracked() {
            clear_invalid(&form);
        }
    }

    fn error_id(&self, field: &str) -> String {
        let field: String = field
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        format!("form{}-{field}-error", self.key.get_value())
    }

    /// The refusal's text when it concerns `name` (the field itself, or an item of it:
    /// `to[2]` is about `to`).
    fn about(&self, name: &str) -> Option<String> {
        self.problem.with(|p| {
            p.as_ref().and_then(|err| {
                err.field
                    .as_deref()
                    .filter(|field| concerns(field, name))
                    .map(|_| err.detail.clone())
            })
        })
    }
}

/// Whether the API's `field` (`to[2]`, `mapping.nombre`) is about the input called `name`.
fn concerns(field: &str, name: &str) -> bool {
    field == name
        || field
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with(['[', '.']))
}

/// The refusal on top of the form: what went wrong, announced, focused when no field is
/// named.
#[component]
pub fn FormProblem(action: FormAction) -> impl IntoView {
    view! {
        <div class="form-problem" role="alert" tabindex="-1" node_ref=action.summary
            hidden=move || action.problem.with(Option::is_none)>
            {move || action.problem.with(|p| p.as_ref().map(|err| view! {
                <p><strong>{t().form_problem}</strong></p>
                <p class="error">{err.detail.clone()}</p>
            }))}
        </div>
    }
}

/// The refusal beside the input called `name`, when it is about that input.
#[component]
pub fn FieldError(action: FormAction, name: &'static str) -> impl IntoView {
    move || {
        action.about(name).map(|text| {
            view! { <small class="error field-error" id=action.error_id(name)>{text}</small> }
        })
    }
}

/// The form's submit button: disabled and saying `busy_label` while the request runs.
#[component]
pub fn Submit(
    action: FormAction,
    label: &'static str,
    #[prop(optional)] busy_label: Option<&'static str>,
) -> impl IntoView {
    view! {
        <button type="submit" class="primary" disabled=move || action.busy()
            aria-busy=move || action.busy().then_some("true")>
            {move || if action.busy() { busy_label.unwrap_or(label) } else { label }}
        </button>
    }
}
