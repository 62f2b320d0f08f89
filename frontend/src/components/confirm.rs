//! A destructive action asks first and says what will happen.

use leptos::prelude::*;

use crate::state::i18n::t;

#[component]
pub fn Confirm(
    open: RwSignal<bool>,
    #[prop(into)] title: TextProp,
    #[prop(into)] text: TextProp,
    #[prop(into)] confirm: TextProp,
    #[prop(into)] on_confirm: Callback<()>,
    #[prop(optional)] danger: bool,
) -> impl IntoView {
    // The focus starts on the safe choice: Enter on an opened dialog never destroys.
    let back_ref = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if open.get() {
            if let Some(button) = back_ref.get() {
                let _ = button.focus();
            }
        }
    });
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            open.set(false);
        }
    };
    let title_id = "confirm-title";
    view! {
        <Show when=move || open.get()>
            <div class="overlay" on:keydown=on_key>
                <div class="dialog" role="alertdialog" aria-modal="true" aria-labelledby=title_id>
                    <h2 id=title_id>{let title = title.clone(); move || title.get()}</h2>
                    <p>{let text = text.clone(); move || text.get()}</p>
                    <div class="actions">
                        <button class="secondary" node_ref=back_ref on:click=move |_| open.set(false)>{t().back}</button>
                        <button class:danger=danger
                            on:click=move |_| { open.set(false); on_confirm.run(()); }>
                            {let confirm = confirm.clone(); move || confirm.get()}
                        </button>
                    </div>
                </div>
            </div>
        </Show>
    }
}
