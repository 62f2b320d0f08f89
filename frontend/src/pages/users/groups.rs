//! The groups: their permissions in plain words and how many members; creating, changing
//! permissions and deleting (with a confirm).

use leptos::prelude::*;
use leptos::task::spawn_local;
use relay_types::{CreateGroup, Group, PermissionCode, PermissionInfo, UpdateGroup};

use super::permissions::PermissionChecks;
use crate::api::users as api;
use crate::components::confirm::Confirm;
use crate::components::form::{FieldError, FormAction, FormProblem, Submit};
use crate::state::i18n::t;
use crate::state::toasts::use_toasts;

#[component]
pub fn Groups(
    catalogue: Vec<PermissionInfo>,
    groups: Vec<Group>,
    reload: Callback<()>,
) -> impl IntoView {
    let t = t();
    let toasts = use_toasts();
    let name = RwSignal::new(String::new());
    let permissions = RwSignal::new(Vec::<PermissionCode>::new());
    let action = FormAction::new();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateGroup {
            name: name.get_untracked().trim().to_string(),
            permissions: permissions.get_untracked(),
        };
        action.run(async move {
            let group = api::create_group(&body).await?;
            toasts.success((t.group_saved)(&group.name));
            name.set(String::new());
            permissions.set(Vec::new());
            reload.try_run(());
            Ok(())
        });
    };
    let cards = groups
        .into_iter()
        .map(|group| view! { <GroupCard group=group catalogue=catalogue.clone() reload=reload/> })
        .collect_view();
    view! {
        <div class="group-grid">{cards}</div>
        <form class="panel inline-form" on:submit=create node_ref=action.node() data-testid="new-group">
            <h2>{t.new_group}</h2>
            <FormProblem action=action/>
            <label>{t.group_name}<input type="text" name="group_name" data-field="name" required maxlength="150" bind:value=name/><FieldError action=action name="name"/></label>
            <fieldset class="plain wide"><legend>{t.permissions}</legend><PermissionChecks catalogue=catalogue selected=permissions/><FieldError action=action name="permissions"/></fieldset>
            <div class="actions"><Submit action=action label=t.create_group/></div>
        </form>
    }
}

#[component]
fn GroupCard(group: Group, catalogue: Vec<PermissionInfo>, reload: Callback<()>) -> impl IntoView {
    let t = t();
    let toasts = use_toasts();
    let id = group.id;
    let selected = RwSignal::new(group.permissions.clone());
    let confirm = RwSignal::new(false);
    let save = move |_| {
        let body = UpdateGroup {
            name: None,
            permissions: Some(selected.get_untracked()),
        };
        spawn_local(async move {
            match api::update_group(id, &body).await {
                Ok(group) => toasts.success((t.group_saved)(&group.name)),
                Err(err) => toasts.error(err.detail),
            }
            reload.try_run(());
        });
    };
    let delete = Callback::new(move |()| {
        spawn_local(async move {
            match api::delete_group(id).await {
                Ok(()) => toasts.success(t.group_deleted),
                Err(err) => toasts.error(err.detail),
            }
            reload.try_run(());
        });
    });
    let name = group.name.clone();
    view! {
        <section class="panel" data-testid=format!("group-{}", group.name)>
            <h2>{group.name.clone()} " " <small class="muted">{(t.members)(group.member_count)}</small></h2>
            <PermissionChecks catalogue=catalogue selected=selected/>
            <div class="actions">
                <button class="primary" on:click=save>{t.save}</button>
                <button class="danger" on:click=move |_| confirm.set(true)>{t.delete}</button>
            </div>
            <Confirm open=confirm title=t.delete text=(t.delete_group_explained)(&name) confirm=t.delete danger=true on_confirm=delete/>
        </section>
    }
}
