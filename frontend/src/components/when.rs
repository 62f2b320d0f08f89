//! A moment as people read it: "hace 6 min" with the local date and time beside it (visible,
//! not only in a tooltip a phone cannot show).

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::state::format::{datetime, relative, short_datetime};

#[component]
pub fn When(at: DateTime<Utc>) -> impl IntoView {
    view! {
        <time class="when" datetime=at.to_rfc3339() title=datetime(&at)>
            {relative(&at)} <small class="muted">{short_datetime(&at)}</small>
        </time>
    }
}
