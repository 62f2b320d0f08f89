//! "Solicitar reporte": a type and a period of local days in `TIME_ZONE`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use relay_types::{CreateReport, ReportType};

use crate::api::reports;
use crate::state::format::parse_day;
use crate::state::i18n::t;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

#[component]
pub fn RequestForm(open: RwSignal<bool>, on_done: Callback<()>) -> impl IntoView {
    let t = t();
    let session = use_session();
    let toasts = use_toasts();
    let report_type = RwSignal::new(ReportType::Deliveries.as_str().to_string());
    let start = RwSignal::new(String::new());
    let end = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Ok(kind), Some(start_date), Some(end_date)) = (
            report_type.get_untracked().parse::<ReportType>(),
            parse_day(&start.get_untracked()),
            parse_day(&end.get_untracked()),
        ) else {
            error.set(Some(t.report_dates_needed.into()));
            return;
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let body = CreateReport {
                report_type: kind,
                start_date,
                end_date,
            };
            match reports::request(&body).await {
                Ok(report) => {
                    toasts.success((t.report_requested_n)(report.id));
                    open.set(false);
                    on_done.try_run(());
                }
                Err(err) => error.set(Some(err.detail)),
            }
            busy.set(false);
        });
    };
    view! {
        <Show when=move || open.get()>
            <form class="panel inline-form" on:submit=submit data-testid="request-report">
                <label>
                    {t.report_type}
                    <select name="report_type" on:change=move |ev| report_type.set(event_target_value(&ev))>
                        {ReportType::ALL.iter().map(|k| view! {
                            <option value=k.as_str() selected=*k == ReportType::Deliveries>{(t.report_type_label)(*k)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    {t.date_from}
                    <input type="date" name="start_date" required bind:value=start/>
                </label>
                <label>
                    {t.date_to}
                    <input type="date" name="end_date" required bind:value=end/>
                </label>
                <p class="muted">{move || (t.days_in_zone)(&session.time_zone())}</p>
                <p class="muted" data-testid="report-contents">{t.report_contents_note}</p>
                {move || error.get().map(|text| view! { <p class="error" role="alert">{text}</p> })}
                <div class="actions">
                    <button type="button" class="secondary" on:click=move |_| open.set(false)>{t.back}</button>
                    <button type="submit" class="primary" disabled=move || busy.get()>{t.request_report}</button>
                </div>
            </form>
        </Show>
    }
}
