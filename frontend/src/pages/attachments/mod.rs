//! "Adjuntos": the files sends and messages carry. Upload one, see who uploaded what and
//! when, download it, delete one nothing uses (the API refuses, and says why, otherwise).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;
use relay_types::Attachment;
use wasm_bindgen::JsCast;

use crate::api::attachments as api;
use crate::components::confirm::Confirm;
use crate::components::guard::attachments_usable;
use crate::components::loaded::{listed, Empty};
use crate::components::pager::Pager;
use crate::components::table::Table;
use crate::state::format::{bytes, datetime, relative};
use crate::state::i18n::t;
use crate::state::loaded::Loaded;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;
use crate::state::url::set_query_param;

#[component]
pub fn Attachments() -> impl IntoView {
    let t = t();
    let session = use_session();
    let toasts = use_toasts();
    let query = use_query_map();
    let set_param = set_query_param();
    let page = Memo::new(move |_| {
        query
            .with(|q| q.get("pagina"))
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
    });
    let list = Loaded::new(move || api::list(page.get()));
    let may_change = move || attachments_usable(&session);
    // The API lets the uploader (or a superuser) delete a file, nobody else.
    let may_delete = move |attachment: &Attachment| {
        may_change()
            && (session
                .me
                .with(|me| me.as_ref().is_some_and(|me| me.user.is_superuser))
                || attachment.created_by.as_deref() == Some(session.username().as_str()))
    };
    let uploading = RwSignal::new(false);
    let deleting = RwSignal::new(None::<Attachment>);
    let confirm_open = RwSignal::new(false);

    let upload = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let files: Vec<web_sys::File> = input
            .files()
            .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
            .unwrap_or_default();
        input.set_value("");
        if files.is_empty() {
            return;
        }
        uploading.set(true);
        spawn_local(async move {
            for file in files {
                match api::upload_file(&file).await {
                    Ok(done) => toasts.success((t.attachment_uploaded)(&done.name)),
                    Err(err) => toasts.error(format!("{}: {}", file.name(), err.detail)),
                }
            }
            uploading.set(false);
            list.refetch();
        });
    };
    let delete = Callback::new(move |()| {
        let Some(attachment) = deleting.get_untracked() else {
            return;
        };
        spawn_local(async move {
            match api::remove(attachment.id).await {
                Ok(()) => toasts.success((t.attachment_deleted)(&attachment.name)),
                Err(err) => toasts.error(err.detail),
            }
            list.refetch();
        });
    });
    let on_page = Callback::new(move |n: u64| set_param("pagina", n.to_string(), false));

    view! {
        <section class="page">
            <header class="page-head">
                <div>
                    <h1>{t.nav_attachments}</h1>
                    <p class="subtitle">{t.attachments_subtitle}</p>
                </div>
                <Show when=may_change>
                    <label class="button primary">
                        {move || if uploading.get() { t.uploading } else { t.upload_attachment }}
                        <input type="file" name="upload" multiple class="visually-hidden"
                            on:change=upload disabled=move || uploading.get()/>
                    </label>
                </Show>
            </header>
            {listed(list, move || view! { <Empty text=t.no_attachments/> }.into_any(), move |found| {
                    let total = found.total;
                    view! {
                        <Table headers=[t.file_name, t.file_type, t.file_size, t.uploaded_by, t.created, ""]>
                            {found.items.into_iter().map(|attachment| {
                                let for_download = attachment.clone();
                                let ask = attachment.clone();
                                let deletable = may_delete(&attachment);
                                view! {
                                    <tr data-testid=format!("attachment-{}", attachment.name)>
                                        <td data-label=t.file_name>{attachment.name.clone()}</td>
                                        <td data-label=t.file_type><code>{attachment.content_type.clone()}</code></td>
                                        <td data-label=t.file_size class="num">{bytes(attachment.size_bytes)}</td>
                                        <td data-label=t.uploaded_by>{attachment.created_by.clone().unwrap_or_else(|| "—".into())}</td>
                                        <td data-label=t.created><time title=datetime(&attachment.created_at)>{relative(&attachment.created_at)}</time></td>
                                        <td class="row-actions">
                                            <button type="button" class="secondary" on:click=move |_| {
                                                let attachment = for_download.clone();
                                                spawn_local(async move {
                                                    if let Err(err) = api::download(&attachment).await {
                                                        toasts.error(err.detail);
                                                    }
                                                });
                                            }>{t.download}</button>
                                            {deletable.then(|| view! {
                                                <button type="button" class="danger" on:click=move |_| { deleting.set(Some(ask.clone())); confirm_open.set(true); }>{t.delete}</button>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </Table>
                        <Pager page=page total=total page_size=20 on_page=on_page/>
                    }.into_any()
            })}
            <Confirm open=confirm_open title=t.delete
                text=move || (t.delete_attachment_explained)(&deleting.with(|a| a.as_ref().map(|a| a.name.clone()).unwrap_or_default()))
                confirm=t.delete danger=true on_confirm=delete/>
        </section>
    }
}
