//! "Auditoría": the background jobs (state, type and send filters, attempts, progress,
//! messages and errors, "Reintentar") and the log of who did what, when, to what. The tab
//! and the filters are in the URL.

mod jobs;
mod log;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use relay_types::PermissionCode;

use crate::components::tabs::Tabs;
use crate::state::i18n::t;
use crate::state::session::use_session;
use crate::state::url::set_query_param;

#[component]
pub fn Audit() -> impl IntoView {
    let t = t();
    let session = use_session();
    let query = use_query_map();
    let set_param = set_query_param();
    let can_jobs = move || session.can(PermissionCode::JobsView);
    let can_log = move || session.can(PermissionCode::AuditView);
    let tab = Memo::new(move |_| {
        let asked = query.with(|q| q.get("pestana")).unwrap_or_default();
        if (asked == "registro" && can_log()) || !can_jobs() {
            "registro"
        } else {
            "trabajos"
        }
    });
    let tabs = move || {
        let mut tabs = Vec::new();
        if can_jobs() {
            tabs.push(("trabajos", t.tab_jobs));
        }
        if can_log() {
            tabs.push(("registro", t.tab_audit_log));
        }
        tabs
    };
    view! {
        <section class="page">
            <header class="page-head">
                <div>
                    <h1>{t.nav_audit}</h1>
                    <p class="subtitle">{t.audit_subtitle}</p>
                </div>
            </header>
            <Tabs tabs=Signal::derive(tabs) current=Signal::derive(move || tab.get().to_string())
                choose=Callback::new(move |key: &'static str| set_param("pestana", key.to_string(), true))
                label=t.nav_audit>
                {move || if tab.get() == "registro" {
                    view! { <log::AuditLog/> }.into_any()
                } else {
                    view! { <jobs::JobList/> }.into_any()
                }}
            </Tabs>
        </section>
    }
}
