//! A list of API tokens: name, prefix, state, created, last use, expiry, and "Revocar" on
//! the active ones, which asks first. Whose tokens they are, and how one is revoked (one's
//! own, or an admin revoking a user's), is the caller's: `revoke` receives the token.

use leptos::prelude::*;
use relay_types::ApiToken;

use crate::api::ApiResult;
use crate::components::badge::{Badge, Tone};
use crate::components::confirm::Confirm;
use crate::components::loaded::{listed, Empty};
use crate::components::table::Table;
use crate::state::format::{datetime, is_past, relative};
use crate::state::i18n::t;
use crate::state::loaded::Loaded;

fn tone_and_label(token: &ApiToken) -> (Tone, &'static str) {
    let t = t();
    if token.revoked_at.is_some() {
        (Tone::Grey, t.token_revoked)
    } else if token.expires_at.as_ref().is_some_and(is_past) {
        (Tone::Amber, t.token_expired)
    } else {
        (Tone::Green, t.token_active)
    }
}

#[component]
pub fn TokenList(
    list: Loaded<ApiResult<Vec<ApiToken>>>,
    revoke: Callback<ApiToken>,
) -> impl IntoView {
    let t = t();
    let revoking = RwSignal::new(None::<ApiToken>);
    let confirm_open = RwSignal::new(false);
    let confirmed = Callback::new(move |()| {
        if let Some(token) = revoking.get_untracked() {
            revoke.run(token);
        }
    });
    view! {
        {listed(list, move || view! { <Empty text=t.no_tokens/> }.into_any(), move |items| view! {
                <Table headers=[t.token_name, t.token_prefix, t.status, t.created, t.last_used, t.token_expires, ""]>
                    {items.into_iter().map(|token| {
                        let (tone, label) = tone_and_label(&token);
                        let active = token.revoked_at.is_none();
                        let ask = token.clone();
                        view! {
                            <tr>
                                <td data-label=t.token_name>{token.name.clone()}</td>
                                <td data-label=t.token_prefix><code>{format!("{}…", token.prefix)}</code></td>
                                <td data-label=t.status><Badge tone=tone text=label/></td>
                                <td data-label=t.created><time title=datetime(&token.created_at)>{relative(&token.created_at)}</time></td>
                                <td data-label=t.last_used>{match &token.last_used_at {
                                    Some(at) => view! { <time title=datetime(at)>{relative(at)}</time> }.into_any(),
                                    None => view! { <span class="muted">{t.never_used}</span> }.into_any(),
                                }}</td>
                                <td data-label=t.token_expires>{match &token.expires_at {
                                    Some(at) => datetime(at),
                                    None => t.never.to_string(),
                                }}</td>
                                <td>{active.then(|| view! {
                                    <button type="button" class="secondary"
                                        on:click=move |_| { revoking.set(Some(ask.clone())); confirm_open.set(true); }>{t.revoke}</button>
                                })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </Table>
            }.into_any())}
        <Confirm open=confirm_open title=t.revoke
            text=move || (t.revoke_explained)(&revoking.with(|r| r.as_ref().map(|r| r.name.clone()).unwrap_or_default()))
            confirm=t.revoke danger=true on_confirm=confirmed/>
    }
}
