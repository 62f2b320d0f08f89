//! Tabs the WAI-ARIA way: one tab in the page's tab order (the chosen one), the arrow keys
//! move between tabs and show theirs, Home and End go to the first and last; the panel is
//! labelled by its tab. The chosen tab lives in the URL (the page's `pestana`).

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// `tabs` are (key, label) in order; `current` is the key shown; `choose` shows another.
#[component]
pub fn Tabs(
    #[prop(into)] tabs: Signal<Vec<(&'static str, &'static str)>>,
    #[prop(into)] current: Signal<String>,
    choose: Callback<&'static str>,
    /// What the tabs are about, for screen readers.
    label: &'static str,
    children: ChildrenFn,
) -> impl IntoView {
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let keys = tabs.get_untracked();
        let Some(at) = keys
            .iter()
            .position(|(key, _)| *key == current.get_untracked())
        else {
            return;
        };
        let last = keys.len() - 1;
        let to = match ev.key().as_str() {
            "ArrowRight" => (at + 1) % keys.len(),
            "ArrowLeft" => (at + last) % keys.len(),
            "Home" => 0,
            "End" => last,
            _ => return,
        };
        ev.prevent_default();
        let key = keys[to].0;
        choose.run(key);
        if let Some(tab) = window()
            .document()
            .and_then(|d| d.get_element_by_id(&tab_id(key)))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = tab.focus();
        }
    };
    view! {
        <div class="tabs" role="tablist" aria-label=label on:keydown=on_key>
            {move || tabs.get().into_iter().map(|(key, label)| {
                let chosen = move || current.get() == key;
                view! {
                    <button type="button" role="tab" class="tab" id=tab_id(key) aria-controls="tab-panel"
                        aria-selected=move || chosen().to_string()
                        tabindex=move || if chosen() { "0" } else { "-1" }
                        on:click=move |_| choose.run(key)>{label}</button>
                }
            }).collect_view()}
        </div>
        <div role="tabpanel" id="tab-panel" tabindex="0"
            aria-labelledby=move || tab_id(&current.get())>
            {children()}
        </div>
    }
}

fn tab_id(key: &str) -> String {
    if key.is_empty() {
        "tab-inicio".to_string()
    } else {
        format!("tab-{key}")
    }
}
