//! "Historial": what happened to the send, oldest first, who did it and the facts each
//! event carries (rows imported, the quota's reset time, how it finished).

use leptos::prelude::*;
use relay_types::{BulkEvent, BulkEventKind};

use crate::api::bulk_sends;
use crate::components::loaded::{listed, Empty};
use crate::state::format::{datetime, number, weekday_and_time};
use crate::state::i18n::t;
use crate::state::loaded::Loaded;

/// The event's facts in words.
fn facts(event: &BulkEvent) -> String {
    let t = t();
    let int = |key: &str| event.data.get(key).and_then(serde_json::Value::as_i64);
    let text = |key: &str| {
        event
            .data
            .get(key)
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    };
    match event.kind {
        BulkEventKind::QuotaPaused => text("reset_at")
            .and_then(|at| at.parse::<chrono::DateTime<chrono::Utc>>().ok())
            .map(|at| {
                let (day, hour) = weekday_and_time(&at);
                (t.quota_paused_until)(&day, &hour)
            })
            .unwrap_or_default(),
        BulkEventKind::Finished => format!(
            "{}: {} · {}: {} · {}: {}",
            t.sent,
            number(int("sent").unwrap_or(0)),
            t.failed,
            number(int("failed").unwrap_or(0)),
            t.ambiguous,
            number(int("ambiguous").unwrap_or(0))
        ),
        BulkEventKind::MarkedSent | BulkEventKind::Resent => int("recipients")
            .map(|n| (t.resolved_toast)(n as u64))
            .unwrap_or_default(),
        BulkEventKind::Created => (t.rows_summary)(
            int("rows").unwrap_or(0),
            int("valid").unwrap_or(0),
            int("invalid").unwrap_or(0),
            0,
        ),
        BulkEventKind::StartFailed => match crate::state::i18n::current() {
            crate::state::i18n::Lang::Es => text("message"),
            crate::state::i18n::Lang::En => text("message_en"),
        }
        .unwrap_or_default(),
        _ => String::new(),
    }
}

#[component]
pub fn History(id: i64, version: Signal<u64>) -> impl IntoView {
    let t = t();
    let events = Loaded::new(move || bulk_sends::history(id));
    super::follow(version, move || events.refetch());
    listed(
        events,
        move || view! { <Empty text=t.no_history/> }.into_any(),
        move |list| {
            view! {
            <ol class="timeline" data-testid="timeline">
                {list.into_iter().map(|event| {
                    let detail = facts(&event);
                    view! {
                        <li>
                            <time>{datetime(&event.at)}</time>
                            <strong>{(t.event_label)(event.kind)}</strong>
                            {event.actor.clone().map(|who| view! { <span class="muted">" · " {who}</span> })}
                            {(!detail.is_empty()).then(|| view! { <p class="muted">{detail}</p> })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        }.into_any()
        },
    )
}
