//! Columns over days: one bar per day (boxes, not drawn text), the first, middle and last
//! day named under them, the top value above. Hovering a column says its day and figure.

use leptos::prelude::*;

use super::DataTable;
use crate::state::format::{number, one_decimal};

#[component]
pub fn ColumnChart(#[prop(into)] title: String, points: Vec<(String, i64)>) -> impl IntoView {
    let max = points.iter().map(|p| p.1).max().unwrap_or(0).max(1) as f64;
    let columns = points
        .iter()
        .map(|(label, value)| {
            let share = 100.0 * *value as f64 / max;
            view! {
                <span class="column" title=format!("{label}: {}", number(*value))>
                    <span class="fill" style=format!("height:{}%", one_decimal(share))></span>
                </span>
            }
        })
        .collect_view();
    let named = |i: usize| points.get(i).map(|p| p.0.clone()).unwrap_or_default();
    let (first, middle, last) = (
        named(0),
        named(points.len() / 2),
        named(points.len().saturating_sub(1)),
    );
    view! {
        <figure class="chart">
            <figcaption>{title.clone()}</figcaption>
            <span class="chart-label">{number(max as i64)}</span>
            <div class="columns" role="img" aria-label=title.clone()>{columns}</div>
            <div class="axis-x"><span class="chart-label">{first}</span><span class="chart-label">{middle}</span><span class="chart-label">{last}</span></div>
            <DataTable caption=title rows=points/>
        </figure>
    }
}
