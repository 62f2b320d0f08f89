//! The one data table: sticky header, numbers right-aligned (class `num`), and below 768 px
//! each row becomes a card whose cells show their column name (`data-label`).

use leptos::prelude::*;

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
