//! "Destinatarios": every row of the file with its verdict and where it stands, filtered by
//! status and searched (all in the URL: `?pestana=destinatarios&estado_envio=&validacion=&q=
//! &pagina=2`), exported as CSV; an ambiguous one is settled right in its row.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;
use relay_types::{
    BulkAction, BulkSendStatus, PermissionCode, Recipient, RecipientState, ResolveAction,
    SendStatus, ValidationStatus,
};

use crate::api::bulk_sends::{self, RecipientFilter, PAGE_SIZE};
use crate::api::spelled;
use crate::components::badge::{recipient_tone, validation_tone, Badge};
use crate::components::loaded::{listed, Empty};
use crate::components::pager::Pager;
use crate::components::search::SearchBox;
use crate::components::table::Table;
use crate::components::when::When;
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;
use crate::state::url::{set_query_param, typed};

#[component]
pub fn Recipients(
    id: i64,
    status: Signal<Option<BulkSendStatus>>,
    version: Signal<u64>,
    reload: Callback<()>,
) -> impl IntoView {
    let t = t();
    let session = use_session();
    let toasts = use_toasts();
    let query = use_query_map();
    let set_param = set_query_param();
    let filter = Memo::new(move |_| {
        query.with(|q| RecipientFilter {
            q: q.get("q").unwrap_or_default(),
            send_status: typed(q.get("estado_envio")),
            validation_status: typed(q.get("validacion")),
            page: q.get("pagina").and_then(|p| p.parse().ok()).unwrap_or(1),
        })
    });
    let rows = Loaded::new(move || {
        let filter = filter.get();
        async move { bulk_sends::recipients(id, &filter).await }
    });
    super::follow(version, move || rows.refetch());
    let can_resolve = move || {
        session.can(PermissionCode::BulkSendsOperate)
            && status
                .get()
                .is_some_and(|s| s.allows(BulkAction::ResolveAmbiguous))
    };
    let resolve_one = Callback::new(move |(recipient, action): (i64, ResolveAction)| {
        spawn_local(async move {
            match bulk_sends::resolve(id, action, Some(vec![recipient])).await {
                Ok(result) => toasts.success((t.resolved_toast)(result.resolved)),
                Err(err) => toasts.error(err.detail),
            }
            rows.refetch();
            reload.try_run(());
        });
    });
    let exporting = RwSignal::new(false);
    let export = move |_| {
        exporting.set(true);
        spawn_local(async move {
            if let Err(err) = bulk_sends::export_recipients(id, &filter.get_untracked()).await {
                toasts.error(err.detail);
            }
            exporting.set(false);
        });
    };
    let on_send_status = {
        let set_param = set_param.clone();
        move |ev: leptos::ev::Event| set_param("estado_envio", event_target_value(&ev), true)
    };
    let on_validation = {
        let set_param = set_param.clone();
        move |ev: leptos::ev::Event| set_param("validacion", event_target_value(&ev), true)
    };
    let on_search = {
        let set_param = set_param.clone();
        Callback::new(move |q: String| set_param("q", q.trim().to_string(), true))
    };
    let on_page = Callback::new(move |p: u64| set_param("pagina", p.to_string(), false));
    view! {
        <div class="toolbar">
            <SearchBox value=Signal::derive(move || filter.with(|f| f.q.clone()))
                on_search=on_search
                label=t.search placeholder=t.recipient_search_placeholder/>
            <label>
                <span class="visually-hidden">{t.send_status}</span>
                <select on:change=on_send_status data-testid="send-status-filter"
                    prop:value=move || filter.with(|f| spelled(&f.send_status))>
                    <option value="">{t.all_send_statuses}</option>
                    {SendStatus::ALL.iter().map(|s| view! { <option value=s.as_str()>{(t.send_status_label)(*s)}</option> }).collect_view()}
                </select>
            </label>
            <label>
                <span class="visually-hidden">{t.validation}</span>
                <select on:change=on_validation prop:value=move || filter.with(|f| spelled(&f.validation_status))>
                    <option value="">{t.all_validations}</option>
                    {ValidationStatus::ALL.iter().map(|s| view! { <option value=s.as_str()>{(t.validation_label)(*s)}</option> }).collect_view()}
                </select>
            </label>
            <button class="secondary" disabled=move || exporting.get() on:click=export>{t.export_csv}</button>
        </div>
        {listed(rows, move || view! { <Empty text=t.no_recipients/> }.into_any(), move |page| {
                let total = page.total;
                view! {
                    <Table headers=[t.row, t.email, t.send_status, t.validation, t.attempts, t.sent_at, ""]>
                        {page.items.into_iter().map(|r| view! {
                            <RecipientRow r=r bulk=status.get_untracked() can_resolve=can_resolve() resolve=resolve_one/>
                        }).collect_view()}
                    </Table>
                    <Pager page=Signal::derive(move || filter.with(|f| f.page)) total=total page_size=PAGE_SIZE
                        on_page=on_page/>
                }.into_any()
        })}
    }
}

#[component]
fn RecipientRow(
    r: Recipient,
    bulk: Option<BulkSendStatus>,
    can_resolve: bool,
    resolve: Callback<(i64, ResolveAction)>,
) -> impl IntoView {
    let t = t();
    let id = r.id;
    // Read with the send's state: an invalid row is not "pending", nor one a cancelled send
    // never reached.
    let state = RecipientState::of(
        r.validation_status,
        r.send_status,
        bulk.unwrap_or(BulkSendStatus::Ready),
    );
    let detail = [r.validation_message.clone(), r.error_message.clone()]
        .into_iter()
        .filter(|m| !m.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <tr>
            <td data-label=t.row class="num">{r.row_number}</td>
            <td data-label=t.email>{r.email.clone()}
                {(!detail.is_empty()).then(|| view! { <small class="muted block">{detail}</small> })}</td>
            <td data-label=t.send_status><Badge tone=recipient_tone(state) text=state.label(t.spanish)/></td>
            <td data-label=t.validation><Badge tone=validation_tone(r.validation_status) text=(t.validation_label)(r.validation_status)/></td>
            <td data-label=t.attempts class="num">{r.attempts}</td>
            <td data-label=t.sent_at>{r.sent_at.as_ref().map(|at| view! { <When at=*at/> })}</td>
            <td>
                {(can_resolve && r.send_status == SendStatus::Ambiguous).then(|| view! {
                    <span class="row-actions">
                        <button class="link" on:click=move |_| resolve.run((id, ResolveAction::MarkSent))>{t.mark_sent}</button>
                        <button class="link" on:click=move |_| resolve.run((id, ResolveAction::Resend))>{t.resend}</button>
                    </span>
                })}
            </td>
        </tr>
    }
}
