//! Horizontal bars: one labelled row per item, the value at the bar's end.

use leptos::prelude::*;

use super::DataTable;
use crate::components::badge::Tone;
use crate::state::format::number;

#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub tone: Tone,
}

const WIDTH: f64 = 600.0;
const LABEL: f64 = 170.0;
const ROW: f64 = 30.0;

#[component]
pub fn BarChart(#[prop(into)] title: String, bars: Vec<Bar>) -> impl IntoView {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1) as f64;
    let height = ROW * bars.len().max(1) as f64;
    let rows: Vec<(String, i64)> = bars.iter().map(|b| (b.label.clone(), b.value)).collect();
    let marks = bars
        .into_iter()
        .enumerate()
        .map(|(i, bar)| {
            let y = i as f64 * ROW;
            let length = (WIDTH - LABEL - 70.0) * bar.value as f64 / max;
            let value = number(bar.value);
            view! {
                <g>
                    <title>{format!("{}: {value}", bar.label)}</title>
                    <text x=LABEL - 8.0 y=y + ROW / 2.0 + 4.0 text-anchor="end" class="chart-label">{bar.label.clone()}</text>
                    <rect x=LABEL y=y + 6.0 width=format!("{length:.1}") height=ROW - 12.0 rx="3" style=format!("fill:{}", bar.tone.var())></rect>
                    <text x=LABEL + length + 6.0 y=y + ROW / 2.0 + 4.0 class="chart-value">{value.clone()}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <figcaption>{title.clone()}</figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {height}") role="img" aria-label=title.clone()>{marks}</svg>
            <DataTable caption=title rows=rows/>
        </figure>
    }
}
