//! "Reporte": the campaign report of the send — big numbers with their share of what was
//! sent, the outcome bars, opens over time, top domains, Doppler's statuses, and the CSVs.

use leptos::prelude::*;
use leptos::task::spawn_local;
use relay_types::{BulkReportState, CampaignReport, DeliveryOutcome, PermissionCode};

use crate::api::bulk_sends;
use crate::components::badge::Tone;
use crate::components::charts::{Bar, BarChart, LineChart};
use crate::components::loaded::{listed, Empty};
use crate::components::table::Table;
use crate::state::format::{local_hour, number, percent};
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

#[component]
pub fn CampaignReportTab(id: i64, report_state: Signal<Option<BulkReportState>>) -> impl IntoView {
    let t = t();
    let report = Loaded::new(move || bulk_sends::report(id));
    // The post-send report loads in the background: the page follows the send's report
    // state, and this tab looks again when it changes.
    Effect::new(move |previous: Option<Option<BulkReportState>>| {
        let state = report_state.get();
        if previous.is_some_and(|p| p != state) {
            report.refetch();
        }
        state
    });
    listed(
        report,
        move || view! { <Empty text=t.report_not_loaded/> }.into_any(),
        |report| view! { <ReportView report=report/> }.into_any(),
    )
}

#[component]
fn ReportView(report: CampaignReport) -> impl IntoView {
    let t = t();
    let session = use_session();
    let toasts = use_toasts();
    let totals = &report.totals;
    let sent = totals.sent.max(1) as f64;
    let big = [
        (t.delivered, totals.delivered),
        (t.opens, totals.unique_openers),
        (t.clicks, totals.unique_clickers),
        (t.bounced, totals.bounced),
    ];
    let outcome = vec![
        Bar {
            label: t.delivered.into(),
            value: totals.delivered,
            tone: Tone::Green,
        },
        Bar {
            label: t.bounced.into(),
            value: totals.bounced,
            tone: Tone::Red,
        },
        Bar {
            label: t.dropped.into(),
            value: totals.dropped,
            tone: Tone::Red,
        },
        Bar {
            label: t.pending_outcome.into(),
            value: totals.pending,
            tone: Tone::Blue,
        },
        Bar {
            label: t.spam.into(),
            value: totals.spam,
            tone: Tone::Violet,
        },
        Bar {
            label: t.unsubscribed.into(),
            value: totals.unsubscribed,
            tone: Tone::Amber,
        },
        Bar {
            label: t.not_in_report.into(),
            value: report.sent_not_in_report,
            tone: Tone::Grey,
        },
    ];
    let opens: Vec<(String, i64)> = report
        .opens_over_time
        .iter()
        .map(|p| (local_hour(&p.hour), p.opens))
        .collect();
    let domains: Vec<Bar> = report
        .top_domains
        .iter()
        .map(|d| Bar {
            label: d.domain.clone(),
            value: d.recipients,
            tone: Tone::Blue,
        })
        .collect();
    let id = report.bulk_send_id;
    let report_id = report.report.as_ref().map(|r| r.id);
    let export = move |day: bool| {
        spawn_local(async move {
            let outcome = match (day, report_id) {
                (true, Some(report_id)) => bulk_sends::export_day_report(report_id).await,
                _ => bulk_sends::export_report(id).await,
            };
            if let Err(err) = outcome {
                toasts.error(err.detail);
            }
        });
    };
    view! {
        <div class="toolbar">
            <button class="secondary" on:click=move |_| export(false)>{t.download_send_csv}</button>
            <Show when=move || session.can(PermissionCode::ReportsView)>
                <button class="secondary" on:click=move |_| export(true)>{t.download_day_csv}</button>
            </Show>
        </div>
        <ul class="cards big">
            {big.into_iter().map(|(label, n)| view! {
                <li class="stat">
                    <span class="stat-label">{label}</span>
                    <strong class="stat-value">{number(n)}</strong>
                    <span class="muted">{(t.of_sent)(&percent(n as f64 / sent))}</span>
                </li>
            }).collect_view()}
        </ul>
        <div class="charts">
            <BarChart title=t.outcome_chart bars=outcome/>
            {(!opens.is_empty()).then(|| view! { <LineChart title=t.opens_chart points=opens/> })}
            {(!domains.is_empty()).then(|| view! { <BarChart title=t.domains_chart bars=domains/> })}
        </div>
        <h3>{t.doppler_statuses}</h3>
        <Table headers=[t.status, t.outcome_meaning, t.rows]>
            {report.by_status.into_iter().map(|(status, n)| {
                let meaning = match DeliveryOutcome::of(&status) {
                    DeliveryOutcome::Other => (t.other_outcome)(&status),
                    known => (t.delivery_outcome_label)(known).to_string(),
                };
                view! {
                    <tr>
                        <td data-label=t.status>{status}</td>
                        <td data-label=t.outcome_meaning>{meaning}</td>
                        <td data-label=t.rows class="num">{number(n)}</td>
                    </tr>
                }
            }).collect_view()}
        </Table>
    }
}
