//! 2 Destinatarios: the CSV drop zone, the e-mail column (found by the API, or chosen), and
//! what the importer concludes about the file.

use std::collections::BTreeMap;

use leptos::prelude::*;
use relay_types::{CsvPreview, ErrorCode, ValidationStatus};
use wasm_bindgen::JsCast;
use web_sys::File;

use super::{refresh_preview, Form, PreviewStatus};
use crate::components::badge::{validation_tone, Badge};
use crate::components::table::Table;
use crate::state::browser::save_bytes;
use crate::state::format::number;
use crate::state::i18n::t;

#[component]
pub(super) fn RecipientsSection(form: Form) -> impl IntoView {
    let t = t();
    let status = expect_context::<PreviewStatus>().0;
    let dragging = RwSignal::new(false);
    // A new file starts afresh: no old error, column or mapping.
    let take = move |file: Option<File>| {
        if let Some(file) = file {
            status.set(None);
            form.preview.set(None);
            form.mapping.set(BTreeMap::new());
            form.email_column.set(String::new());
            form.wanted_file.set(None);
            form.file.set(Some(file));
            refresh_preview(form, status);
        }
    };
    let on_change = move |ev: leptos::ev::Event| {
        let input = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        take(input.and_then(|i| i.files()).and_then(|files| files.get(0)));
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        take(
            ev.data_transfer()
                .and_then(|d| d.files())
                .and_then(|files| files.get(0)),
        );
    };
    view! {
        <fieldset class="panel step">
            <legend><span class="step-n">"2"</span> {t.recipients_csv}</legend>
            <label class="dropzone" class:dragging=move || dragging.get()
                on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop>
                <span class="drop-text">{move || form.file.with(|f| f.as_ref().map(File::name)).unwrap_or_else(|| t.drop_csv.to_string())}</span>
                <input type="file" name="recipients_file" accept=".csv,text/csv,.txt" on:change=on_change/>
            </label>
            // A reload kept the form but not the file: it is asked for again by name.
            {move || form.wanted_file.get().filter(|_| form.file.with(Option::is_none)).map(|name| view! {
                <p class="notice" data-testid="choose-file-again">{(t.choose_file_again)(&name)}</p>
            })}
            {move || status.get().map(|text| view! { <p class="muted" role="status">{text}</p> })}
            {move || form.preview.get().map(|preview| view! {
                <EmailColumn form=form preview=preview.clone()/>
                <PreviewSummary preview=preview/>
            })}
        </fieldset>
    }
}

/// "Columna del correo": the column the API reads as the address, changeable; the columns
/// whose values look like addresses are marked.
#[component]
fn EmailColumn(form: Form, preview: CsvPreview) -> impl IntoView {
    let t = t();
    let status = expect_context::<PreviewStatus>().0;
    let columns: Vec<String> = preview
        .headers
        .iter()
        .filter(|h| !h.is_empty())
        .cloned()
        .collect();
    if columns.is_empty() {
        return ().into_any();
    }
    let chosen = preview.email_column.clone();
    let candidates = preview.email_candidates.clone();
    let needs_choice = preview.problem.as_ref().is_some_and(|p| {
        p.field == "email_column" || p.code == ErrorCode::EmailColumnMissing.as_str()
    });
    view! {
        <label class:missing=needs_choice>
            {t.email_column}
            <select name="email_column" data-testid="email-column" aria-invalid=needs_choice.to_string()
                on:change=move |ev| {
                    form.email_column.set(event_target_value(&ev));
                    refresh_preview(form, status);
                }>
                {chosen.is_empty().then(|| view! { <option value="" selected=true>{t.choose_column}</option> })}
                {columns.into_iter().map(|column| {
                    let looks = candidates.contains(&column);
                    let text = if looks { format!("{column} — {}", t.looks_like_email) } else { column.clone() };
                    view! { <option value=column.clone() selected=column == chosen>{text}</option> }
                }).collect_view()}
            </select>
        </label>
    }
    .into_any()
}

#[component]
pub(super) fn PreviewSummary(preview: CsvPreview) -> impl IntoView {
    let t = t();
    if let Some(problem) = preview.problem {
        return view! { <p class="error" role="alert" data-testid="csv-problem">{problem.message}</p> }.into_any();
    }
    let problems = preview.problem_rows.clone();
    let download = move |_| {
        // As the server's exports for Excel in Spanish: BOM, `;`, formulas neutralised.
        let mut text = String::from("\u{feff}");
        text.push_str(&t.problems_csv_header.join(";"));
        text.push_str("\r\n");
        for row in &problems {
            let cells = [
                row.row_number.to_string(),
                row.email.clone(),
                (t.validation_label)(row.status).to_string(),
                row.code.clone(),
                row.message.clone(),
            ];
            let line = cells
                .iter()
                .map(|c| {
                    let c = if c.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                        format!("'{c}")
                    } else {
                        c.clone()
                    };
                    format!("\"{}\"", c.replace('"', "\"\""))
                })
                .collect::<Vec<_>>()
                .join(";");
            text.push_str(&line);
            text.push_str("\r\n");
        }
        save_bytes(text.as_bytes(), "filas-con-problemas.csv", "text/csv");
    };
    let columns: Vec<String> = preview.headers.iter().take(8).cloned().collect();
    let headers: Vec<String> = std::iter::once(t.row.to_string())
        .chain(columns.iter().cloned())
        .chain(std::iter::once(t.validation.to_string()))
        .collect();
    view! {
        <dl class="facts" data-testid="csv-preview">
            <div><dt>{t.encoding}</dt><dd>{(t.encoding_name)(&preview.encoding)}</dd></div>
            <div><dt>{t.delimiter}</dt><dd>{(t.delimiter_name)(&preview.delimiter)}</dd></div>
            <div><dt>{t.rows}</dt><dd class="num">{number(preview.total_rows as i64)}</dd></div>
            <div><dt>{t.valid_emails}</dt><dd class="num" data-testid="valid-rows">{number(preview.valid_rows as i64)}</dd></div>
            <div><dt>{t.invalid}</dt><dd class="num">{number(preview.invalid_rows as i64)}</dd></div>
            <div><dt>{t.warnings}</dt><dd class="num">{number(preview.warning_rows as i64)}</dd></div>
        </dl>
        {(!preview.problem_rows.is_empty()).then(|| view! {
            <div class="callout warn">
                <ul class="problem-rows" data-testid="problem-rows">
                    {preview.problem_rows.iter().take(20).map(|row| view! {
                        <li>
                            <Badge tone=validation_tone(row.status) text=(t.validation_label)(row.status)/>
                            " " {(t.row_n)(row.row_number)} " · " {row.email.clone()} " — " {row.message.clone()}
                        </li>
                    }).collect_view()}
                </ul>
                {(preview.problem_rows.len() > 20).then(|| view! {
                    <p class="muted">{(t.more_problem_rows)(preview.problem_rows.len() - 20)}</p>
                })}
                <button type="button" class="secondary" on:click=download>{t.download_problems}</button>
            </div>
        })}
        <Table headers=headers>
            {preview.rows.into_iter().take(5).map(|row| {
                let cells = columns.iter().map(|c| {
                    let value = if *c == preview.email_column { row.email.clone() } else {
                        row.variables.get(c).map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).unwrap_or_default()
                    };
                    view! { <td data-label=c.clone()>{value}</td> }
                }).collect_view();
                view! {
                    <tr>
                        <td class="num">{row.row_number}</td>
                        {cells}
                        <td><Badge tone=validation_tone(row.status) text=(t.validation_label)(row.status)/>
                            {(row.status != ValidationStatus::Valid).then(|| view! { <small class="muted block">{row.message.clone()}</small> })}</td>
                    </tr>
                }
            }).collect_view()}
        </Table>
    }.into_any()
}
