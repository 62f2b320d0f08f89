//! "Contenido": what a send sent, as it was sent. The From and subject used, the template,
//! the e-mail column and each variable's column, the attachments (downloadable), and the
//! e-mail as the recipient of a chosen row got it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use relay_types::BulkSend;

use crate::api::{attachments, bulk_sends, templates};
use crate::components::loaded::{listed, shown};
use crate::components::table::Table;
use crate::state::format::number;
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::toasts::use_toasts;

#[component]
pub fn Content(send: BulkSend) -> impl IntoView {
    let t = t();
    let toasts = use_toasts();
    let id = send.id;
    let ids = send.attachment_ids.clone();
    let files = Loaded::new(move || {
        let ids = ids.clone();
        async move {
            let mut found = Vec::with_capacity(ids.len());
            for id in ids {
                found.push(attachments::one(id).await?);
            }
            Ok::<_, crate::api::ApiError>(found)
        }
    });
    let rows = send.counts.total.max(1) as u64;
    let row = RwSignal::new(1u64);
    let template_id = send.template_id.clone();
    let rendered = Loaded::new(move || {
        let (row, template_id) = (row.get(), template_id.clone());
        async move {
            let Some(recipient) = bulk_sends::recipient_at(id, row).await? else {
                return Ok(None);
            };
            let variables = recipient.variables.as_object().cloned().unwrap_or_default();
            let page = templates::preview(&template_id, variables).await?;
            Ok::<_, crate::api::ApiError>(Some((recipient, page)))
        }
    });
    let mapping: Vec<(String, String)> = send.mapping.clone().into_iter().collect();
    let subject = if send.subject.is_empty() {
        None
    } else {
        Some(send.subject.clone())
    };
    view! {
        <section class="panel" data-testid="send-content">
            <dl class="facts">
                <div><dt>{t.from}</dt><dd>{format!("{} <{}>", send.from_name, send.from_email)}</dd></div>
                <div><dt>{t.template}</dt><dd>{format!("{} · {}", send.template_name, send.template_id)}</dd></div>
                <div><dt>{t.email_column}</dt><dd>{send.file.email_column.clone()}</dd></div>
            </dl>
            <h3>{t.variables}</h3>
            {if mapping.is_empty() {
                view! { <p class="muted">{t.columns_by_name}</p> }.into_any()
            } else {
                view! {
                    <Table headers=[t.variable, t.column]>
                        {mapping.into_iter().map(|(variable, column)| view! {
                            <tr><td data-label=t.variable><code>{format!("{{{{{variable}}}}}")}</code></td><td data-label=t.column>{column}</td></tr>
                        }).collect_view()}
                    </Table>
                }.into_any()
            }}
            <h3>{t.attachments}</h3>
            {listed(files, move || view! { <p class="muted">{t.none}</p> }.into_any(), move |list| view! {
                    <ul class="files" data-testid="send-attachments">
                        {list.into_iter().map(|file| {
                            let name = file.name.clone();
                            view! {
                                <li>
                                    <button type="button" class="link" on:click=move |_| {
                                        let file = file.clone();
                                        spawn_local(async move {
                                            if let Err(err) = attachments::download(&file).await {
                                                toasts.error(err.detail);
                                            }
                                        });
                                    }>{name}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any())}
            <h3>{t.as_a_row_gets_it}</h3>
            <label class="inline">
                {t.row}
                <input type="number" name="fila" min="1" max=rows.to_string() prop:value=move || row.get().to_string()
                    on:change=move |ev| {
                        // Asked again only for another row (Enter and leaving the field
                        // both say "change").
                        if let Ok(n) = event_target_value(&ev).parse::<u64>() {
                            let n = n.clamp(1, rows);
                            if row.get_untracked() != n {
                                row.set(n);
                            }
                        }
                    }/>
                <span class="muted">{(t.of_rows)(&number(rows as i64))}</span>
            </label>
            {shown(rendered, move |found| match found {
                None => view! { <p class="muted">{t.no_recipients}</p> }.into_any(),
                Some((recipient, page)) => {
                    let shown_row = [(recipient.row_number, page.html.clone())];
                    view! {
                        <dl class="facts email-head">
                            <div><dt>{t.to}</dt><dd data-testid="content-to">{recipient.email.clone()}</dd></div>
                            <div class="wide"><dt>{t.subject}</dt><dd>{subject.clone().unwrap_or(page.subject.clone())}</dd></div>
                        </dl>
                        // A frame of its own per row: the browser loads each e-mail as a new
                        // document instead of navigating the old frame to the new one.
                        <For each=move || shown_row.clone() key=|(row, _)| *row
                            children=move |(_, html)| view! {
                                <iframe class="email-body" sandbox="" title=t.preview srcdoc=html data-testid="content-preview"></iframe>
                            }/>
                    }.into_any()
                }
            })}
        </section>
    }
}
