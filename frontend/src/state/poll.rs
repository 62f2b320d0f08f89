//! Pages that follow work in progress ask again on a timer while they are shown.

use std::time::Duration;

use leptos::prelude::*;

/// Calls `tick` every 3 s while `fast()` holds, else every 30 s, until the page goes away.
pub fn poll(fast: impl Fn() -> bool + 'static, tick: impl Fn() + 'static) {
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
