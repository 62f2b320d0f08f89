//! "Usuarios y grupos" (for `users.manage`): users with their groups, state and password,
//! and groups with their permissions explained in plain words. What the API forbids is not
//! offered: only permissions the admin holds, and superusers only to superusers.

mod edit;
mod groups;
mod people;
mod permissions;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::users as api;
use crate::components::loaded::{failed, loading};
use crate::components::tabs::Tabs;
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::url::set_query_param;

#[component]
pub fn UsersAndGroups() -> impl IntoView {
    let t = t();
    let query = use_query_map();
    let set_param = set_query_param();
    let tab = Memo::new(move |_| {
        let asked = query.with(|q| q.get("pestana")).unwrap_or_default();
        if asked == "grupos" {
            asked
        } else {
            String::new()
        }
    });
    let catalogue = Loaded::new(api::permissions);
    let groups = Loaded::new(api::groups);
    // Opening "Grupos" reads them again: members added from "Usuarios" count at once.
    Effect::new(move |previous: Option<String>| {
        let now = tab.get();
        if previous.is_some_and(|p| p != now) && now == "grupos" {
            groups.refetch();
        }
        now
    });
    view! {
        <section class="page">
            <header class="page-head">
                <div>
                    <h1>{t.nav_users}</h1>
                    <p class="subtitle">{t.users_subtitle}</p>
                </div>
            </header>
            <Tabs tabs=Signal::derive(move || vec![("", t.tab_users), ("grupos", t.tab_groups)])
                current=tab
                choose=Callback::new(move |key: &'static str| set_param("pestana", key.to_string(), false))
                label=t.nav_users>
            // Drawn once both lists are in: drawing earlier and again on arrival would
            // close a form opened meanwhile.
            {move || match (catalogue.get(), groups.get()) {
                (Some(Err(err)), _) | (_, Some(Err(err))) => failed(err, move || {
                    catalogue.refetch();
                    groups.refetch();
                }),
                (Some(Ok(catalogue)), Some(Ok(groups_now))) => {
                    let reload_groups = Callback::new(move |()| groups.refetch());
                    if tab.get() == "grupos" {
                        view! { <groups::Groups catalogue=catalogue groups=groups_now reload=reload_groups/> }.into_any()
                    } else {
                        view! { <people::Users catalogue=catalogue groups=groups_now/> }.into_any()
                    }
                }
                _ => loading(),
            }}
            </Tabs>
        </section>
    }
}
