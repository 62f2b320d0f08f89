//! "Solicitar reporte": a type and a period of local days in `TIME_ZONE`.

use leptos::prelude::*;
use relay_types::{CreateReport, ReportType};

use crate::api::reports;
use crate::components::form::{FieldError, FormAction, FormProblem, Submit};
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
    let action = FormAction::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Ok(kind), Some(start_date), Some(end_date)) = (
            report_type.get_untracked().parse::<ReportType>(),
            parse_day(&start.get_untracked()),
            parse_day(&end.get_untracked()),
        ) else {
            let field = if parse_day(&start.get_untracked()).is_none() {
                "start_date"
            } else {
                "end_date"
            };
            action.refuse_field(field, t.report_dates_needed);
            return;
        };
        action.run(async move {
            let body = CreateReport {
                report_type: kind,
                start_date,
                end_date,
            };
            let report = reports::request(&body).await?;
            toasts.success((t.report_requested_n)(report.id));
            open.set(false);
            on_done.try_run(());
            Ok(())
        });
    };
    view! {
        <Show when=move || open.get()>
            <form class="panel inline-form" on:submit=submit node_ref=action.node() data-testid="request-report">
                <FormProblem action=action/>
                <label>
                    {t.report_type}
                    <select name="report_type" on:change=move |ev| report_type.set(event_target_value(&ev))>
                        {ReportType::ALL.iter().map(|k| view! {
                            <option value=k.as_str() selected=*k == ReportType::Deliveries>{(t.report_type_label)(*k)}</option>
                        }).collect_view()}
                    </select>
                    <FieldError action=action name="report_type"/>
                </label>
                <label>
                    {t.date_from}
                    <input type="date" name="start_date" required bind:value=start/>
                    <FieldError action=action name="start_date"/>
                </label>
                <label>
                    {t.date_to}
                    <input type="date" name="end_date" required bind:value=end/>
                    <FieldError action=action name="end_date"/>
                </label>
                <p class="muted">{move || (t.days_in_zone)(&session.time_zone())}</p>
                <p class="muted" data-testid="report-contents">{t.report_contents_note}</p>
                <div class="actions">
                    <button type="button" class="secondary" on:click=move |_| open.set(false)>{t.back}</button>
                    <Submit action=action label=t.request_report/>
                </div>
            </form>
        </Show>
    }
}
