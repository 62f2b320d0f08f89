//! Every background job, filtered by state, type and send, with "Reintentar" for one in
//! error; refreshes itself while any job is queued or running.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use relay_types::{Job, JobState, JobType, PermissionCode};

use crate::api::jobs;
use crate::api::spelled;
use crate::components::badge::{job_tone, Badge};
use crate::components::loaded::{listed, Empty};
use crate::components::pager::Pager;
use crate::components::search::SearchBox;
use crate::components::table::Table;
use crate::state::format::{datetime, number, relative};
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::poll::poll;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;
use crate::state::url::{set_query_param, typed};

#[component]
pub fn JobList() -> impl IntoView {
    let t = t();
    let query = use_query_map();
    let set_param = set_query_param();
    let filter = Memo::new(move |_| {
        query.with(|q| {
            (
                typed::<JobState>(q.get("estado")),
                typed::<JobType>(q.get("tipo")),
                q.get("envio")
                    .filter(|s| s.parse::<i64>().is_ok())
                    .unwrap_or_default(),
                q.get("pagina")
                    .and_then(|p| p.parse::<u64>().ok())
                    .unwrap_or(1),
            )
        })
    });
    let list = Loaded::new(move || {
        let (state, kind, bulk, page) = filter.get();
        async move { jobs::list(state, kind, &bulk, page).await }
    });
    poll(
        move || {
            list.with_untracked(|l| {
                matches!(l, Some(Ok(page)) if page.items.iter().any(|j| matches!(j.state, JobState::Queued | JobState::Running)))
            })
        },
        move || list.refetch(),
    );
    let refresh = Callback::new(move |()| list.refetch());
    let select = {
        let set_param = set_param.clone();
        move |key: &'static str| {
            let set_param = set_param.clone();
            move |ev: leptos::ev::Event| set_param(key, event_target_value(&ev), true)
        }
    };
    let on_bulk = {
        let set_param = set_param.clone();
        Callback::new(move |text: String| set_param("envio", text.trim().to_string(), true))
    };
    let on_page = {
        let set_param = set_param.clone();
        Callback::new(move |page: u64| set_param("pagina", page.to_string(), false))
    };
    view! {
        <div class="toolbar">
            <label>
                <span class="visually-hidden">{t.status}</span>
                <select on:change=select("estado") prop:value=move || filter.with(|f| spelled(&f.0))>
                    <option value="">{t.all_statuses}</option>
                    {JobState::ALL.iter().map(|s| view! { <option value=s.as_str()>{(t.job_state_label)(*s)}</option> }).collect_view()}
                </select>
            </label>
            <label>
                <span class="visually-hidden">{t.job_type}</span>
                <select on:change=select("tipo") prop:value=move || filter.with(|f| spelled(&f.1))>
                    <option value="">{t.all_job_types}</option>
                    {JobType::ALL.iter().map(|k| view! { <option value=k.as_str()>{(t.job_type_label)(*k)}</option> }).collect_view()}
                </select>
            </label>
            <SearchBox value=Signal::derive(move || filter.with(|f| f.2.clone())) on_search=on_bulk
                label=t.bulk_send_id placeholder=t.bulk_send_id/>
        </div>
        {listed(list, move || view! { <Empty text=t.no_jobs_found/> }.into_any(), move |page| {
                let total = page.total;
                view! {
                    <Table headers=["ID", t.job_type, t.tab_bulk_send, t.status, t.attempts, t.progress, t.message, t.created, ""]>
                        {page.items.into_iter().map(|job| view! { <JobRow job=job refresh=refresh/> }).collect_view()}
                    </Table>
                    <Pager page=Signal::derive(move || filter.with(|f| f.3)) total=total page_size=20 on_page=on_page/>
                }.into_any()
        })}
    }
}

#[component]
fn JobRow(job: Job, refresh: Callback<()>) -> impl IntoView {
    let t = t();
    let session = use_session();
    let toasts = use_toasts();
    let id = job.id;
    let can_retry = session.can(PermissionCode::BulkSendsOperate)
        || session.can(PermissionCode::ReportsProcess);
    let retry = move |_| {
        spawn_local(async move {
            match jobs::retry(id).await {
                Ok(_) => toasts.success(t.job_retried),
                Err(err) => toasts.error(err.detail),
            }
            refresh.try_run(());
        });
    };
    let message = if job.error.is_empty() {
        job.message.clone()
    } else {
        job.error.clone()
    };
    view! {
        <tr data-testid=format!("job-{id}")>
            <td data-label="ID" class="num">{id}</td>
            <td data-label=t.job_type>{(t.job_type_label)(job.job_type)}</td>
            <td data-label=t.tab_bulk_send>{job.bulk_send_id.map(|b| view! { <A href=format!("/envios/{b}")>{b}</A> })}</td>
            <td data-label=t.status><Badge tone=job_tone(job.state) text=(t.job_state_label)(job.state)/></td>
            <td data-label=t.attempts class="num">{job.attempts}</td>
            <td data-label=t.progress class="num">{(job.progress_total > 0).then(|| format!("{}/{}", number(job.progress_done), number(job.progress_total)))}</td>
            <td data-label=t.message><span class:error=!job.error.is_empty()>{message}</span></td>
            <td data-label=t.created><time title=datetime(&job.created_at)>{relative(&job.created_at)}</time>
                {job.triggered_by.clone().map(|who| format!(" · {who}"))}</td>
            <td>{(can_retry && job.state == JobState::Error).then(|| view! {
                <button class="secondary" on:click=retry>{t.retry}</button>
            })}</td>
        </tr>
    }
}
