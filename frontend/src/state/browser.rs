//! The browser calls the pages need: saving a downloaded file, remembering a preference,
//! a random key.

use wasm_bindgen::JsCast;

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

/// Hands bytes to the browser as a file download.
pub fn save_bytes(bytes: &[u8], file_name: &str, mime: &str) {
    let Some(document) = window().and_then(|w| w.document()) else {
        return;
    };
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(anchor) = document
        .create_element("a")
        .ok()
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        anchor.set_href(&url);
        anchor.set_download(file_name);
        anchor.click();
    }
    // Some browsers read the link after the click returns: let it go a little later.
    let _ = leptos::prelude::set_timeout_with_handle(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(30),
    );
}

pub fn stored(key: &str) -> Option<String> {
    window()?.local_storage().ok()??.get_item(key).ok()?
}

pub fn store(key: &str, value: &str) {
    if let Some(storage) = window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(key, value);
    }
}

/// What this tab keeps until it closes (a half-filled form across a reload).
pub fn session_stored(key: &str) -> Option<String> {
    window()?.session_storage().ok()??.get_item(key).ok()?
}

/// Keeps `value` for this tab; `None` forgets it.
pub fn session_store(key: &str, value: Option<&str>) {
    if let Some(storage) = window().and_then(|w| w.session_storage().ok().flatten()) {
        let _ = match value {
            Some(value) => storage.set_item(key, value),
            None => storage.remove_item(key),
        };
    }
}

/// A random UUID (the new-send form's idempotency key).
pub fn uuid() -> String {
    window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.random_uuid())
        .unwrap_or_else(|| format!("{:x}", js_sys::Date::now() as u64))
}

/// Milliseconds since the epoch, from the browser's clock.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

pub fn set_document_language(code: &str) {
    if let Some(root) = window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("lang", code);
    }
}

/// Waits `ms` milliseconds without blocking the page.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Moves the keyboard focus `step` places among the elements matching `selector` (arrow
/// keys in a list of options); from outside the list, to its first element.
pub fn move_focus(selector: &str, step: i32) {
    let Some(document) = window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(list) = document.query_selector_all(selector) else {
        return;
    };
    let items: Vec<web_sys::HtmlElement> = (0..list.length())
        .filter_map(|i| list.get(i))
        .filter_map(|node| node.dyn_into::<web_sys::HtmlElement>().ok())
        .collect();
    if items.is_empty() {
        return;
    }
    let active = document.active_element();
    let current = items.iter().position(|item| {
        active
            .as_ref()
            .is_some_and(|a| a == item.as_ref() as &web_sys::Element)
    });
    let next = match current {
        None => 0,
        Some(i) => (i as i32 + step).clamp(0, items.len() as i32 - 1) as usize,
    };
    let _ = items[next].focus();
}

/// Puts `text` on the clipboard; false when the browser refuses.
pub async fn copy_text(text: &str) -> bool {
    let Some(window) = window() else {
        return false;
    };
    let clipboard = js_sys::Reflect::get(
        &window.navigator(),
        &wasm_bindgen::JsValue::from_str("clipboard"),
    )
    .ok();
    let write = clipboard.as_ref().and_then(|c| {
        js_sys::Reflect::get(c, &wasm_bindgen::JsValue::from_str("writeText"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    });
    let (Some(clipboard), Some(write)) = (clipboard, write) else {
        return false;
    };
    let Ok(promise) = write
        .call1(&clipboard, &wasm_bindgen::JsValue::from_str(text))
        .and_then(|p| p.dyn_into::<js_sys::Promise>())
    else {
        return false;
    };
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

/// Runs `work` once the page has settled: two seconds after now, never while the first
/// screen is being drawn.
pub fn when_idle(work: impl FnOnce() + 'static) {
    leptos::task::spawn_local(async move {
        sleep(2000).await;
        work();
    });
}

/// While `dirty()` holds, leaving the page asks first: a reload or closing the tab (the
/// browser's own question) and a click on a link of the app (`question`, answered "Cancel"
/// stays). Listens while the calling component lives.
pub fn guard_leaving(dirty: impl Fn() -> bool + Clone + 'static, question: &'static str) {
    use leptos::prelude::{on_cleanup, StoredValue, UpdateValue};
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    let Some(win) = window() else { return };
    let Some(document) = win.document() else {
        return;
    };
    let unsaved = dirty.clone();
    let before_unload = Closure::<dyn Fn(web_sys::BeforeUnloadEvent)>::new(
        move |ev: web_sys::BeforeUnloadEvent| {
            if unsaved() {
                ev.prevent_default();
                ev.set_return_value(question);
            }
        },
    );
    let click = Closure::<dyn Fn(web_sys::MouseEvent)>::new(move |ev: web_sys::MouseEvent| {
        let link = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("a[href]").ok().flatten());
        if link.is_none() || !dirty() {
            return;
        }
        let stay = window().is_some_and(|w| !w.confirm_with_message(question).unwrap_or(true));
        if stay {
            // Before the router's own listener sees the click.
            ev.prevent_default();
            ev.stop_immediate_propagation();
        }
    });
    let _ = win
        .add_event_listener_with_callback("beforeunload", before_unload.as_ref().unchecked_ref());
    let _ = document.add_event_listener_with_callback_and_bool(
        "click",
        click.as_ref().unchecked_ref(),
        true,
    );
    let listeners = StoredValue::new_local(Some((before_unload, click)));
    on_cleanup(move || {
        if let Some((before_unload, click)) = listeners.try_update_value(Option::take).flatten() {
            if let Some(win) = window() {
                let _ = win.remove_event_listener_with_callback(
                    "beforeunload",
                    before_unload.as_ref().unchecked_ref(),
                );
                if let Some(document) = win.document() {
                    let _ = document.remove_event_listener_with_callback_and_bool(
                        "click",
                        click.as_ref().unchecked_ref(),
                        true,
                    );
                }
            }
        }
    });
}

/// Names the browser tab (`Envíos · Relay Console`).
pub fn set_title(title: &str) {
    if let Some(document) = window().and_then(|w| w.document()) {
        document.set_title(title);
    }
}

/// Runs `redraw` (switching language rebuilds every page) keeping what is typed in the
/// page's fields: their values are read first and put back, as if typed, once the same
/// fields are drawn again. A page may wait for its data (a select for its options), so for
/// three seconds a field drawn anew gets its value again; one the user has since typed in
/// is left alone.
pub fn keeping_fields(redraw: impl FnOnce()) {
    let saved = fields()
        .into_iter()
        .filter_map(|(key, el)| field_value(&el).map(|value| (key, value)))
        .collect::<Vec<_>>();
    redraw();
    if saved.is_empty() {
        return;
    }
    leptos::task::spawn_local(async move {
        // The element each value was last put into.
        let mut put: Vec<Option<web_sys::Element>> = vec![None; saved.len()];
        for _ in 0..30 {
            sleep(100).await;
            let now = fields();
            for ((key, value), into) in saved.iter().zip(put.iter_mut()) {
                let Some((_, el)) = now.iter().find(|(k, _)| k == key) else {
                    continue;
                };
                if into.as_ref() == Some(el) {
                    continue;
                }
                if field_value(el).as_ref() != Some(value) {
                    set_field_value(el, value);
                }
                if field_value(el).as_ref() == Some(value) {
                    *into = Some(el.clone());
                }
            }
        }
    });
}

/// Runs `redraw` and, when it took away the field that had the keyboard focus (a select
/// whose choice was answered by a new preview), gives the focus to the same field drawn
/// anew: keyboard and screen-reader users stay where they were.
pub fn keeping_focus(redraw: impl FnOnce()) {
    let active = window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element());
    let key = active.and_then(|active| {
        fields()
            .into_iter()
            .find(|(_, el)| *el == active)
            .map(|(key, _)| key)
    });
    redraw();
    let Some(key) = key else { return };
    leptos::prelude::request_animation_frame(move || {
        let document = window().and_then(|w| w.document());
        let lost = document
            .as_ref()
            .and_then(|d| d.active_element())
            .is_none_or(|el| el.tag_name() == "BODY");
        if !lost {
            return;
        }
        if let Some(el) = fields()
            .into_iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, el)| el.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
}

/// The page's fields by a key that survives a redraw: tag, name (or id), and the place
/// among fields of that name (radio buttons also by value).
fn fields() -> Vec<(String, web_sys::Element)> {
    let Some(list) = window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector_all("input, textarea, select").ok())
    else {
        return Vec::new();
    };
    let mut seen: Vec<String> = Vec::new();
    (0..list.length())
        .filter_map(|i| list.get(i))
        .filter_map(|node| node.dyn_into::<web_sys::Element>().ok())
        .filter_map(|el| {
            let kind = el.get_attribute("type").unwrap_or_default();
            if matches!(kind.as_str(), "file" | "hidden" | "submit" | "button") {
                return None;
            }
            let name = el
                .get_attribute("name")
                .or_else(|| el.get_attribute("id"))
                .filter(|n| !n.is_empty())?;
            let mut key = format!("{}:{name}", el.tag_name());
            if kind == "radio" {
                key.push_str(&format!(
                    "={}",
                    el.get_attribute("value").unwrap_or_default()
                ));
            }
            let place = seen.iter().filter(|k| **k == key).count();
            seen.push(key.clone());
            Some((format!("{key}#{place}"), el))
        })
        .collect()
}

fn is_check(el: &web_sys::Element) -> bool {
    matches!(
        el.get_attribute("type").as_deref(),
        Some("checkbox" | "radio")
    )
}

fn field_value(el: &web_sys::Element) -> Option<String> {
    let property = if is_check(el) { "checked" } else { "value" };
    let value = js_sys::Reflect::get(el, &wasm_bindgen::JsValue::from_str(property)).ok()?;
    value
        .as_string()
        .or_else(|| value.as_bool().map(|b| b.to_string()))
}

fn set_field_value(el: &web_sys::Element, value: &str) {
    let (property, js) = if is_check(el) {
        ("checked", wasm_bindgen::JsValue::from_bool(value == "true"))
    } else {
        ("value", wasm_bindgen::JsValue::from_str(value))
    };
    let _ = js_sys::Reflect::set(el, &wasm_bindgen::JsValue::from_str(property), &js);
    // The page's signals follow the field's own events.
    for kind in ["input", "change"] {
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        if let Ok(event) = web_sys::Event::new_with_event_init_dict(kind, &init) {
            let _ = el.dispatch_event(&event);
        }
    }
}

/// Marks the first input of `form` whose name `names` accepts as invalid, described by
/// the element `error_id(name)` (beside what described it already), and moves the focus to
/// it; false when the form has no such input. An input's `data-field` (the API's name for
/// it) counts before its `name`.
pub fn mark_invalid(
    form: &web_sys::Element,
    names: impl Fn(&str) -> bool,
    error_id: impl Fn(&str) -> String,
) -> bool {
    let Ok(list) = form.query_selector_all("[name], [data-field]") else {
        return false;
    };
    let found = (0..list.length())
        .filter_map(|i| list.get(i))
        .filter_map(|node| node.dyn_into::<web_sys::HtmlElement>().ok())
        .find_map(|el| {
            let name = el
                .get_attribute("data-field")
                .or_else(|| el.get_attribute("name"))?;
            names(&name).then_some((el, name))
        });
    let Some((input, name)) = found else {
        return false;
    };
    let error_id = error_id(&name);
    let before = input.get_attribute("aria-describedby").unwrap_or_default();
    let _ = input.set_attribute("data-described-before", &before);
    let _ = input.set_attribute("aria-describedby", format!("{error_id} {before}").trim());
    let _ = input.set_attribute("aria-invalid", "true");
    let _ = input.focus();
    true
}

/// Takes back what [`mark_invalid`] said about `form`'s inputs.
pub fn clear_invalid(form: &web_sys::Element) {
    let Ok(list) = form.query_selector_all("[aria-invalid]") else {
        return;
    };
    for el in (0..list.length())
        .filter_map(|i| list.get(i))
        .filter_map(|node| node.dyn_into::<web_sys::Element>().ok())
    {
        let _ = el.remove_attribute("aria-invalid");
        match el
            .get_attribute("data-described-before")
            .filter(|b| !b.is_empty())
        {
            Some(before) => el.set_attribute("aria-describedby", &before),
            None => el.remove_attribute("aria-describedby"),
        }
        .ok();
        let _ = el.remove_attribute("data-described-before");
    }
}
