//! Editing one user, from the user as stored now: whether it may sign in, its groups, its
//! direct permissions, a new password, and its API tokens (seen and revoked by the admin).

use leptos::prelude::*;
use leptos::task::spawn_local;
use relay_types::{ApiToken, Group, PermissionInfo, UpdateUser, User};

use super::people::GroupChecks;
use super::permissions::PermissionChecks;
use crate::api::users as api;
use crate::components::table::{failed, loading};
use crate::components::token_list::TokenList;
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::toasts::use_toasts;

#[component]
pub fn EditUser(
    id: i64,
    groups: Vec<Group>,
    catalogue: Vec<PermissionInfo>,
    editing: RwSignal<Option<i64>>,
    reload: Callback<()>,
) -> impl IntoView {
    let stored = Loaded::new(move || api::one(id));
    move || {
        match stored.get() {
        None => loading(),
        Some(Err(err)) => failed(err),
        Some(Ok(user)) => view! {
            <UserForm user=user groups=groups.clone() catalogue=catalogue.clone() editing=editing reload=reload/>
            <UserTokens id=id/>
        }
        .into_any(),
    }
    }
}

#[component]
fn UserForm(
    user: User,
    groups: Vec<Group>,
    catalogue: Vec<PermissionInfo>,
    editing: RwSignal<Option<i64>>,
    reload: Callback<()>,
) -> impl IntoView {
    let t = t();
    let toasts = use_toasts();
    let id = user.id;
    let active = RwSignal::new(user.is_active);
    let chosen = RwSignal::new(user.groups.iter().map(|g| g.id).collect::<Vec<_>>());
    let permissions = RwSignal::new(user.permissions.clone());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new_password = password.get_untracked();
        let body = UpdateUser {
            is_active: Some(active.get_untracked()),
            password: (!new_password.is_empty()).then_some(new_password),
            group_ids: Some(chosen.get_untracked()),
            permissions: Some(permissions.get_untracked()),
            ..UpdateUser::default()
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            // One call: the fields, groups and permissions are saved together or not at all.
            let outcome = api::update(id, &body).await;
            match outcome {
                Ok(user) => {
                    toasts.success((t.user_saved)(&user.username));
                    editing.set(None);
                    reload.try_run(());
                }
                Err(err) => error.set(Some(err.detail)),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="inline-form" on:submit=save data-testid="edit-user">
            <label class="check"><input type="checkbox" name="is_active" bind:checked=active/> {t.may_sign_in}</label>
            <fieldset class="plain">
                <legend>{t.tab_groups}</legend>
                <GroupChecks groups=groups chosen=chosen/>
            </fieldset>
            <fieldset class="plain wide">
                <legend>{t.direct_permissions}</legend>
                <PermissionChecks catalogue=catalogue selected=permissions/>
            </fieldset>
            <label>{t.new_password}<input type="password" name="new_password" minlength="12" autocomplete="new-password" bind:value=password/></label>
            {move || error.get().map(|text| view! { <p class="error" role="alert">{text}</p> })}
            <div class="actions">
                <button type="button" class="secondary" on:click=move |_| editing.set(None)>{t.back}</button>
                <button type="submit" class="primary" disabled=move || busy.get()>{t.save}</button>
            </div>
        </form>
    }
}

/// The user's tokens: an admin revokes one a script should no longer use (a leaked one,
/// a departed colleague's).
#[component]
fn UserTokens(id: i64) -> impl IntoView {
    let t = t();
    let toasts = use_toasts();
    let list = Loaded::new(move || api::tokens(id));
    let revoke = Callback::new(move |token: ApiToken| {
        spawn_local(async move {
            match api::revoke_token(id, token.id).await {
                Ok(()) => toasts.success((t.token_revoked_toast)(&token.name)),
                Err(err) => toasts.error(err.detail),
            }
            list.refetch();
        });
    });
    view! {
        <section class="user-tokens" data-testid="user-tokens">
            <h3>{t.nav_tokens}</h3>
            <TokenList list=list revoke=revoke/>
        </section>
    }
}
