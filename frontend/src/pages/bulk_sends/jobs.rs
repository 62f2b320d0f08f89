//! "Trabajos": the background jobs that worked on this send, with "Reintentar" for one in
//! error (for whoever may retry).

use leptos::prelude::*;
use leptos::task::spawn_local;
use relay_types::{JobState, PermissionCode};

use crate::api::jobs;
use crate::components::badge::{job_tone, Badge};
use crate::components::loaded::{listed, Empty};
use crate::components::table::Table;
use crate::state::format::{datetime, relative};
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

#[component]
pub fn Jobs(id: i64, version: Signal<u64>) -> impl IntoView {
    let t = t();
    let session = use_session();
    let toasts = use_toasts();
    let list = Loaded::new(move || jobs::for_bulk_send(id));
    super::follow(version, move || list.refetch());
    let can_retry = session.can(PermissionCode::BulkSendsOperate);
    let retry = move |job: i64| {
        spawn_local(async move {
            match jobs::retry(job).await {
                Ok(_) => toasts.success(t.job_retried),
                Err(err) => toasts.error(err.detail),
            }
            list.refetch();
        });
    };
    listed(
        list,
        move || view! { <Empty text=t.no_jobs/> }.into_any(),
        move |page| {
            view! {
            <Table headers=["ID", t.job_type, t.status, t.attempts, t.message, t.finished, ""]>
                {page.items.into_iter().map(|job| {
                    let message = if job.error.is_empty() { job.message.clone() } else { job.error.chars().take(160).collect() };
                    let job_id = job.id;
                    view! {
                        <tr>
                            <td data-label="ID" class="num">{job.id}</td>
                            <td data-label=t.job_type>{(t.job_type_label)(job.job_type)}</td>
                            <td data-label=t.status><Badge tone=job_tone(job.state) text=(t.job_state_label)(job.state)/></td>
                            <td data-label=t.attempts class="num">{job.attempts}</td>
                            <td data-label=t.message>{message}</td>
                            <td data-label=t.finished>{job.finished_at.as_ref().map(|at| view! { <time title=datetime(at)>{relative(at)}</time> })}</td>
                            <td>{(can_retry && job.state == JobState::Error).then(|| view! {
                                <button class="secondary" on:click=move |_| retry(job_id)>{t.retry}</button>
                            })}</td>
                        </tr>
                    }
                }).collect_view()}
            </Table>
        }.into_any()
        },
    )
}
