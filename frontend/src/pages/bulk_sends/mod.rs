//! "Envíos": the list with its cards, one send's detail (progress, actions, recipients,
//! report, jobs, history) and "Nuevo envío".

mod detail;
mod history;
mod jobs;
mod list;
mod new;
mod recipients;
mod report;

pub use detail::BulkSendDetail;
pub use list::BulkSendList;
pub use new::{Form as NewSendDraft, NewBulkSend};

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;
use relay_types::BulkSendStatus;

/// Statuses in which something moves by itself (the page refreshes every few seconds).
fn is_moving(status: BulkSendStatus) -> bool {
    matches!(
        status,
        BulkSendStatus::Importing | BulkSendStatus::Queued | BulkSendStatus::Sending
    )
}

/// Calls `tick` every 3 s while `fast()` holds, else every 30 s, until the page goes away.
pub(crate) fn poll(fast: impl Fn() -> bool + 'static, tick: impl Fn() + 'static) {
    let count = StoredValue::new(0u32);
    if let Ok(handle) = set_interval_with_handle(
        move || {
            let n = count.get_value().wrapping_add(1);
            count.set_value(n);
            if fast() || n.is_multiple_of(10) {
                tick();
            }
        },
        Duration::from_secs(3),
    ) {
        on_cleanup(move || handle.clear());
    }
}

/// Rewrites one query parameter of the current URL (the filters live there), replacing the
/// history entry; `reset_page` goes back to page 1.
pub(crate) fn set_query_param() -> impl Fn(&str, String, bool) + Clone {
    let navigate = use_navigate();
    let location = use_location();
    move |key: &str, value: String, reset_page: bool| {
        let mut pairs: Vec<(String, String)> = location
            .query
            .get_untracked()
            .into_iter()
            .filter(|(k, _)| k != key && !(reset_page && k == "pagina"))
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        if !value.is_empty() {
            pairs.push((key.to_string(), value));
        }
        let query = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", js_sys::encode_uri_component(v)))
            .collect::<Vec<_>>()
            .join("&");
        let path = location.pathname.get_untracked();
        let url = if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        };
        navigate(
            &url,
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    }
}

/// Calls `reload` each time `version` changes after the first look (a tab following the
/// send it belongs to).
fn follow(version: Signal<u64>, reload: impl Fn() + 'static) {
    Effect::new(move |previous: Option<u64>| {
        let now = version.get();
        if previous.is_some_and(|p| p != now) {
            reload();
        }
        now
    });
}
