//! The templates list: search, "Actualizar desde Doppler", and "Nueva plantilla" for those
//! who manage templates.

use leptos::prelude::*;
use leptos_router::components::A;
use relay_types::PermissionCode;

use crate::api::templates;
use crate::components::loaded::{listed, Empty};
use crate::components::search::SearchBox;
use crate::components::table::Table;
use crate::state::format::relative;
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::session::use_session;

#[component]
pub fn TemplateListPage() -> impl IntoView {
    let t = t();
    let session = use_session();
    let q = RwSignal::new(String::new());
    let refresh = RwSignal::new(false);
    let list = Loaded::new(move || {
        let (q, refresh) = (q.get(), refresh.get());
        async move { templates::list(&q, refresh).await }
    });
    view! {
        <section class="page">
            <header class="page-head">
                <div>
                    <h1>{t.nav_templates}</h1>
                    <p class="subtitle">{t.templates_subtitle}</p>
                </div>
                <div class="actions">
                    <button class="secondary" on:click=move |_| { refresh.set(true); list.refetch(); }>{t.refresh_from_doppler}</button>
                    <Show when=move || session.can(PermissionCode::TemplatesManage)>
                        <A href="/plantillas/nueva" attr:class="button primary">"+ " {t.new_template}</A>
                    </Show>
                </div>
            </header>
            <div class="toolbar">
                <SearchBox value=Signal::derive(move || q.get()) on_search=Callback::new(move |text: String| { refresh.set(false); q.set(text); })
                    label=t.search placeholder=t.template_search_placeholder/>
            </div>
            {listed(list, move || view! { <Empty text=t.no_templates/> }.into_any(), move |list| view! {
                    <p class="muted">{(t.templates_fetched)(&relative(&list.fetched_at))}</p>
                    <Table headers=[t.template, t.subject, t.sender, "ID"]>
                        {list.items.into_iter().map(|template| {
                            let href = format!("/plantillas/{}", js_sys::encode_uri_component(&template.id));
                            view! {
                                <tr>
                                    <td data-label=t.template><A href=href>{template.name.clone()}</A></td>
                                    <td data-label=t.subject>{if template.subject.is_empty() { t.no_subject.to_string() } else { template.subject.clone() }}</td>
                                    <td data-label=t.sender>{template.from_email.clone()}</td>
                                    <td data-label="ID"><code>{template.id.clone()}</code></td>
                                </tr>
                            }
                        }).collect_view()}
                    </Table>
                }.into_any())}
        </section>
    }
}
