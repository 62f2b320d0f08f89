//! The audit log: who did what, when, to which object, searched and filtered by action.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use relay_types::AuditAction;

use crate::api::audit;
use crate::components::loaded::{listed, Empty};
use crate::components::pager::Pager;
use crate::components::search::SearchBox;
use crate::components::table::Table;
use crate::components::when::When;
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::url::set_query_param;

#[component]
pub fn AuditLog() -> impl IntoView {
    let t = t();
    let query = use_query_map();
    let set_param = set_query_param();
    let filter = Memo::new(move |_| {
        query.with(|q| {
            (
                q.get("accion").unwrap_or_default(),
                q.get("q").unwrap_or_default(),
                q.get("pagina")
                    .and_then(|p| p.parse::<u64>().ok())
                    .unwrap_or(1),
            )
        })
    });
    let list = Loaded::new(move || {
        let (action, q, page) = filter.get();
        async move { audit::list(&action, &q, page).await }
    });
    let on_action = {
        let set_param = set_param.clone();
        move |ev: leptos::ev::Event| set_param("accion", event_target_value(&ev), true)
    };
    let on_search = {
        let set_param = set_param.clone();
        Callback::new(move |text: String| set_param("q", text.trim().to_string(), true))
    };
    let on_page = Callback::new(move |page: u64| set_param("pagina", page.to_string(), false));
    view! {
        <div class="toolbar">
            <SearchBox value=Signal::derive(move || filter.with(|f| f.1.clone())) on_search=on_search
                label=t.search placeholder=t.audit_search_placeholder/>
            <label>
                <span class="visually-hidden">{t.action}</span>
                <select name="accion" on:change=on_action prop:value=move || filter.with(|f| f.0.clone())>
                    <option value="">{t.all_actions}</option>
                    {AuditAction::ALL.iter().map(|action| view! { <option value=action.as_str()>{(t.audit_action)(*action)}</option> }).collect_view()}
                </select>
            </label>
        </div>
        {listed(list, move || view! { <Empty text=t.no_audit_entries/> }.into_any(), move |page| {
                let total = page.total;
                view! {
                    <Table headers=[t.when, t.who, t.action, t.object, t.address]>
                        {page.items.into_iter().map(|e| view! {
                            <tr>
                                <td data-label=t.when><When at=e.created_at/></td>
                                <td data-label=t.who>{(t.system_actor)(&e.actor_username)}</td>
                                <td data-label=t.action title=e.action.clone()>{e.action.parse().map_or(e.action.clone(), |a| (t.audit_action)(a).to_string())}</td>
                                <td data-label=t.object>{match (&e.target_type, &e.target_id) {
                                    (Some(kind), Some(id)) => format!("{} {id}", (t.audit_target)(kind)),
                                    (Some(kind), None) => (t.audit_target)(kind),
                                    _ => String::new(),
                                }}</td>
                                <td data-label=t.address>{e.ip.clone().unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}
                    </Table>
                    <Pager page=Signal::derive(move || filter.with(|f| f.2)) total=total page_size=20 on_page=on_page/>
                }.into_any()
        })}
    }
}
