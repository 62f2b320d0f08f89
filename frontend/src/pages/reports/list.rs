//! The reports list: state badges, filters in the URL (`?estado=&tipo=&cargado=&pagina=`),
//! "Solicitar reporte", "Procesar pendientes ahora", and per row "Descargar CSV",
//! "Cargar BD (default)", "Cargar BD (analytics)" with the "Cargado en" badges, and
//! "Reintentar" for one in error. It refreshes itself while any report is being worked on.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;
use relay_types::{LoadTarget, PermissionCode, Report, ReportState, ReportType};

use super::request::RequestForm;
use crate::api::reports::{self, ReportFilter, PAGE_SIZE};
use crate::api::{spelled, ApiError};
use crate::components::badge::{report_state_tone, Badge, Tone};
use crate::components::form::FormAction;
use crate::components::loaded::{listed, Empty};
use crate::components::pager::Pager;
use crate::components::table::Table;
use crate::state::format::{datetime, number, relative};
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::poll::poll;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;
use crate::state::url::{set_query_param, typed};

fn is_working(report: &Report) -> bool {
    matches!(report.state, ReportState::Pending | ReportState::Processing)
}

#[component]
pub fn ReportList() -> impl IntoView {
    let t = t();
    let session = use_session();
    let toasts = use_toasts();
    let query = use_query_map();
    let set_param = set_query_param();
    let filter = Memo::new(move |_| {
        query.with(|q| ReportFilter {
            state: typed(q.get("estado")),
            report_type: typed(q.get("tipo")),
            loaded_into: q
                .get("cargado")
                .filter(|s| matches!(s.as_str(), "default" | "analytics" | "none"))
                .unwrap_or_default(),
            page: q.get("pagina").and_then(|p| p.parse().ok()).unwrap_or(1),
        })
    });
    let list = Loaded::new(move || {
        let filter = filter.get();
        async move { reports::list(&filter).await }
    });
    poll(
        move || {
            list.with_untracked(
                |l| matches!(l, Some(Ok(page)) if page.items.iter().any(is_working)),
            )
        },
        move || list.refetch(),
    );
    let refresh = Callback::new(move |()| list.refetch());
    let requesting = RwSignal::new(false);
    let processing = RwSignal::new(false);
    let process = move |_| {
        processing.set(true);
        spawn_local(async move {
            match reports::process_pending().await {
                Ok(done) => toasts.success((t.pending_processed)(done.queued)),
                Err(err) => toasts.error(err.detail),
            }
            processing.set(false);
            list.refetch();
        });
    };
    let select = {
        let set_param = set_param.clone();
        move |key: &'static str| {
            let set_param = set_param.clone();
            move |ev: leptos::ev::Event| set_param(key, event_target_value(&ev), true)
        }
    };
    let on_page = {
        let set_param = set_param.clone();
        Callback::new(move |page: u64| set_param("pagina", page.to_string(), false))
    };
    view! {
        <section class="page">
            <header class="page-head">
                <div>
                    <h1>{t.nav_reports}</h1>
                    <p class="subtitle">{t.reports_subtitle}</p>
                </div>
                <div class="actions">
                    <Show when=move || session.can(PermissionCode::ReportsProcess)>
                        <button class="secondary" disabled=move || processing.get() on:click=process>{t.process_pending}</button>
                    </Show>
                    <Show when=move || session.can(PermissionCode::ReportsRequest)>
                        <button class="primary" on:click=move |_| requesting.set(true)>{t.request_report}</button>
                    </Show>
                </div>
            </header>
            <RequestForm open=requesting on_done=refresh/>
            <div class="toolbar">
                <label>
                    <span class="visually-hidden">{t.status}</span>
                    <select on:change=select("estado") prop:value=move || filter.with(|f| spelled(&f.state))>
                        <option value="">{t.all_statuses}</option>
                        {ReportState::ALL.iter().map(|s| view! { <option value=s.as_str()>{(t.report_state_label)(*s)}</option> }).collect_view()}
                    </select>
                </label>
                <label>
                    <span class="visually-hidden">{t.report_type}</span>
                    <select on:change=select("tipo") prop:value=move || filter.with(|f| spelled(&f.report_type))>
                        <option value="">{t.all_report_types}</option>
                        {ReportType::ALL.iter().map(|k| view! { <option value=k.as_str()>{(t.report_type_label)(*k)}</option> }).collect_view()}
                    </select>
                </label>
                <label>
                    <span class="visually-hidden">{t.loaded_in}</span>
                    <select on:change=select("cargado") prop:value=move || filter.with(|f| f.loaded_into.clone())>
                        <option value="">{t.loaded_anywhere}</option>
                        <option value="default">{(t.loaded_in_target)((t.load_target)(LoadTarget::Default))}</option>
                        <option value="analytics">{(t.loaded_in_target)((t.load_target)(LoadTarget::Analytics))}</option>
                        <option value="none">{t.not_loaded}</option>
                    </select>
                </label>
            </div>
            {listed(list, move || view! { <Empty text=t.no_reports/> }.into_any(), move |page| {
                    let total = page.total;
                    view! {
                        <Table headers=["ID", t.report_type, t.period, t.status, t.loaded_in, t.requested, ""]>
                            {page.items.into_iter().map(|r| view! { <ReportRow report=r refresh=refresh/> }).collect_view()}
                        </Table>
                        <Pager page=Signal::derive(move || filter.with(|f| f.page)) total=total page_size=PAGE_SIZE on_page=on_page/>
                    }.into_any()
            })}
        </section>
    }
}

#[component]
fn ReportRow(report: Report, refresh: Callback<()>) -> impl IntoView {
    let t = t();
    let session = use_session();
    let toasts = use_toasts();
    let busy = FormAction::new();
    let id = report.id;
    let run = move |work: std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<String, ApiError>>>,
    >| {
        busy.act(
            async move {
                toasts.success(work.await?);
                Ok(())
            },
            move || refresh.try_run(()).unwrap_or_default(),
        );
    };
    let file_name = if report.file_name.is_empty() {
        format!("reporte-{id}.csv")
    } else {
        report.file_name.clone()
    };
    let download = move |_| {
        let file_name = file_name.clone();
        spawn_local(async move {
            if let Err(err) = reports::download_csv(id, file_name).await {
                toasts.error(err.detail);
            }
        });
    };
    let ui = session.me.with(|me| me.as_ref().map(|me| me.ui.clone()));
    let analytics = ui.as_ref().is_some_and(|ui| ui.analytics_available);
    let load_button = move |target: LoadTarget, loads: &[relay_types::ReportLoad], ready: bool| {
        let done = loads.iter().find(|l| l.target == target);
        let label = (t.load_into)((t.load_target)(target));
        let why_not = if !ready {
            Some(t.load_needs_ready.to_string())
        } else if let Some(load) = done {
            Some((t.already_loaded)(
                (t.load_target)(target),
                &number(load.rows),
                &datetime(&load.loaded_at),
            ))
        } else if target == LoadTarget::Analytics && !analytics {
            Some(t.no_analytics.to_string())
        } else {
            None
        };
        let enabled = why_not.is_none();
        view! {
            <button class="secondary" disabled=move || busy.busy() || !enabled title=why_not.clone().unwrap_or_default()
                on:click=move |_| run(Box::pin(async move {
                    reports::load(id, target).await
                        .map(|r| (t.loaded_toast)((t.load_target)(target), &number(r.loads.iter().find(|l| l.target == target).map_or(0, |l| l.rows))))
                }))>
                {label}
            </button>
            {why_not.filter(|_| ready).map(|text| view! { <small class="muted block" data-testid=format!("why-not-{}", target.as_str())>{text}</small> })}
        }
    };
    let ready = report.state == ReportState::Ready;
    view! {
        <tr data-testid=format!("report-{id}")>
            <td data-label="ID" class="num">{id}</td>
            <td data-label=t.report_type>{(t.report_type_label)(report.report_type)}
                {report.bulk_send_id.map(|b| view! { <small class="muted block">{(t.bulk_send_n)(b)}</small> })}</td>
            <td data-label=t.period><span class="nowrap">{report.start_date.to_string()}</span> " – " <span class="nowrap">{report.end_date.to_string()}</span></td>
            <td data-label=t.status>
                <Badge tone=report_state_tone(report.state) text=(t.report_state_label)(report.state)/>
                {(!report.error_details.is_empty()).then(|| view! { <small class="error block">{report.error_details.clone()}</small> })}
            </td>
            <td data-label=t.loaded_in>
                {report.loads.iter().map(|l| view! {
                    <div class="load">
                        <Badge tone=Tone::Green text=(t.loaded_in_target)((t.load_target)(l.target))/>
                        <small class="muted block">
                            {(t.rows_loaded)(&number(l.rows))} " · " {datetime(&l.loaded_at)}
                            {l.loaded_by.clone().map(|who| format!(" · {who}"))}
                        </small>
                    </div>
                }).collect_view()}
            </td>
            <td data-label=t.requested>
                <time title=datetime(&report.created_at)>{relative(&report.created_at)}</time>
                {report.requested_by.clone().map(|who| format!(" · {who}"))}
            </td>
            <td>
                <div class="row-actions">
                    {ready.then(|| view! { <button class="secondary" on:click=download.clone()>{t.download_csv}</button> })}
                    {session.can(PermissionCode::ReportsLoad).then(|| view! {
                        {load_button(LoadTarget::Default, &report.loads, ready)}
                        {load_button(LoadTarget::Analytics, &report.loads, ready)}
                    })}
                    {(report.state == ReportState::Error && session.can(PermissionCode::ReportsRequest)).then(|| view! {
                        <button class="secondary" disabled=move || busy.busy()
                            on:click=move |_| run(Box::pin(async move {
                                reports::retry(id).await.map(|_| t.report_retried.to_string())
                            }))>{t.retry}</button>
                    })}
                </div>
            </td>
        </tr>
    }
}
