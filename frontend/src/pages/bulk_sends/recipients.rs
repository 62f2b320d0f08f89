//! "Destinatarios": every row of the file with its verdict and send status, filtered by
//! status and searched, exported as CSV; an ambiguous one is settled right in its row.

use leptos::prelude::*;
use leptos::task::spawn_local;
use relay_types::{
    BulkAction, BulkSendStatus, PermissionCode, Recipient, ResolveAction, SendStatus,
    ValidationStatus,
};

use crate::api::bulk_sends::{self, RecipientFilter, PAGE_SIZE};
use crate::components::badge::{send_tone, validation_tone, Badge};
use crate::components::pager::Pager;
use crate::components::search::SearchBox;
use crate::components::table::{failed, loading, Empty, Table};
use crate::state::format::{datetime, relative};
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

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
    let filter = RwSignal::new(RecipientFilter {
        page: 1,
        ..Default::default()
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
    let on_send_status = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        filter.update(|f| {
            f.send_status = value;
            f.page = 1;
        });
    };
    let on_validation = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        filter.update(|f| {
            f.validation_status = value;
            f.page = 1;
        });
    };
    view! {
        <div class="toolbar">
            <SearchBox value=Signal::derive(move || filter.with(|f| f.q.clone()))
                on_search=Callback::new(move |q: String| filter.update(|f| { f.q = q.trim().to_string(); f.page = 1; }))
                label=t.search placeholder=t.recipient_search_placeholder/>
            <label>
                <span class="visually-hidden">{t.send_status}</span>
                <select on:change=on_send_status data-testid="send-status-filter">
                    <option value="">{t.all_send_statuses}</option>
                    {SendStatus::ALL.iter().map(|s| view! { <option value=s.as_str()>{(t.send_status_label)(*s)}</option> }).collect_view()}
                </select>
            </label>
            <label>
                <span class="visually-hidden">{t.validation}</span>
                <select on:change=on_validation>
                    <option value="">{t.all_validations}</option>
                    {ValidationStatus::ALL.iter().map(|s| view! { <option value=s.as_str()>{(t.validation_label)(*s)}</option> }).collect_view()}
                </select>
            </label>
            <button class="secondary" disabled=move || exporting.get() on:click=export>{t.export_csv}</button>
        </div>
        {move || match rows.get() {
            None => loading(),
            Some(Err(err)) => failed(err),
            Some(Ok(page)) if page.items.is_empty() => view! { <Empty text=t.no_recipients/> }.into_any(),
            Some(Ok(page)) => {
                let total = page.total;
                view! {
                    <Table headers=[t.row, t.email, t.send_status, t.validation, t.attempts, t.sent_at, ""]>
                        {page.items.into_iter().map(|r| view! { <RecipientRow r=r can_resolve=can_resolve() resolve=resolve_one/> }).collect_view()}
                    </Table>
                    <Pager page=Signal::derive(move || filter.with(|f| f.page)) total=total page_size=PAGE_SIZE
                        on_page=Callback::new(move |p| filter.update(|f| f.page = p))/>
                }.into_any()
            }
        }}
    }
}

#[component]
fn RecipientRow(
    r: Recipient,
    can_resolve: bool,
    resolve: Callback<(i64, ResolveAction)>,
) -> impl IntoView {
    let t = t();
    let id = r.id;
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
            <td data-label=t.send_status><Badge tone=send_tone(r.send_status) text=(t.send_status_label)(r.send_status)/></td>
            <td data-label=t.validation><Badge tone=validation_tone(r.validation_status) text=(t.validation_label)(r.validation_status)/></td>
            <td data-label=t.attempts class="num">{r.attempts}</td>
            <td data-label=t.sent_at>{r.sent_at.as_ref().map(|at| view! { <time title=datetime(at)>{relative(at)}</time> })}</td>
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
