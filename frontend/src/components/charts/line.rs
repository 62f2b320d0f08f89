//! A line over time: the line is drawn (SVG, stretched to the box), the top value, zero and
//! the first and last labels are text of the page, so they keep their size on a phone.

use leptos::prelude::*;

use super::DataTable;
use crate::state::format::{number, one_decimal};

/// The line's own coordinates (the box stretches them).
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 200.0;

#[component]
pub fn LineChart(#[prop(into)] title: String, points: Vec<(String, i64)>) -> impl IntoView {
    let max = points.iter().map(|p| p.1).max().unwrap_or(0).max(1) as f64;
    let step = if points.len() > 1 {
        WIDTH / (points.len() - 1) as f64
    } else {
        0.0
    };
    let path = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| {
            let (x, y) = (step * i as f64, HEIGHT - HEIGHT * *v as f64 / max);
            format!("{},{}", one_decimal(x), one_decimal(y))
        })
        .collect::<Vec<_>>()
        .join(" ");
    let first = points.first().map(|p| p.0.clone()).unwrap_or_default();
    let last = if points.len() > 1 {
        points.last().map(|p| p.0.clone()).unwrap_or_default()
    } else {
        String::new()
    };
    view! {
        <figure class="chart">
            <figcaption>{title.clone()}</figcaption>
            <div class="plot">
                <span class="chart-label axis-top">{number(max as i64)}</span>
                <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none" role="img" aria-label=title.clone()>
                    <polyline points=path class="chart-line" vector-effect="non-scaling-stroke"></polyline>
                </svg>
                <span class="chart-label axis-zero">"0"</span>
            </div>
            <div class="axis-x"><span class="chart-label">{first}</span><span class="chart-label">{last}</span></div>
            <DataTable caption=title rows=points/>
        </figure>
    }
}
