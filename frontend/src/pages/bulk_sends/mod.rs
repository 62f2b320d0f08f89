//! "Envíos": the list with its cards, one send's detail (progress, actions, recipients,
//! report, jobs, history) and "Nuevo envío".

mod content;
mod detail;
mod history;
mod jobs;
mod list;
mod new;
mod recipients;
mod report;

pub use detail::BulkSendDetail;
pub use list::BulkSendList;
pub use new::NewBulkSend;

use leptos::prelude::*;
use relay_types::BulkSendStatus;

/// Statuses in which something moves by itself (the page refreshes every few seconds).
fn is_moving(status: BulkSendStatus) -> bool {
    matches!(
        status,
        BulkSendStatus::Importing | BulkSendStatus::Queued | BulkSendStatus::Sending
    )
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
