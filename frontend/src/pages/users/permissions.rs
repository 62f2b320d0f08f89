//! The permission catalogue as checkboxes, each by its plain-words description (the code
//! beside it, small). Only the
//! permissions the admin holds can be given; others already there show, checked and locked.

use leptos::prelude::*;
use relay_types::{PermissionCode, PermissionInfo};

use crate::state::i18n::{current, Lang};
use crate::state::session::use_session;

#[component]
pub fn PermissionChecks(
    catalogue: Vec<PermissionInfo>,
    selected: RwSignal<Vec<PermissionCode>>,
) -> impl IntoView {
    let session = use_session();
    catalogue
        .into_iter()
        .map(|info| {
            let code = info.code;
            let own = session.can(code);
            let description = match current() {
                Lang::Es => info.description_es.clone(),
                Lang::En => info.description_en.clone(),
            };
            let shown = move || own || selected.with(|s| s.contains(&code));
            view! {
                <Show when=shown>
                    <label class="check permission">
                        <input type="checkbox" name=code.as_str() disabled=!own
                            prop:checked=move || selected.with(|s| s.contains(&code))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                selected.update(|s| {
                                    s.retain(|p| *p != code);
                                    if on { s.push(code); }
                                });
                            }/>
                        // The plain words first; the code, for those who script, after.
                        <span>{description.clone()} <small class="muted block"><code>{code.as_str()}</code></small></span>
                    </label>
                </Show>
            }
        })
        .collect_view()
}
