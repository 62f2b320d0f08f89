//! A search box that asks once the user pauses typing (350 ms, as the legacy list did) or
//! presses Enter.

use std::time::Duration;

use leptos::prelude::*;

#[component]
pub fn SearchBox(
    #[prop(into)] value: Signal<String>,
    #[prop(into)] on_search: Callback<String>,
    label: &'static str,
    placeholder: &'static str,
) -> impl IntoView {
    let pending = StoredValue::new(None::<TimeoutHandle>);
    let cancel = move || {
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        cancel();
        let handle =
            set_timeout_with_handle(move || on_search.run(text), Duration::from_millis(350)).ok();
        pending.set_value(handle);
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" {
            ev.prevent_default();
            cancel();
            on_search.run(event_target_value(&ev));
        }
    };
    on_cleanup(cancel);
    view! {
        <label class="search">
            <span class="visually-hidden">{label}</span>
            // The starting value only: writing back while someone types would eat spaces.
            <input type="search" placeholder=placeholder value=value.get_untracked()
                on:input=on_input on:keydown=on_key/>
        </label>
    }
}
