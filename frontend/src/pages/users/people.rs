//! The users: search, "Nuevo usuario", and a row per user that opens its editor (`edit.rs`).
//! A superuser can only be changed by a superuser.

use leptos::prelude::*;
use relay_types::{CreateUser, Group, PermissionCode, PermissionInfo, User};

use super::edit::EditUser;
use super::permissions::PermissionChecks;
use crate::api::users as api;
use crate::components::badge::{Badge, Tone};
use crate::components::form::{FieldError, FormAction, FormProblem, Submit};
use crate::components::loaded::{listed, Empty};
use crate::components::search::SearchBox;
use crate::components::table::Table;
use crate::state::format::{datetime, relative};
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

#[component]
pub fn Users(catalogue: Vec<PermissionInfo>, groups: Vec<Group>) -> impl IntoView {
    let t = t();
    let q = RwSignal::new(String::new());
    let list = Loaded::new(move || {
        let q = q.get();
        async move { api::list(&q).await }
    });
    let creating = RwSignal::new(false);
    let reload = Callback::new(move |()| list.refetch());
    let editing = RwSignal::new(None::<i64>);
    let groups = StoredValue::new(groups);
    let catalogue = StoredValue::new(catalogue);
    view! {
        <div class="toolbar">
            <SearchBox value=Signal::derive(move || q.get()) on_search=Callback::new(move |text: String| q.set(text))
                label=t.search placeholder=t.user_search_placeholder/>
            <button class="primary" on:click=move |_| creating.set(true)>"+ " {t.new_user}</button>
        </div>
        <Show when=move || creating.get()>
            <NewUser catalogue=catalogue.get_value() groups=groups.get_value() open=creating reload=reload/>
        </Show>
        {listed(list, move || view! { <Empty text=t.no_users/> }.into_any(), move |page| view! {
                <Table headers=[t.username, t.email, t.tab_groups, t.status, t.last_login, ""]>
                    {page.items.into_iter().map(|user| view! {
                        <UserRow user=user groups=groups.get_value() catalogue=catalogue.get_value() editing=editing reload=reload/>
                    }).collect_view()}
                </Table>
            }.into_any())}
    }
}

#[component]
fn UserRow(
    user: User,
    groups: Vec<Group>,
    catalogue: Vec<PermissionInfo>,
    editing: RwSignal<Option<i64>>,
    reload: Callback<()>,
) -> impl IntoView {
    let t = t();
    let session = use_session();
    let id = user.id;
    let me_super = session
        .me
        .with(|me| me.as_ref().is_some_and(|me| me.user.is_superuser));
    let may_touch = !user.is_superuser || me_super;
    let (tone, label) = if user.is_active {
        (Tone::Green, t.user_active)
    } else {
        (Tone::Grey, t.user_inactive)
    };
    view! {
        <tr data-testid=format!("user-{}", user.username)>
            <td data-label=t.username>{user.username.clone()}
                {user.is_superuser.then(|| view! { <small class="muted block">{t.superuser}</small> })}</td>
            <td data-label=t.email>{user.email.clone()}</td>
            <td data-label=t.tab_groups>{user.groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>().join(", ")}</td>
            <td data-label=t.status><Badge tone=tone text=label/></td>
            <td data-label=t.last_login>{user.last_login_at.as_ref().map(|at| view! { <time title=datetime(at)>{relative(at)}</time> })}</td>
            <td>{if may_touch {
                view! { <button class="secondary" on:click=move |_| editing.set(Some(id))>{t.edit}</button> }.into_any()
            } else {
                view! { <small class="muted">{t.only_superusers}</small> }.into_any()
            }}</td>
        </tr>
        <Show when=move || may_touch && editing.get() == Some(id)>
            <tr class="editing"><td colspan="6">
                <EditUser id=id groups=groups.clone() catalogue=catalogue.clone() editing=editing reload=reload/>
            </td></tr>
        </Show>
    }
}

/// A group can be given when each of its permissions is the admin's own.
#[component]
pub(super) fn GroupChecks(groups: Vec<Group>, chosen: RwSignal<Vec<i64>>) -> impl IntoView {
    let session = use_session();
    groups
        .into_iter()
        .map(|group| {
            let id = group.id;
            let may = group.permissions.iter().all(|p| session.can(*p));
            view! {
                <label class="check">
                    <input type="checkbox" name=format!("group-{}", group.name) disabled=!may
                        prop:checked=move || chosen.with(|c| c.contains(&id))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            chosen.update(|c| { c.retain(|g| *g != id); if on { c.push(id); } });
                        }/>
                    {group.name.clone()}
                </label>
            }
        })
        .collect_view()
}

#[component]
fn NewUser(
    catalogue: Vec<PermissionInfo>,
    groups: Vec<Group>,
    open: RwSignal<bool>,
    reload: Callback<()>,
) -> impl IntoView {
    let t = t();
    let toasts = use_toasts();
    let username = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<i64>::new());
    let permissions = RwSignal::new(Vec::<PermissionCode>::new());
    let action = FormAction::new();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let email = email.get_untracked().trim().to_string();
        let body = CreateUser {
            username: username.get_untracked().trim().to_string(),
            email: (!email.is_empty()).then_some(email),
            password: password.get_untracked(),
            first_name: String::new(),
            last_name: String::new(),
            is_superuser: false,
            is_active: true,
            group_ids: chosen.get_untracked(),
            permissions: permissions.get_untracked(),
        };
        action.run(async move {
            let user = api::create(&body).await?;
            toasts.success((t.user_created)(&user.username));
            open.set(false);
            reload.try_run(());
            Ok(())
        });
    };
    view! {
        <form class="panel inline-form" on:submit=create node_ref=action.node() data-testid="new-user">
            <h2>{t.new_user}</h2>
            <FormProblem action=action/>
            <label>{t.username}<input type="text" name="username" required maxlength="150" bind:value=username/><FieldError action=action name="username"/></label>
            <label>{t.email}<input type="email" name="email" maxlength="254" bind:value=email/><FieldError action=action name="email"/></label>
            <label>{t.password}<input type="password" name="password" required minlength="12" autocomplete="new-password" bind:value=password/><FieldError action=action name="password"/></label>
            <fieldset class="plain"><legend>{t.tab_groups}</legend><GroupChecks groups=groups chosen=chosen/><FieldError action=action name="group_ids"/></fieldset>
            <fieldset class="plain wide"><legend>{t.direct_permissions}</legend><PermissionChecks catalogue=catalogue selected=permissions/><FieldError action=action name="permissions"/></fieldset>
            <div class="actions">
                <button type="button" class="secondary" on:click=move |_| open.set(false)>{t.back}</button>
                <Submit action=action label=t.create_user/>
            </div>
        </form>
    }
}
