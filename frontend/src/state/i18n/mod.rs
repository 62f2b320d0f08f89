//! One catalogue of every text per language: [`Texts`] is a struct, so a text missing from
//! either language is a build error, not a blank on screen. The chosen language is kept in
//! the browser (`relay-console.lang`), sent to the API as `Accept-Language`, and changing
//! it redraws the app.

mod en;
mod es;
mod texts;

use std::cell::Cell;

use leptos::prelude::*;

pub use texts::Texts;

use super::browser;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Es,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Es, Lang::En];

    pub const fn code(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
        }
    }

    /// The locale numbers and dates follow.
    pub const fn locale(self) -> &'static str {
        match self {
            Lang::Es => "es-EC",
            Lang::En => "en-US",
        }
    }

    pub const fn texts(self) -> &'static Texts {
        match self {
            Lang::Es => &es::ES,
            Lang::En => &en::EN,
        }
    }
}

const STORAGE_KEY: &str = "relay-console.lang";

thread_local! {
    static CURRENT: Cell<Lang> = const { Cell::new(Lang::Es) };
}

pub fn current() -> Lang {
    CURRENT.with(Cell::get)
}

/// The texts of the current language.
pub fn t() -> &'static Texts {
    current().texts()
}

/// The language remembered from an earlier visit (Spanish the first time).
pub fn remembered() -> Lang {
    let lang = match browser::stored(STORAGE_KEY).as_deref() {
        Some("en") => Lang::En,
        _ => Lang::Es,
    };
    apply(lang);
    lang
}

fn apply(lang: Lang) {
    CURRENT.with(|c| c.set(lang));
    browser::set_document_language(lang.code());
}

/// The app's language signal: the frame redraws when it changes.
#[derive(Clone, Copy)]
pub struct Language(pub RwSignal<Lang>);

impl Language {
    /// Switches the language; what is half-typed on the page stays.
    pub fn choose(&self, lang: Lang) {
        apply(lang);
        browser::store(STORAGE_KEY, lang.code());
        let language = self.0;
        browser::keeping_fields(move || language.set(lang));
    }
}
