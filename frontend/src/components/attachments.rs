//! Choosing a send's or a message's attachments: upload a file, or pick one uploaded
//! earlier (the newest 100 the user may use); the chosen ones show as chips to remove. At
//! most `ATTACHMENTS_PER_MESSAGE_MAX`, as the API takes.

use leptos::prelude::*;
use leptos::task::spawn_local;
use relay_types::limits::ATTACHMENTS_PER_MESSAGE_MAX;
use relay_types::Attachment;
use wasm_bindgen::JsCast;

use crate::api::attachments;
use crate::state::format::bytes;
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::toasts::use_toasts;

#[component]
pub fn AttachmentPicker(chosen: RwSignal<Vec<Attachment>>) -> impl IntoView {
    let t = t();
    let toasts = use_toasts();
    let uploading = RwSignal::new(false);
    // The API takes at most this many; past it, nothing more is offered.
    let full = move || chosen.with(|c| c.len() >= ATTACHMENTS_PER_MESSAGE_MAX);
    let earlier = Loaded::new(attachments::choices);
    let upload = move |ev: leptos::ev::Event| {
        let input = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        let Some(file) = input
            .as_ref()
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
        else {
            return;
        };
        if let Some(input) = input {
            input.set_value("");
        }
        uploading.set(true);
        spawn_local(async move {
            match attachments::upload_file(&file).await {
                Ok(attachment) => chosen.update(|list| list.push(attachment)),
                Err(err) => toasts.error(err.detail),
            }
            uploading.set(false);
        });
    };
    let pick = move |ev: leptos::ev::Event| {
        let Ok(id) = event_target_value(&ev).parse::<i64>() else {
            return;
        };
        let found = earlier.with_untracked(|list| {
            list.as_ref()
                .and_then(|r| r.as_ref().ok())
                .and_then(|page| page.items.iter().find(|a| a.id == id).cloned())
        });
        if let Some(attachment) = found {
            chosen.update(|list| list.push(attachment));
        }
    };
    view! {
        <div class="attachment-picker">
            <label>
                {t.attachments}
                <input type="file" name="attachment" on:change=upload disabled=move || uploading.get() || full()/>
                <Show when=move || uploading.get()><small class="muted" aria-live="polite">{t.uploading}</small></Show>
            </label>
            {move || earlier.get().and_then(Result::ok).filter(|page| !page.items.is_empty()).map(|page| view! {
                <label>
                    {t.attachment_pick_earlier}
                    <select name="earlier_attachment" on:change=pick prop:value="" disabled=full>
                        <option value="">"—"</option>
                        {page.items.into_iter()
                            .filter(|a| chosen.with(|c| c.iter().all(|x| x.id != a.id)))
                            .map(|a| view! { <option value=a.id.to_string()>{format!("{} ({})", a.name, bytes(a.size_bytes))}</option> })
                            .collect_view()}
                    </select>
                </label>
            })}
            <Show when=full><p class="muted" data-testid="attachments-full">{(t.attachments_full)(ATTACHMENTS_PER_MESSAGE_MAX)}</p></Show>
            <ul class="chips" data-testid="chosen-attachments">
                {move || chosen.get().into_iter().map(|a| {
                    let id = a.id;
                    view! { <li>{a.name.clone()} <button type="button" class="link" aria-label=t.remove
                        on:click=move |_| chosen.update(|list| list.retain(|x| x.id != id))>"×"</button></li> }
                }).collect_view()}
            </ul>
        </div>
    }
}
