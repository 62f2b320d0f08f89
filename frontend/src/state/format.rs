//! Numbers, dates and relative times in the user's language; times in the server's
//! `TIME_ZONE` (the browser's own zone may differ, operators think in the office's).

use std::cell::RefCell;

use chrono::{DateTime, Utc};
use wasm_bindgen::JsValue;

use super::browser::now_ms;
use super::i18n::{self, Lang};

thread_local! {
    static TIME_ZONE: RefCell<String> = const { RefCell::new(String::new()) };
}

pub fn set_time_zone(zone: &str) {
    TIME_ZONE.with(|z| *z.borrow_mut() = zone.to_string());
}

/// `1.234.567` (es) or `1,234,567` (en).
pub fn number(n: i64) -> String {
    let separator = match i18n::current() {
        Lang::Es => '.',
        Lang::En => ',',
    };
    relay_types::group_digits(n, separator)
}

/// `value` (not negative) with one decimal, `12.5`, written with integers: Rust's float
/// formatter is about 10 KB of WASM the first download does not need.
pub fn one_decimal(value: f64) -> String {
    let tenths = (value * 10.0).round() as i64;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// `value` rounded to a whole number, as text.
fn whole(value: f64) -> String {
    (value.round() as i64).to_string()
}

/// A file size: `532 B`, `48 KB`, `3,2 MB` (es) or `3.2 MB` (en).
pub fn bytes(size: i64) -> String {
    let (value, unit) = match size {
        s if s < 1024 => return format!("{s} B"),
        s if s < 1024 * 1024 => (s as f64 / 1024.0, "KB"),
        s => (s as f64 / (1024.0 * 1024.0), "MB"),
    };
    let text = if value < 10.0 {
        one_decimal(value)
    } else {
        whole(value)
    };
    match i18n::current() {
        Lang::Es => format!("{} {unit}", text.replace('.', ",")),
        Lang::En => format!("{text} {unit}"),
    }
}

/// A ratio (0..1) as a percentage with one decimal where it matters: `62 %`, `0,5 %`.
pub fn percent(ratio: f64) -> String {
    let value = ratio * 100.0;
    let text = if value > 0.0 && value < 10.0 && value.fract() != 0.0 {
        one_decimal(value)
    } else {
        whole(value)
    };
    match i18n::current() {
        Lang::Es => format!("{} %", text.replace('.', ",")),
        Lang::En => format!("{text}%"),
    }
}

fn intl(options: &[(&str, &str)]) -> Option<js_sys::Intl::DateTimeFormat> {
    let object = js_sys::Object::new();
    for (key, value) in options {
        js_sys::Reflect::set(&object, &JsValue::from_str(key), &JsValue::from_str(value)).ok()?;
    }
    // Spanish reads 19:00, not "7:00 p. m." (whose dot met the sentence's own).
    if i18n::current() == Lang::Es
        && options
            .iter()
            .any(|(key, _)| *key == "timeStyle" || *key == "hour")
    {
        js_sys::Reflect::set(&object, &"hourCycle".into(), &"h23".into()).ok()?;
    }
    let zone = TIME_ZONE.with(|z| z.borrow().clone());
    if !zone.is_empty() && !options.iter().any(|(key, _)| *key == "timeZone") {
        js_sys::Reflect::set(&object, &"timeZone".into(), &JsValue::from_str(&zone)).ok()?;
    }
    let locales = js_sys::Array::of1(&JsValue::from_str(i18n::current().locale()));
    Some(js_sys::Intl::DateTimeFormat::new(&locales, &object))
}

fn format_with(at: &DateTime<Utc>, options: &[(&str, &str)]) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
    intl(options)
        .and_then(|f| f.format().call1(&JsValue::UNDEFINED, &date).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| at.to_rfc3339())
}

/// `30 nov 2026, 15:42` / `Nov 30, 2026, 3:42 PM`, in `TIME_ZONE`.
pub fn datetime(at: &DateTime<Utc>) -> String {
    format_with(at, &[("dateStyle", "medium"), ("timeStyle", "short")])
}

/// `15:42` / `3:42 PM`, in `TIME_ZONE`.
pub fn time(at: &DateTime<Utc>) -> String {
    format_with(at, &[("timeStyle", "short")])
}

/// `07/12 08:45` / `12/07 8:45 AM`: a time beside "hace 6 min", in `TIME_ZONE`.
pub fn short_datetime(at: &DateTime<Utc>) -> String {
    format_with(
        at,
        &[
            ("day", "2-digit"),
            ("month", "2-digit"),
            ("hour", "2-digit"),
            ("minute", "2-digit"),
        ],
    )
}

/// A day as `4/12` / `12/4`.
pub fn short_date(day: &chrono::NaiveDate) -> String {
    let Some(noon) = day.and_hms_opt(12, 0, 0) else {
        return day.to_string();
    };
    format_with(
        &noon.and_utc(),
        &[
            ("day", "numeric"),
            ("month", "numeric"),
            ("timeZone", "UTC"),
        ],
    )
}

/// `jueves 4/12` / `Thursday 12/4` and `19:00` / `7:00 PM`: a day a send waits for.
pub fn weekday_and_time(at: &DateTime<Utc>) -> (String, String) {
    let day = format_with(
        at,
        &[
            ("weekday", "long"),
            ("day", "numeric"),
            ("month", "numeric"),
        ],
    );
    (day.replace(',', ""), time(at))
}

/// "hace 5 min", "en 2 h", "ahora" — to the nearest unit.
pub fn relative(at: &DateTime<Utc>) -> String {
    let t = i18n::t();
    let seconds = (at.timestamp_millis() as f64 - now_ms()) / 1000.0;
    let magnitude = seconds.abs();
    if magnitude < 45.0 {
        return t.just_now.to_string();
    }
    let (amount, unit) = if magnitude < 3600.0 {
        ((magnitude / 60.0).round().max(1.0), "min")
    } else if magnitude < 86_400.0 {
        ((magnitude / 3600.0).round(), "h")
    } else {
        ((magnitude / 86_400.0).round(), "d")
    };
    let amount = format!("{} {unit}", whole(amount));
    if seconds < 0.0 {
        (t.ago)(&amount)
    } else {
        (t.in_time)(&amount)
    }
}

/// Minutes until `at` (at least 1), for "Disponible en N min".
pub fn minutes_until(at: &DateTime<Utc>) -> i64 {
    let ms = at.timestamp_millis() as f64 - now_ms();
    (ms / 60_000.0).ceil().max(1.0) as i64
}

pub fn is_past(at: &DateTime<Utc>) -> bool {
    (at.timestamp_millis() as f64) <= now_ms()
}

/// Minutes elapsed since `at` (fractional), for send rates.
pub fn minutes_since(at: &DateTime<Utc>, until: Option<&DateTime<Utc>>) -> f64 {
    let end = until.map_or_else(now_ms, |u| u.timestamp_millis() as f64);
    ((end - at.timestamp_millis() as f64) / 60_000.0).max(0.0)
}

/// A day as a date input gives it (`YYYY-MM-DD`). Read by hand: chrono's format parser
/// would add its whole strftime machinery to the SPA.
pub fn parse_day(text: &str) -> Option<chrono::NaiveDate> {
    let mut parts = text.trim().splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    chrono::NaiveDate::from_ymd_opt(year, month, day)
}

/// A report's local hour (`YYYY-MM-DD HH:00`, already in `TIME_ZONE`) as `30 nov, 15:00`
/// or `Nov 30, 3:00 PM`.
pub fn local_hour(hour: &str) -> String {
    let at = hour.split_once(' ').and_then(|(day, time)| {
        let (h, m) = time.split_once(':')?;
        parse_day(day)?.and_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
    });
    let Some(at) = at else {
        return hour.to_string();
    };
    format_with(
        &at.and_utc(),
        &[
            ("month", "short"),
            ("day", "numeric"),
            ("hour", "numeric"),
            ("minute", "2-digit"),
            ("timeZone", "UTC"),
        ],
    )
}
