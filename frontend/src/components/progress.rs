//! A send's progress: one bar split into sent / failed / ambiguous / pending, with the
//! figures beside it for those who read rather than look.

use leptos::prelude::*;
use relay_types::{BulkCounts, BulkSendStatus};

use super::badge::Tone;
use crate::state::format::{number, one_decimal, percent};
use crate::state::i18n::t;

/// Share of the importable rows that is settled (sent, failed or ambiguous).
pub fn done_ratio(counts: &BulkCounts) -> f64 {
    if counts.valid <= 0 {
        return 0.0;
    }
    (counts.sent + counts.failed + counts.ambiguous) as f64 / counts.valid as f64
}

/// The thin bar of a list row.
#[component]
pub fn MiniProgress(counts: BulkCounts) -> impl IntoView {
    let ratio = done_ratio(&counts);
    view! {
        <span class="mini-progress">
            <span class="track" aria-hidden="true">
                <span class="fill" style=format!("width:{}%", one_decimal(ratio * 100.0))></span>
            </span>
            <span class="num">{percent(ratio)}</span>
        </span>
    }
}

/// The detail page's bar and legend. What a send that ended never reached is "no
/// enviados", not "pendientes"; invalid rows are named beside the bar (never sent).
#[component]
pub fn ProgressBar(counts: BulkCounts, status: BulkSendStatus) -> impl IntoView {
    use BulkSendStatus as B;
    let t = t();
    let total = counts.valid.max(1) as f64;
    let pending = counts.pending + counts.sending;
    let ended = matches!(
        status,
        B::Done | B::DoneWithErrors | B::Failed | B::Cancelled
    );
    let segments = [
        (t.sent, counts.sent, Tone::Green),
        (t.failed, counts.failed, Tone::Red),
        (t.ambiguous, counts.ambiguous, Tone::Violet),
        (
            if ended { t.not_sent } else { t.pending },
            pending,
            Tone::Grey,
        ),
    ];
    let invalid = counts.invalid;
    let summary = segments
        .iter()
        .map(|(label, n, _)| format!("{label}: {}", number(*n)))
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <div class="progress" role="img" aria-label=summary>
            {segments
                .iter()
                .filter(|(_, n, _)| *n > 0)
                .map(|(label, n, tone)| {
                    let style = format!("width:{}%;background:{}", one_decimal(*n as f64 / total * 100.0), tone.var());
                    view! { <span class="segment" style=style title=format!("{label}: {}", number(*n))></span> }
                })
                .collect_view()}
        </div>
        <ul class="legend">
            {segments
                .into_iter()
                .map(|(label, n, tone)| {
                    view! {
                        <li>
                            <span class="dot" style=format!("background:{}", tone.var())></span>
                            {label} " " <strong class="num">{number(n)}</strong>
                        </li>
                    }
                })
                .collect_view()}
            {(invalid > 0).then(|| view! {
                <li class="muted">{t.invalid_never_sent} " " <strong class="num">{number(invalid)}</strong></li>
            })}
        </ul>
    }
}
