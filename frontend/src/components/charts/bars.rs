//! Horizontal bars: one labelled row per item, the value at the bar's end. The bars are
//! boxes and the words are text of the page, so they keep their size on a phone.

use leptos::prelude::*;

use super::DataTable;
use crate::components::badge::Tone;
use crate::state::format::{number, one_decimal};

#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub tone: Tone,
}

#[component]
pub fn BarChart(#[prop(into)] title: String, bars: Vec<Bar>) -> impl IntoView {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1) as f64;
    let rows: Vec<(String, i64)> = bars.iter().map(|b| (b.label.clone(), b.value)).collect();
    let marks = bars
        .into_iter()
        .map(|bar| {
            let share = 100.0 * bar.value as f64 / max;
            let value = number(bar.value);
            view! {
                <div class="hbar-row" title=format!("{}: {value}", bar.label)>
                    <span class="chart-label">{bar.label.clone()}</span>
                    <span class="hbar-track">
                        <span class="hbar" style=format!("width:{}%;background:{}", one_decimal(share), bar.tone.var())></span>
                    </span>
                    <span class="chart-value">{value.clone()}</span>
                </div>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <figcaption>{title.clone()}</figcaption>
            <div class="hbars" role="img" aria-label=title.clone()>{marks}</div>
            <DataTable caption=title rows=rows/>
        </figure>
    }
}
