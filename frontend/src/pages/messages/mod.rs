//! "Mensajes" (for `messages.send`): single messages, outside any campaign. The history
//! with search, state and a period of local days (all in the URL), "Nuevo mensaje", and
//! each message's page with its body and the decision an ambiguous one needs.

mod compose;
mod detail;

pub use compose::NewMessage;
pub use detail::MessageDetail;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use relay_types::MessageStatus;

use crate::api::messages::{self as api, MessageFilter};
use crate::api::spelled;
use crate::components::badge::{message_tone, Badge};
use crate::components::loaded::{listed, Empty};
use crate::components::pager::Pager;
use crate::components::search::SearchBox;
use crate::components::table::Table;
use crate::state::format::{datetime, parse_day, relative};
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::url::{set_query_param, typed};

#[component]
pub fn MessageList() -> impl IntoView {
    let t = t();
    let query = use_query_map();
    let set_param = set_query_param();
    let filter = Memo::new(move |_| {
        query.with(|q| {
            let day = |key: &str| {
                q.get(key)
                    .filter(|d| parse_day(d).is_some())
                    .unwrap_or_default()
            };
            MessageFilter {
                q: q.get("q").unwrap_or_default(),
                status: typed(q.get("estado")),
                date_from: day("desde"),
                date_to: day("hasta"),
                page: q
                    .get("pagina")
                    .and_then(|p| p.parse::<u64>().ok())
                    .unwrap_or(1),
            }
        })
    });
    let list = Loaded::new(move || {
        let filter = filter.get();
        async move { api::list(&filter).await }
    });
    let param = {
        let set_param = set_param.clone();
        move |key: &'static str| {
            let set_param = set_param.clone();
            move |ev: leptos::ev::Event| set_param(key, event_target_value(&ev), true)
        }
    };
    let on_search = {
        let set_param = set_param.clone();
        Callback::new(move |text: String| set_param("q", text.trim().to_string(), true))
    };
    let on_page = Callback::new(move |n: u64| set_param("pagina", n.to_string(), false));

    view! {
        <section class="page">
            <header class="page-head">
                <div>
                    <h1>{t.nav_messages}</h1>
                    <p class="subtitle">{t.messages_subtitle}</p>
                </div>
                <A href="/mensajes/nuevo" attr:class="button primary">"+ " {t.new_message}</A>
            </header>
            <div class="toolbar">
                <SearchBox value=Signal::derive(move || filter.with(|f| f.q.clone())) on_search=on_search
                    label=t.search placeholder=t.message_search_placeholder/>
                <label>
                    <span class="visually-hidden">{t.status}</span>
                    <select on:change=param("estado") prop:value=move || filter.with(|f| spelled(&f.status))>
                        <option value="">{t.all_statuses}</option>
                        {MessageStatus::ALL.iter().map(|s| view! { <option value=s.as_str()>{(t.message_status_label)(*s)}</option> }).collect_view()}
                    </select>
                </label>
                <label>{t.date_from}
                    <input type="date" name="desde" on:change=param("desde") prop:value=move || filter.with(|f| f.date_from.clone())/>
                </label>
                <label>{t.date_to}
                    <input type="date" name="hasta" on:change=param("hasta") prop:value=move || filter.with(|f| f.date_to.clone())/>
                </label>
            </div>
            {listed(list, move || view! {
                    <Empty text=t.no_messages><A href="/mensajes/nuevo">{t.new_message}</A></Empty>
                }.into_any(), move |found| {
                    let total = found.total;
                    view! {
                        <Table headers=["ID", t.subject, t.message_to, t.sender, t.status, t.created]>
                            {found.items.into_iter().map(|message| view! {
                                <tr data-testid=format!("message-{}", message.id)>
                                    <td data-label="ID"><A href=format!("/mensajes/{}", message.id)>{message.id}</A></td>
                                    <td data-label=t.subject><A href=format!("/mensajes/{}", message.id)>{message.subject.clone()}</A></td>
                                    <td data-label=t.message_to>{message.to.join(", ")}</td>
                                    <td data-label=t.sender>{message.from_email.clone()}</td>
                                    <td data-label=t.status><Badge tone=message_tone(message.status) text=(t.message_status_label)(message.status)/></td>
                                    <td data-label=t.created><time title=datetime(&message.created_at)>{relative(&message.created_at)}</time></td>
                                </tr>
                            }).collect_view()}
                        </Table>
                        <Pager page=Signal::derive(move || filter.with(|f| f.page)) total=total page_size=20 on_page=on_page/>
                    }.into_any()
            })}
        </section>
    }
}
