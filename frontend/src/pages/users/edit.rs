//! Editing one user, from the user as stored now: whether it may sign in, its groups, its
//! direct permissions, a new password, and its API tokens (seen and revoked by the admin).

use leptos::prelude::*;
use leptos::task::spawn_local;
use relay_types::{ApiToken, Group, PermissionInfo, UpdateUser, User};

use super::people::GroupChecks;
use super::permissions::PermissionChecks;
use crate::api::users as api;
use crate::components::form::{FieldError, FormAction, FormProblem, Submit};
use crate::components::loaded::shown;
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
    shown(stored, move |user| {
        view! {
            <UserForm user=user groups=groups.clone() catalogue=catalogue.clone() editing=editing reload=reload/>
            <UserTokens id=id/>
        }
        .into_any()
    })
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
    let action = FormAction::new();
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
        action.run(async move {
            // One call: the fields, groups and permissions are saved together or not at all.
            let user = api::update(id, &body).await?;
            toasts.success((t.user_saved)(&user.username));
            editing.set(None);
            reload.try_run(());
            Ok(())
        });
    };
    view! {
        <form class="inline-form" on:submit=save node_ref=action.node() data-testid="edit-user">
            <FormProblem action=action/>
            <label class="check"><input type="checkbox" name="is_active" bind:checked=active/> {t.may_sign_in}</label>
            <fieldset class="plain">
                <legend>{t.tab_groups}</legend>
                <GroupChecks groups=groups chosen=chosen/>
                <FieldError action=action name="group_ids"/>
            </fieldset>
            <fieldset class="plain wide">
                <legend>{t.direct_permissions}</legend>
                <PermissionChecks catalogue=catalogue selected=permissions/>
                <FieldError action=action name="permissions"/>
            </fieldset>
            <label>{t.new_password}<input type="password" name="new_password" data-field="password" minlength="12" autocomplete="new-password" bind:value=password/><FieldError action=action name="password"/></label>
            <div class="actions">
                <button type="button" class="secondary" on:click=move |_| editing.set(None)>{t.back}</button>
                <Submit action=action label=t.save/>
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
