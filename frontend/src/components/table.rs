//! The one data table: sticky header, numbers right-aligned (class `num`), and below 768 px
//! each row becomes a card whose cells show their column name (`data-label`).

use leptos::prelude::*;

use crate::api::ApiError;
use crate::state::i18n::t;

/// Column names: fixed texts from the catalogue, or a file's own columns.
pub struct Headers(Vec<String>);

impl<const N: usize> From<[&str; N]> for Headers {
    fn from(names: [&str; N]) -> Headers {
        Headers(names.iter().map(|n| n.to_string()).collect())
    }
}

impl From<Vec<String>> for Headers {
    fn from(names: Vec<String>) -> Headers {
        Headers(names)
    }
}

#[component]
pub fn Table(#[prop(into)] headers: Headers, children: Children) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="data">
                <thead>
                    <tr>{headers.0.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
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

/// What a list or a page shows while its first answer is on the way (one shared view, not
/// one per page).
pub fn loading() -> AnyView {
    view! { <p class="loading" aria-busy="true">{t().loading}</p> }.into_any()
}

/// What a list or a page shows when the API refused or could not be reached.
pub fn failed(err: ApiError) -> AnyView {
    view! { <p class="error" role="alert">{err.detail}</p> }.into_any()
}
