//! A line over time with its axes: the first and last label under it, the top value beside.

use leptos::prelude::*;

use super::DataTable;
use crate::state::format::number;

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 12.0;

#[component]
pub fn LineChart(#[prop(into)] title: String, points: Vec<(String, i64)>) -> impl IntoView {
    let max = points.iter().map(|p| p.1).max().unwrap_or(0).max(1) as f64;
    let plot_w = WIDTH - LEFT - 12.0;
    let plot_h = HEIGHT - BOTTOM - TOP;
    let step = if points.len() > 1 {
        plot_w / (points.len() - 1) as f64
    } else {
        0.0
    };
    let xy = |i: usize, v: i64| {
        (
            LEFT + step * i as f64,
            TOP + plot_h - plot_h * v as f64 / max,
        )
    };
    let path = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| {
            let (x, y) = xy(i, *v);
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ");
    let dots = points
        .iter()
        .enumerate()
        .map(|(i, (label, v))| {
            let (x, y) = xy(i, *v);
            view! { <circle cx=format!("{x:.1}") cy=format!("{y:.1}") r="3.5" class="chart-dot"><title>{format!("{label}: {}", number(*v))}</title></circle> }
        })
        .collect_view();
    let first = points.first().map(|p| p.0.clone()).unwrap_or_default();
    let last = if points.len() > 1 {
        points.last().map(|p| p.0.clone()).unwrap_or_default()
    } else {
        String::new()
    };
    view! {
        <figure class="chart">
            <figcaption>{title.clone()}</figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=title.clone()>
                <line x1=LEFT y1=TOP x2=LEFT y2=TOP + plot_h class="chart-axis"></line>
                <line x1=LEFT y1=TOP + plot_h x2=WIDTH - 12.0 y2=TOP + plot_h class="chart-axis"></line>
                <text x=LEFT - 6.0 y=TOP + 8.0 text-anchor="end" class="chart-label">{number(max as i64)}</text>
                <text x=LEFT - 6.0 y=TOP + plot_h text-anchor="end" class="chart-label">"0"</text>
                <polyline points=path class="chart-line"></polyline>
                {dots}
                <text x=LEFT y=HEIGHT - 8.0 class="chart-label">{first}</text>
                <text x=WIDTH - 12.0 y=HEIGHT - 8.0 text-anchor="end" class="chart-label">{last}</text>
            </svg>
            <DataTable caption=title rows=points/>
        </figure>
    }
}
