//! State badges: text and colour, never colour alone. The colours are the legacy ones
//! (green done/ready, red error, amber waiting, blue sending, grey cancelled, violet
//! ambiguous) and one exhaustive match per kind of state decides them.

use leptos::prelude::*;
use relay_types::{
    BulkReportState, BulkSendStatus, JobState, MessageStatus, RecipientState, ReportState,
    ValidationStatus,
};

use crate::state::i18n::t;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Green,
    Red,
    Amber,
    Blue,
    Grey,
    Violet,
}

impl Tone {
    pub const fn class(self) -> &'static str {
        match self {
            Tone::Green => "badge tone-green",
            Tone::Red => "badge tone-red",
            Tone::Amber => "badge tone-amber",
            Tone::Blue => "badge tone-blue",
            Tone::Grey => "badge tone-grey",
            Tone::Violet => "badge tone-violet",
        }
    }

    /// The colour as a CSS variable, for charts drawn in the badges' palette.
    pub const fn var(self) -> &'static str {
        match self {
            Tone::Green => "var(--green)",
            Tone::Red => "var(--red)",
            Tone::Amber => "var(--amber)",
            Tone::Blue => "var(--blue)",
            Tone::Grey => "var(--grey)",
            Tone::Violet => "var(--violet)",
        }
    }
}

pub const fn bulk_tone(status: BulkSendStatus) -> Tone {
    use BulkSendStatus as S;
    match status {
        S::Done | S::Ready => Tone::Green,
        S::DoneWithErrors | S::Failed | S::ImportFailed => Tone::Red,
        S::Importing | S::ReadyWithErrors | S::Scheduled | S::Queued | S::Paused => Tone::Amber,
        S::Sending => Tone::Blue,
        S::Cancelled => Tone::Grey,
    }
}

pub const fn recipient_tone(state: RecipientState) -> Tone {
    match state {
        RecipientState::Sent => Tone::Green,
        RecipientState::Failed => Tone::Red,
        RecipientState::Pending => Tone::Amber,
        RecipientState::Sending => Tone::Blue,
        RecipientState::Ambiguous => Tone::Violet,
        RecipientState::Invalid | RecipientState::NotSent => Tone::Grey,
    }
}

pub const fn validation_tone(status: ValidationStatus) -> Tone {
    match status {
        ValidationStatus::Valid => Tone::Green,
        ValidationStatus::Warning => Tone::Amber,
        ValidationStatus::Invalid => Tone::Red,
    }
}

pub const fn message_tone(status: MessageStatus) -> Tone {
    match status {
        MessageStatus::Sent => Tone::Green,
        MessageStatus::SendFailed => Tone::Red,
        MessageStatus::Sending => Tone::Blue,
        MessageStatus::Ambiguous => Tone::Violet,
    }
}

pub const fn job_tone(state: JobState) -> Tone {
    match state {
        JobState::Queued => Tone::Amber,
        JobState::Running => Tone::Blue,
        JobState::Done => Tone::Green,
        JobState::Error => Tone::Red,
    }
}

pub const fn report_tone(state: BulkReportState) -> Tone {
    use BulkReportState as R;
    match state {
        R::Ready => Tone::Green,
        R::Error => Tone::Red,
        R::Pending | R::Processing => Tone::Amber,
        R::NotStarted | R::ZeroRows => Tone::Grey,
    }
}

/// PENDING and PROCESSING amber, READY green, ERROR red.
pub const fn report_state_tone(state: ReportState) -> Tone {
    match state {
        ReportState::Pending | ReportState::Processing => Tone::Amber,
        ReportState::Ready => Tone::Green,
        ReportState::Error => Tone::Red,
    }
}

#[component]
pub fn Badge(tone: Tone, #[prop(into)] text: String) -> impl IntoView {
    view! { <span class=tone.class()>{text}</span> }
}

#[component]
pub fn BulkBadge(status: BulkSendStatus) -> impl IntoView {
    view! { <Badge tone=bulk_tone(status) text=(t().bulk_status)(status)/> }
}
