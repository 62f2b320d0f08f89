//! "Envíos", the home page: cards per group of statuses (a click filters the list) and the
//! view's e-mails (sent, failed, delivered, opened), the e-mails of the last 30 days as a
//! chart, search (an address searches the sends that wrote to it), status and period
//! filters, "Mis envíos" and the page, all in the URL (`?q=&estado=&periodo=todo&mios=1
//! &pagina=2`), refreshed by itself while anything is sending.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use relay_types::{BulkSendStatus, BulkSummary, Period, PermissionCode, StatusGroup};

use super::is_moving;
use crate::api::bulk_sends::{self, ListFilter, PAGE_SIZE};
use crate::components::badge::BulkBadge;
use crate::components::charts::ColumnChart;
use crate::components::loaded::{failed, loading, Empty};
use crate::components::pager::Pager;
use crate::components::progress::MiniProgress;
use crate::components::search::SearchBox;
use crate::components::table::Table;
use crate::components::when::When;
use crate::state::format::{number, short_date};
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::poll::poll;
use crate::state::session::use_session;
use crate::state::url::set_query_param;

#[component]
pub fn BulkSendList() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let set_param = set_query_param();

    let me = move || session.me.with(|me| me.as_ref().map(|me| me.user.id));
    let filter = Memo::new(move |_| {
        query.with(|q| {
            let text = q.get("q").unwrap_or_default();
            // An address searches the sends that wrote to it.
            let (q_text, recipient) = if text.contains('@') {
                (String::new(), text.trim().to_string())
            } else {
                (text, String::new())
            };
            ListFilter {
                q: q_text,
                recipient,
                status: q
                    .get("estado")
                    .and_then(|s| s.split(',').map(str::parse).collect::<Result<_, _>>().ok())
                    .unwrap_or_default(),
                period: if q.get("periodo").as_deref() == Some("todo") {
                    Period::All
                } else {
                    Period::CurrentMonth
                },
                page: q.get("pagina").and_then(|p| p.parse().ok()).unwrap_or(1),
                created_by: (q.get("mios").as_deref() == Some("1")).then(me).flatten(),
            }
        })
    });
    let search_text = Signal::derive(move || query.with(|q| q.get("q").unwrap_or_default()));
    let data = Loaded::new(move || {
        let filter = filter.get();
        async move {
            let (page, summary) =
                futures::join!(bulk_sends::list(&filter), bulk_sends::summary(&filter));
            (page, summary)
        }
    });
    // The chart follows the filters but not the polling: the days change slowly.
    let activity = Loaded::new(move || {
        let filter = filter.get();
        async move { bulk_sends::activity(&filter).await }
    });
    poll(
        move || {
            // Something sending on this page, or anywhere in the view (the cards).
            data.with_untracked(|d| {
                d.as_ref().is_some_and(|(page, summary)| {
                    page.as_ref()
                        .is_ok_and(|page| page.items.iter().any(|b| is_moving(b.status)))
                        || summary.as_ref().is_ok_and(|s| s.in_progress > 0)
                })
            })
        },
        move || data.refetch(),
    );

    let t = t();
    let on_search = {
        let set_param = set_param.clone();
        Callback::new(move |text: String| set_param("q", text.trim().to_string(), true))
    };
    let on_status = {
        let set_param = set_param.clone();
        move |ev: leptos::ev::Event| set_param("estado", event_target_value(&ev), true)
    };
    let on_period = {
        let set_param = set_param.clone();
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            set_param(
                "periodo",
                if value == Period::All.as_str() {
                    "todo".into()
                } else {
                    String::new()
                },
                true,
            )
        }
    };
    let on_mine = {
        let set_param = set_param.clone();
        move |ev: leptos::ev::Event| {
            set_param(
                "mios",
                if event_target_checked(&ev) {
                    "1".into()
                } else {
                    String::new()
                },
                true,
            )
        }
    };
    let on_card = {
        let set_param = set_param.clone();
        Callback::new(move |statuses: String| set_param("estado", statuses, true))
    };
    let on_page = Callback::new(move |page: u64| set_param("pagina", page.to_string(), false));

    view! {
        <section class="page">
            <header class="page-head">
                <div>
                    <h1>{t.nav_bulk_sends}</h1>
                    <p class="subtitle">{t.bulk_list_subtitle}</p>
                </div>
                <Show when=move || session.can(PermissionCode::BulkSendsOperate)>
                    <A href="/envios/nuevo" attr:class="button primary">"+ " {t.nav_new_bulk_send}</A>
                </Show>
            </header>
            {move || data.get().map(|(_, summary)| view! {
                <Cards summary=summary.unwrap_or_default() active=filter.with(ListFilter::status_spelled) on_card=on_card/>
            })}
            {move || activity.get().and_then(Result::ok).map(|days| {
                let points = days.iter().map(|d| (short_date(&d.day), d.sent)).collect::<Vec<_>>();
                view! { <ColumnChart title=t.emails_last_30_days points=points/> }
            })}
            <div class="toolbar">
                <SearchBox value=search_text on_search=on_search
                    label=t.search placeholder=t.bulk_search_placeholder/>
                <label>
                    <span class="visually-hidden">{t.status}</span>
                    <select on:change=on_status prop:value=move || filter.with(ListFilter::status_spelled)>
                        <option value="">{t.all_statuses}</option>
                        // A card's group shows as itself.
                        {move || filter.with(|f| f.status.len() > 1)
                            .then(|| view! { <option value=filter.with(ListFilter::status_spelled)>{t.status_group_chosen}</option> })}
                        {BulkSendStatus::ALL
                            .iter()
                            .map(|s| view! { <option value=s.as_str()>{(t.bulk_status)(*s)}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    <span class="visually-hidden">{t.period}</span>
                    <select on:change=on_period prop:value=move || filter.with(|f| f.period.as_str())>
                        <option value=Period::CurrentMonth.as_str()>{t.current_month}</option>
                        <option value=Period::All.as_str()>{t.all_time}</option>
                    </select>
                </label>
                <label class="check">
                    <input type="checkbox" name="mios" prop:checked=move || filter.with(|f| f.created_by.is_some()) on:change=on_mine/>
                    {t.my_sends}
                </label>
            </div>
            {move || match data.get().map(|(page, _)| page) {
                None => loading(),
                // The list and the cards are asked together: their figures agree.
                Some(Err(err)) => failed(err, move || data.refetch()),
                Some(Ok(page)) if page.items.is_empty() => view! {
                    <Empty text=if filter.with(|f| f.q.is_empty() && f.recipient.is_empty() && f.status.is_empty() && f.created_by.is_none()) { t.no_bulk_sends } else { t.no_matches }>
                        <Show when=move || session.can(PermissionCode::BulkSendsOperate)>
                            <A href="/envios/nuevo">{t.create_first}</A>
                        </Show>
                    </Empty>
                }.into_any(),
                Some(Ok(page)) => {
                    let total = page.total;
                    view! {
                        <Table headers=["ID", t.template, t.subject, t.status, t.recipients, t.progress, t.created]>
                            {page.items.into_iter().map(|b| {
                                let href = format!("/envios/{}", b.id);
                                view! {
                                    <tr>
                                        <td data-label="ID" class="num"><A href=href.clone()>{b.id}</A></td>
                                        <td data-label=t.template><A href=href>{b.template_name.clone()}</A></td>
                                        <td data-label=t.subject>{if b.subject.is_empty() { "—".to_string() } else { b.subject.clone() }}</td>
                                        <td data-label=t.status><BulkBadge status=b.status/></td>
                                        <td data-label=t.recipients class="num">{number(b.counts.valid)}</td>
                                        <td data-label=t.progress><MiniProgress counts=b.counts.clone()/></td>
                                        <td data-label=t.created><When at=b.created_at/></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </Table>
                        <Pager page=Signal::derive(move || filter.with(|f| f.page)) total=total page_size=PAGE_SIZE on_page=on_page/>
                    }.into_any()
                }
            }}
        </section>
    }
}

/// The groups of sends (a click shows only them; again, all) and the view's e-mails.
#[component]
fn Cards(summary: BulkSummary, active: String, on_card: Callback<String>) -> impl IntoView {
    let t = t();
    let groups = [
        (t.card_total, summary.total, String::new()),
        (
            t.card_scheduled,
            summary.scheduled,
            StatusGroup::Scheduled.filter(),
        ),
        (
            t.card_in_progress,
            summary.in_progress,
            StatusGroup::InProgress.filter(),
        ),
        (
            t.card_finished,
            summary.finished,
            StatusGroup::Finished.filter(),
        ),
        (
            t.card_with_errors,
            summary.with_errors,
            StatusGroup::WithErrors.filter(),
        ),
    ];
    let emails = [
        (t.card_emails_sent, summary.emails.sent),
        (t.card_emails_failed, summary.emails.failed),
        (t.card_emails_delivered, summary.emails.delivered),
        (t.card_emails_opened, summary.emails.opened),
    ];
    view! {
        <ul class="cards" data-testid="send-cards">
            {groups.into_iter().map(|(label, n, statuses)| {
                let pressed = active == statuses;
                let next = if pressed { String::new() } else { statuses };
                view! {
                    <li>
                        <button type="button" class="stat" aria-pressed=pressed.to_string() on:click=move |_| on_card.run(next.clone())>
                            <span class="stat-label">{label}</span><strong class="stat-value">{number(n)}</strong>
                        </button>
                    </li>
                }
            }).collect_view()}
        </ul>
        <ul class="cards emails" data-testid="email-cards">
            {emails.into_iter().map(|(label, n)| view! {
                <li class="stat"><span class="stat-label">{label}</span><strong class="stat-value">{number(n)}</strong></li>
            }).collect_view()}
        </ul>
    }
}
