//! "Envío N": header with the state and the actions the state and the user's permissions
//! allow, live progress with rate and time left, the ambiguous callout, and tabs for
//! recipients, the campaign report, jobs and history (the tab is in the URL).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use relay_types::{
    BulkAction, BulkReportState, BulkSend, BulkSendStatus, PermissionCode, ResolveAction,
};

use super::history::History;
use super::is_moving;
use super::jobs::Jobs;
use super::recipients::Recipients;
use super::report::CampaignReportTab;
use crate::api::{bulk_sends, ApiResult};
use crate::components::badge::{report_tone, Badge, BulkBadge};
use crate::components::confirm::Confirm;
use crate::components::form::FormAction;
use crate::components::loaded::{found, loading};
use crate::components::progress::{done_ratio, ProgressBar};
use crate::components::tabs::Tabs;
use crate::components::when::When;
use crate::pages::errors::NotFound;
use crate::state::format::{
    datetime, is_past, minutes_since, minutes_until, number, percent, relative, time,
    weekday_and_time,
};
use crate::state::i18n::{self, t, Lang};
use crate::state::loaded::Loaded;
use crate::state::poll::poll;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;
use crate::state::url::set_query_param;

#[component]
pub fn BulkSendDetail() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok())));
    // Drawn once per send: refreshes update the figures in place, so open dialogs, the
    // chosen tab, filters and focus stay as they are.
    move || match id.get() {
        None => view! { <NotFound/> }.into_any(),
        Some(id) => view! { <Loaded id=id/> }.into_any(),
    }
}

/// Whether the send's page should look again soon: something moves, or its report is on
/// its way.
fn is_live(send: &BulkSend) -> bool {
    is_moving(send.status)
        || matches!(
            send.report.status,
            BulkReportState::Pending | BulkReportState::Processing
        )
        || (send.status.is_finished()
            && send.report.status == BulkReportState::NotStarted
            && send.counts.sent > 0
            && send
                .finished_at
                .as_ref()
                .is_some_and(|at| minutes_since(at, None) < 30.0))
}

#[component]
fn Loaded(id: i64) -> impl IntoView {
    let bulk = Loaded::new(move || bulk_sends::one(id));
    let send = RwSignal::new(None::<BulkSend>);
    // Bumped whenever the send changed: the open tab reloads its rows.
    let version = RwSignal::new(0u64);
    Effect::new(move |_| {
        if let Some(Ok(latest)) = bulk.get() {
            if send.with_untracked(|s| s.as_ref() != Some(&latest)) {
                send.set(Some(latest));
                version.update(|v| *v += 1);
            }
        }
    });
    poll(
        move || send.with_untracked(|s| s.as_ref().is_some_and(is_live)),
        move || bulk.refetch(),
    );
    let reload = Callback::new(move |()| bulk.refetch());
    view! {
        // The send is drawn from `send`, kept across refreshes; until the first answer is
        // in, the page says what it is waiting for or what went wrong.
        <Show when=move || send.with(Option::is_some) fallback=found(bulk, |_| loading())>
            <Detail id=id send=send version=version.into() reload=reload/>
        </Show>
    }
}

/// The dialogs' state lives with the page, not with the parts redrawn on each refresh.
#[derive(Clone, Copy)]
struct Dialogs {
    cancel: RwSignal<bool>,
    resolve: RwSignal<bool>,
    resolve_action: RwSignal<Option<ResolveAction>>,
}

#[component]
fn Detail(
    id: i64,
    send: RwSignal<Option<BulkSend>>,
    version: Signal<u64>,
    reload: Callback<()>,
) -> impl IntoView {
    let t = t();
    let query = use_query_map();
    let set_param = set_query_param();
    let tab = Memo::new(move |_| {
        query.with(|q| q.get("pestana").unwrap_or_else(|| "destinatarios".into()))
    });
    let session = use_session();
    let dialogs = Dialogs {
        cancel: RwSignal::new(false),
        resolve: RwSignal::new(false),
        resolve_action: RwSignal::new(None),
    };
    let busy = FormAction::new();
    let tabs = move || {
        let mut tabs = vec![
            ("destinatarios", t.tab_recipients),
            ("contenido", t.tab_content),
            ("reporte", t.tab_report),
        ];
        if session.can(PermissionCode::JobsView) {
            tabs.push(("trabajos", t.tab_jobs));
        }
        tabs.push(("historial", t.tab_history));
        tabs
    };
    let status = Signal::derive(move || send.with(|s| s.as_ref().map(|s| s.status)));
    // Screen readers hear the progress by tenths and each change of state, not every poll.
    let spoken = Memo::new(move |_| {
        send.with(|s| {
            s.as_ref().map(|s| {
                let tenths = (done_ratio(&s.counts) * 10.0).floor() / 10.0;
                format!(
                    "{}: {} · {}",
                    t.progress,
                    percent(tenths),
                    (t.bulk_status)(s.status)
                )
            })
        })
    });
    let report_state = Signal::derive(move || send.with(|s| s.as_ref().map(|s| s.report.status)));
    view! {
        <section class="page">
            <p class="visually-hidden" role="status" aria-live="polite">{move || spoken.get()}</p>
            {move || send.get().map(|send| {
                let counts = send.counts.clone();
                view! {
                    <header class="page-head">
                        <div>
                            <p class="crumbs"><A href="/envios">{t.nav_bulk_sends}</A> " / " {(t.bulk_send_n)(id)}</p>
                            <h1>{(t.bulk_send_n)(id)} " · " {send.template_name.clone()} " " <BulkBadge status=send.status/></h1>
                            <p class="subtitle">
                                {if send.subject.is_empty() { t.subject_from_template.to_string() } else { send.subject.clone() }}
                                " · " {format!("{} <{}>", send.from_name, send.from_email)}
                            </p>
                        </div>
                        <Actions send=send.clone() reload=reload dialogs=dialogs busy=busy/>
                    </header>
                    <Facts send=send.clone()/>
                    <section class="panel" aria-labelledby="progress-title">
                        <h2 id="progress-title">{t.progress}</h2>
                        <ProgressBar counts=counts.clone() status=send.status/>
                        <Pace send=send.clone()/>
                    </section>
                    {(counts.ambiguous > 0
                        && session.can(PermissionCode::BulkSendsOperate)
                        && send.status.allows(BulkAction::ResolveAmbiguous))
                        .then(|| view! { <AmbiguousCallout count=counts.ambiguous dialogs=dialogs/> })}
                }
            })}
            <ResolveDialog id=id dialogs=dialogs reload=reload
                count=Signal::derive(move || send.with(|s| s.as_ref().map_or(0, |s| s.counts.ambiguous)))/>
            <Confirm open=dialogs.cancel title=t.cancel_send
                text=move || (t.cancel_explained)(send.with(|s| s.as_ref().map_or(0, |s| s.counts.pending)))
                confirm=t.cancel_send danger=true
                on_confirm=Callback::new(move |()| act(id, BulkAction::Cancel, t.cancelled_toast, busy, reload))/>
            <Tabs tabs=Signal::derive(tabs) current=tab
                choose=Callback::new(move |key: &'static str| set_param("pestana", key.to_string(), false))
                label=t.bulk_send_tabs>
                {move || match tab.get().as_str() {
                    "reporte" => view! { <CampaignReportTab id=id report_state=report_state/> }.into_any(),
                    // What was sent does not change while the page polls: read once.
                    "contenido" => send.get_untracked().map(|send| view! { <super::content::Content send=send/> }).into_any(),
                    "trabajos" => view! { <Jobs id=id version=version/> }.into_any(),
                    "historial" => view! { <History id=id version=version/> }.into_any(),
                    _ => view! { <Recipients id=id status=status version=version reload=reload/> }.into_any(),
                }}
            </Tabs>
        </section>
    }
}

/// Takes an action (queue, pause, resume, cancel) and says how it went.
fn act(id: i64, action: BulkAction, done: &'static str, busy: FormAction, reload: Callback<()>) {
    let toasts = use_toasts();
    busy.act(
        async move {
            // Resuming right after a pause is taken by the API at once (the run still
            // finishing is adopted): no waiting here.
            bulk_sends::act(id, action).await?;
            toasts.success(done);
            Ok(())
        },
        move || reload.try_run(()).unwrap_or_default(),
    );
}

/// Created, scheduled, the file's verdicts, the report's state.
#[component]
fn Facts(send: BulkSend) -> impl IntoView {
    let t = t();
    let when = |at: &Option<chrono::DateTime<chrono::Utc>>| at.map(|at| view! { <When at=at/> });
    view! {
        <dl class="facts">
            <div><dt>{t.created}</dt><dd><When at=send.created_at/>
                {send.created_by.clone().map(|who| format!(" · {who}"))}</dd></div>
            {send.scheduled_at.as_ref().map(|at| view! {
                <div><dt>{t.scheduled_for}</dt><dd>{datetime(at)} " (" {relative(at)} ")"</dd></div>
            })}
            {send.started_at.is_some().then(|| view! { <div><dt>{t.started}</dt><dd>{when(&send.started_at)}</dd></div> })}
            {send.finished_at.is_some().then(|| view! { <div><dt>{t.finished}</dt><dd>{when(&send.finished_at)}</dd></div> })}
            <div><dt>{t.file}</dt><dd>{send.file.name.clone()} " · " {(t.rows_summary)(send.counts.total, send.counts.valid, send.counts.invalid, send.counts.warnings)}</dd></div>
            <div><dt>{t.report}</dt><dd data-testid="report-state"><Badge tone=report_tone(send.report.status) text=(t.report_status)(send.report.status)/>
                {(send.report.rows > 0).then(|| format!(" · {} {}", number(send.report.rows), t.rows))}
                {send.report.due_at.map(|at| format!(" · {}", (t.report_due_at)(&time(&at))))}</dd></div>
            {(!send.import_error.is_empty()).then(|| view! { <div class="wide"><dt>{t.error}</dt><dd class="error">{send.import_error.clone()}</dd></div> })}
            {(!send.report.error.is_empty()).then(|| view! { <div class="wide"><dt>{t.report_error}</dt><dd class="error">{send.report.error.clone()}</dd></div> })}
        </dl>
    }
}

/// Rate per minute, time left, and why it stopped (quota pause with its reset time).
#[component]
fn Pace(send: BulkSend) -> impl IntoView {
    let t = t();
    let counts = &send.counts;
    // Per minute of sending: paused time does not count.
    let rate = send
        .sending_seconds
        .filter(|s| *s > 0)
        .map(|seconds| (counts.sent + counts.failed) as f64 * 60.0 / seconds as f64);
    let left = counts.pending + counts.sending;
    let eta = rate
        .filter(|r| *r > 0.0 && left > 0 && is_moving(send.status))
        .map(|r| (left as f64 / r).ceil() as i64);
    let reason = match (send.status, send.status_reason.as_str()) {
        (BulkSendStatus::Paused, "quota_exceeded") => Some(match &send.resume_at {
            Some(at) => {
                let (day, hour) = weekday_and_time(at);
                (t.quota_paused_until)(&day, &hour)
            }
            None => t.quota_paused.to_string(),
        }),
        (BulkSendStatus::Paused, "doppler_unavailable") => Some(t.relay_paused.to_string()),
        (BulkSendStatus::Paused, _) => Some(t.paused_by_operator.to_string()),
        _ => None,
    };
    // The API says it in both languages; sends stopped before it did have only Spanish.
    let said = match i18n::current() {
        Lang::En if !send.status_message_en.is_empty() => send.status_message_en.clone(),
        _ => send.status_message.clone(),
    };
    view! {
        <p class="pace">
            {rate.map(|r| view! { <span>{(t.per_minute)(&number(r.round() as i64))}</span> })}
            {eta.map(|m| view! { <span>{(t.time_left)(m)}</span> })}
        </p>
        {reason.map(|text| view! { <p class="notice" data-testid="pause-reason">{text}</p> })}
        {(!said.is_empty()).then(|| view! { <p class="muted" data-testid="status-message">{said}</p> })}
    }
}

/// The buttons the state allows and the user may press: one primary action, cancel asks.
#[component]
fn Actions(
    send: BulkSend,
    reload: Callback<()>,
    dialogs: Dialogs,
    busy: FormAction,
) -> impl IntoView {
    let t = t();
    let session = use_session();
    let toasts = use_toasts();
    let id = send.id;
    let refresh_report = move |_| {
        busy.act(
            async move {
                bulk_sends::refresh_report(id).await?;
                toasts.success(t.report_requested);
                Ok(())
            },
            move || reload.try_run(()).unwrap_or_default(),
        );
    };
    if !session.can(PermissionCode::BulkSendsOperate) {
        return ().into_any();
    }
    let status = send.status;
    let report = send.report.clone();
    let report_button = matches!(
        status,
        BulkSendStatus::Done | BulkSendStatus::DoneWithErrors | BulkSendStatus::Failed
    )
    .then(|| {
        let (label, enabled) = match report.status {
            BulkReportState::Pending => (
                match &report.due_at {
                    Some(at) => format!("{} · {}", t.report_queued, (t.report_due_at)(&time(at))),
                    None => t.report_queued.to_string(),
                },
                false,
            ),
            BulkReportState::Processing => (t.report_processing.to_string(), false),
            _ => match &report.refresh_available_at {
                Some(at) if !is_past(at) => ((t.available_in)(minutes_until(at)), false),
                _ => (t.refresh_report.to_string(), true),
            },
        };
        view! {
            <button class="secondary" disabled=move || busy.busy() || !enabled on:click=refresh_report>{label}</button>
        }
    });
    let button = move |action: BulkAction, label: &'static str, done: &'static str| {
        status.allows(action).then(|| view! {
            <button class="primary" disabled=move || busy.busy() on:click=move |_| act(id, action, done, busy, reload)>{label}</button>
        })
    };
    view! {
        <div class="actions">
            {button(BulkAction::Queue, t.queue_send, t.queued_toast)}
            {button(BulkAction::Pause, t.pause, t.paused_toast)}
            {button(BulkAction::Resume, t.resume, t.resumed_toast)}
            {report_button}
            {status.allows(BulkAction::Cancel).then(|| view! {
                <button class="danger" disabled=move || busy.busy() on:click=move |_| dialogs.cancel.set(true)>{t.cancel_send}</button>
            })}
        </div>
    }
    .into_any()
}

/// What "ambiguous" means, and settling all of them at once.
#[component]
fn AmbiguousCallout(count: i64, dialogs: Dialogs) -> impl IntoView {
    let t = t();
    let ask = move |action| {
        dialogs.resolve_action.set(Some(action));
        dialogs.resolve.set(true);
    };
    view! {
        <aside class="callout ambiguous" data-testid="ambiguous-callout">
            <h2>{(t.ambiguous_title)(count)}</h2>
            <p>{t.ambiguous_explained}</p>
            <div class="actions">
                <button class="secondary" on:click=move |_| ask(ResolveAction::MarkSent)>{t.mark_all_sent}</button>
                <button class="secondary" on:click=move |_| ask(ResolveAction::Resend)>{t.resend_all}</button>
            </div>
        </aside>
    }
}

/// The confirmation of "Marcar todos como enviados" / "Reenviar todos".
#[component]
fn ResolveDialog(
    id: i64,
    dialogs: Dialogs,
    reload: Callback<()>,
    count: Signal<i64>,
) -> impl IntoView {
    let t = t();
    let toasts = use_toasts();
    let resend = move || dialogs.resolve_action.get() == Some(ResolveAction::Resend);
    let resolve = Callback::new(move |()| {
        let Some(action) = dialogs.resolve_action.get_untracked() else {
            return;
        };
        spawn_local(async move {
            let outcome: ApiResult<_> = bulk_sends::resolve(id, action, None).await;
            match outcome {
                Ok(result) => toasts.success((t.resolved_toast)(result.resolved)),
                Err(err) => toasts.error(err.detail),
            }
            reload.try_run(());
        });
    });
    view! {
        <Confirm open=dialogs.resolve
            title=move || if resend() { t.resend_all } else { t.mark_all_sent }
            text=move || if resend() { (t.resend_explained)(count.get()) } else { (t.mark_sent_explained)(count.get()) }
            confirm=t.confirm on_confirm=resolve/>
    }
}
