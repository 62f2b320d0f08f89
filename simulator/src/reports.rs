//! The summary CSV of a report request, built from the messages the simulator received,
//! with outcomes drawn from the seed so the same messages always give the same report.

use chrono::{DateTime, FixedOffset};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::state::ReceivedMessage;

pub const HEADER: &str = "Subject,Sender,SenderName,Email,Status,Date,Opens,Clicks\n";

fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

/// The outcome Doppler would report for a message: status, opens, clicks.
pub fn outcome(seed: u64, message_id: &str) -> (&'static str, u32, u32) {
    let mix = message_id
        .bytes()
        .fold(seed ^ 0x9E37_79B9_7F4A_7C15, |h, b| {
            (h ^ b as u64).wrapping_mul(0x1000_0000_01B3)
        });
    let mut rng = StdRng::seed_from_u64(mix);
    // Doppler's own delivery statuses (docs/doppler.md): `Sent` is delivered.
    let status = match rng.gen_range(0..100) {
        0..=79 => "Sent",
        80..=86 => "Rejected",
        87..=89 => "Invalid",
        90..=93 => "Dropped",
        94..=97 => "Queued",
        _ => "Retrying",
    };
    let (opens, clicks) = if status == "Sent" && rng.gen_bool(0.45) {
        let opens = rng.gen_range(1..=5);
        (
            opens,
            if rng.gen_bool(0.3) {
                rng.gen_range(1..=opens)
            } else {
                0
            },
        )
    } else {
        (0, 0)
    };
    (status, opens, clicks)
}

pub fn csv(
    seed: u64,
    messages: &[ReceivedMessage],
    start: DateTime<FixedOffset>,
    end: DateTime<FixedOffset>,
) -> String {
    let mut out = String::from(HEADER);
    for m in messages
        .iter()
        // Doppler's end is exclusive (docs/doppler.md).
        .filter(|m| m.received_at >= start && m.received_at < end)
    {
        for email in &m.recipients {
            let (status, opens, clicks) = outcome(seed, &format!("{}:{email}", m.message_id));
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{}\n",
                quoted(&m.subject),
                m.from_email,
                quoted(&m.from_name),
                email,
                status,
                m.received_at.format("%Y-%m-%d %H:%M:%S"),
                opens,
                clicks
            ));
        }
    }
    out
}
