//! The one way a page shows what it asked the API for: "Cargando…" until the first answer;
//! the page "no encontrada" for a 404 on a page reached by its address; the problem, with
//! "Reintentar" when asking again can help (the network, the server, too many requests);
//! what an empty list means, with its call to action; else the content. Every list and detail goes through [`shown`],
//! [`found`] or [`listed`], so they all look, announce and recover the same way.

use leptos::prelude::*;
use relay_types::Page;

use crate::api::{ApiError, ApiResult};
use crate::pages::errors::NotFound;
use crate::state::i18n::t;
use crate::state::loaded::Loaded;

/// The content once it is in (a part of a page, or a list that is never empty).
pub fn shown<T: Clone + 'static>(
    loaded: Loaded<ApiResult<T>>,
    content: impl Fn(T) -> AnyView + 'static,
) -> impl Fn() -> AnyView + 'static {
    move || match loaded.get() {
        None => loading(),
        Some(Err(err)) => failed(err, move || loaded.refetch()),
        Some(Ok(value)) => content(value),
    }
}

/// A page reached by its address (`/envios/42`): a 404 is the page "no encontrada", with
/// its way back, rather than a problem inside an empty page.
pub fn found<T: Clone + 'static>(
    loaded: Loaded<ApiResult<T>>,
    content: impl Fn(T) -> AnyView + 'static,
) -> impl Fn() -> AnyView + 'static {
    move || match loaded.get() {
        Some(Err(err)) if err.status == 404 => view! { <NotFound/> }.into_any(),
        None => loading(),
        Some(Err(err)) => failed(err, move || loaded.refetch()),
        Some(Ok(value)) => content(value),
    }
}

/// A list: `empty` says what having nothing means and what to do next (usually
/// [`Empty`]); `content` draws the rows.
pub fn listed<T: Listing + Clone + 'static>(
    loaded: Loaded<ApiResult<T>>,
    empty: impl Fn() -> AnyView + 'static,
    content: impl Fn(T) -> AnyView + 'static,
) -> impl Fn() -> AnyView + 'static {
    move || match loaded.get() {
        None => loading(),
        Some(Err(err)) => failed(err, move || loaded.refetch()),
        Some(Ok(list)) if list.has_nothing() => empty(),
        Some(Ok(list)) => content(list),
    }
}

/// What a list answer holds nothing of.
pub trait Listing {
    fn has_nothing(&self) -> bool;
}

impl<T> Listing for Page<T> {
    fn has_nothing(&self) -> bool {
        self.items.is_empty()
    }
}

impl Listing for relay_types::TemplateList {
    fn has_nothing(&self) -> bool {
        self.items.is_empty()
    }
}

impl Listing for relay_types::SenderList {
    fn has_nothing(&self) -> bool {
        self.items.is_empty()
    }
}

/// A send's report page holds nothing until a report is loaded.
impl Listing for relay_types::CampaignReport {
    fn has_nothing(&self) -> bool {
        self.report.is_none()
    }
}

impl<T> Listing for Vec<T> {
    fn has_nothing(&self) -> bool {
        self.is_empty()
    }
}

/// What a list or a page shows while its first answer is on the way.
pub fn loading() -> AnyView {
    view! { <p class="loading" role="status" aria-busy="true">{t().loading}</p> }.into_any()
}

/// What a list or a page shows when the API refused or could not be reached; a failure that
/// may pass offers "Reintentar", which asks again.
pub fn failed(err: ApiError, retry: impl Fn() + 'static) -> AnyView {
    let passing = err.is_network() || err.status >= 500 || matches!(err.status, 408 | 429);
    view! {
        <div class="failed" role="alert" data-testid="failed">
            <p class="error">{err.detail}</p>
            {passing.then(|| view! {
                <button type="button" class="secondary" on:click=move |_| retry()>{t().retry}</button>
            })}
        </div>
    }
    .into_any()
}

/// What a list shows when it has nothing: what that means and what to do next.
#[component]
pub fn Empty(
    #[prop(into)] text: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="empty">
            <p>{text}</p>
            {children.map(|c| c())}
        </div>
    }
}
