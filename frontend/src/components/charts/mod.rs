//! Charts drawn by the app (no chart library, no script from elsewhere): marks as boxes or a
//! stretched SVG line, every word as text of the page (readable on a phone), a title per
//! mark for hover, and a visually hidden table carrying the same figures for screen readers.

mod bars;
mod columns;
mod line;

pub use bars::{Bar, BarChart};
pub use columns::ColumnChart;
pub use line::LineChart;

use leptos::prelude::*;

use crate::state::format::number;

/// The text alternative of a chart.
#[component]
fn DataTable(caption: String, rows: Vec<(String, i64)>) -> impl IntoView {
    view! {
        <table class="visually-hidden">
            <caption>{caption}</caption>
            <tbody>
                {rows
                    .into_iter()
                    .map(|(label, value)| view! { <tr><th scope="row">{label}</th><td>{number(value)}</td></tr> })
                    .collect_view()}
            </tbody>
        </table>
    }
}
