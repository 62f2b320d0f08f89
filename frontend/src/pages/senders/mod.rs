//! "Remitentes" (for `senders.manage`): every sender identity, whose it is (its user sends
//! from it; whoever manages senders may use any), active or not, and the deployment's
//! default that everyone else falls back to. Create, edit, deactivate, delete.

mod edit;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;
use relay_types::{PermissionCode, Sender};

use crate::api::senders as api;
use crate::components::badge::{Badge, Tone};
use crate::components::confirm::Confirm;
use crate::components::loaded::{listed, Empty};
use crate::components::pager::Pager;
use crate::components::search::SearchBox;
use crate::components::table::Table;
use crate::state::format::{datetime, relative};
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;
use crate::state::url::set_query_param;

#[component]
pub fn Senders() -> impl IntoView {
    let t = t();
    let session = use_session();
    let toasts = use_toasts();
    let query = use_query_map();
    let set_param = set_query_param();
    let filter = Memo::new(move |_| {
        query.with(|q| {
            (
                q.get("q").unwrap_or_default(),
                q.get("activo")
                    .filter(|a| a == "true" || a == "false")
                    .unwrap_or_default(),
                q.get("pagina")
                    .and_then(|p| p.parse::<u64>().ok())
                    .unwrap_or(1),
            )
        })
    });
    let list = Loaded::new(move || {
        let (q, active, page) = filter.get();
        async move { api::list(&q, &active, page).await }
    });
    let reload = Callback::new(move |()| list.refetch());
    let creating = RwSignal::new(false);
    let editing = RwSignal::new(None::<i64>);
    let deleting = RwSignal::new(None::<Sender>);
    let confirm_open = RwSignal::new(false);
    // A new identity is given to a user picked among those without one (`senders.manage`,
    // which this page needs anyway).
    let may_create = move || session.can(PermissionCode::SendersManage);
    let delete = Callback::new(move |()| {
        let Some(sender) = deleting.get_untracked() else {
            return;
        };
        spawn_local(async move {
            match api::remove(sender.id).await {
                Ok(()) => toasts.success((t.sender_deleted)(&sender.label)),
                Err(err) => toasts.error(err.detail),
            }
            list.refetch();
        });
    });
    let on_search = {
        let set_param = set_param.clone();
        Callback::new(move |text: String| set_param("q", text.trim().to_string(), true))
    };
    let on_state = {
        let set_param = set_param.clone();
        move |ev: leptos::ev::Event| set_param("activo", event_target_value(&ev), true)
    };
    let on_page = Callback::new(move |n: u64| set_param("pagina", n.to_string(), false));

    view! {
        <section class="page">
            <header class="page-head">
                <div>
                    <h1>{t.nav_senders}</h1>
                    <p class="subtitle">{t.senders_subtitle}</p>
                </div>
                <Show when=may_create>
                    <button class="primary" on:click=move |_| creating.set(true)>"+ " {t.new_sender}</button>
                </Show>
            </header>
            <Show when=move || creating.get()>
                <edit::NewSender open=creating reload=reload/>
            </Show>
            {move || list.get().and_then(Result::ok).map(|found| view! {
                <p class="callout info" data-testid="default-sender">{t.default_sender_is} " "
                    <strong>{format!("{} <{}>", found.default_sender.from_name, found.default_sender.from_email)}</strong></p>
            })}
            <div class="toolbar">
                <SearchBox value=Signal::derive(move || filter.with(|f| f.0.clone())) on_search=on_search
                    label=t.search placeholder=t.sender_search_placeholder/>
                <label>
                    <span class="visually-hidden">{t.status}</span>
                    <select on:change=on_state prop:value=move || filter.with(|f| f.1.clone())>
                        <option value="">{t.all_statuses}</option>
                        <option value="true">{t.sender_active}</option>
                        <option value="false">{t.sender_inactive}</option>
                    </select>
                </label>
            </div>
            {listed(list, move || {
                    let filtered = filter.with(|(q, active, _)| !q.is_empty() || !active.is_empty());
                    view! { <Empty text=if filtered { t.no_matches } else { t.no_senders }/> }.into_any()
                }, move |found| {
                    let total = found.total;
                    view! {
                        <Table headers=[t.username, t.from_email, t.from_name, t.status, t.updated, ""]>
                            {found.items.into_iter().map(|sender| {
                                let id = sender.id;
                                let ask = sender.clone();
                                let (tone, label) = if sender.is_active {
                                    (Tone::Green, t.sender_active)
                                } else {
                                    (Tone::Grey, t.sender_inactive)
                                };
                                view! {
                                    <tr data-testid=format!("sender-{}", sender.from_email)>
                                        <td data-label=t.username>{sender.username.clone()}</td>
                                        <td data-label=t.from_email>{sender.from_email.clone()}</td>
                                        <td data-label=t.from_name>{sender.from_name.clone()}</td>
                                        <td data-label=t.status><Badge tone=tone text=label/></td>
                                        <td data-label=t.updated><time title=datetime(&sender.updated_at)>{relative(&sender.updated_at)}</time></td>
                                        <td class="row-actions">
                                            <button type="button" class="secondary" on:click=move |_| editing.set(Some(id))>{t.edit}</button>
                                            <button type="button" class="danger" on:click=move |_| { deleting.set(Some(ask.clone())); confirm_open.set(true); }>{t.delete}</button>
                                        </td>
                                    </tr>
                                    <Show when=move || editing.get() == Some(id)>
                                        <tr class="editing"><td colspan="6">
                                            <edit::EditSender id=id editing=editing reload=reload/>
                                        </td></tr>
                                    </Show>
                                }
                            }).collect_view()}
                        </Table>
                        <Pager page=Signal::derive(move || filter.with(|f| f.2)) total=total page_size=20 on_page=on_page/>
                    }.into_any()
            })}
            <Confirm open=confirm_open title=t.delete
                text=move || (t.delete_sender_explained)(&deleting.with(|s| s.as_ref().map(|s| s.label.clone()).unwrap_or_default()))
                confirm=t.delete danger=true on_confirm=delete/>
        </section>
    }
}
