//! The From of a send or a message. The first option is what the API uses when nothing is
//! chosen: the user's own active identity, else the deployment's default ("Mi remitente:
//! …"); then the other identities the user may choose (every one for `senders.manage`).

use leptos::prelude::*;

use crate::api::senders;
use crate::components::loaded::failed;
use crate::state::i18n::t;
use crate::state::loaded::Loaded;

/// `label`, when given, follows the chosen option's text ("Equipo Cobranza
/// <cobranzas@…>"), for pages that show the From elsewhere.
#[component]
pub fn SenderSelect(
    value: RwSignal<String>,
    #[prop(optional)] label: Option<RwSignal<String>>,
) -> impl IntoView {
    let t = t();
    let usable = Loaded::new(senders::usable);
    let mine = Loaded::new(senders::mine);
    if let Some(label) = label {
        Effect::new(move |_| {
            let chosen = value.get();
            let text = if chosen.is_empty() {
                mine.get()
                    .and_then(Result::ok)
                    .map(|m| format!("{} <{}>", m.effective_from_name, m.effective_from_email))
            } else {
                usable.get().and_then(Result::ok).and_then(|list| {
                    list.items
                        .into_iter()
                        .find(|s| s.id.to_string() == chosen)
                        .map(|s| format!("{} <{}>", s.from_name, s.from_email))
                })
            };
            label.set(text.unwrap_or_default());
        });
    }
    let own_id = move || {
        mine.with_untracked(|m| {
            m.as_ref()
                .and_then(|m| m.as_ref().ok())
                .and_then(|m| m.sender.as_ref().map(|s| s.id))
        })
    };
    view! {
        <label>
            {t.sender}
            <select name="sender_id" prop:value=move || value.get() on:change=move |ev| value.set(event_target_value(&ev))>
                {move || mine.get().and_then(Result::ok).map(|mine| view! {
                    <option value="">{(t.my_effective_sender)(&mine.effective_from_name, &mine.effective_from_email)}</option>
                })}
                {move || usable.get().and_then(Result::ok).map(|list| {
                    let own = own_id();
                    list.items.into_iter().filter(|s| Some(s.id) != own)
                        .map(|s| view! { <option value=s.id.to_string()>{s.label.clone()}</option> })
                        .collect_view()
                })}
            </select>
        </label>
        {move || usable.get().and_then(Result::err).map(|err| failed(err, move || usable.refetch()))}
    }
}
