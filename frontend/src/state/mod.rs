//! What the whole app shares: the session, the language and its catalogue, toasts, whether
//! the API answers, number and date formatting, what a page loaded (`loaded`), polling while
//! work moves, the filters kept in the URL, and the few browser calls the pages need.

pub mod browser;
pub mod format;
pub mod i18n;
pub mod loaded;
pub mod poll;
pub mod session;
pub mod toasts;
pub mod url;

use leptos::prelude::*;

/// Whether the API answered the last request (false shows the "sin conexión" banner).
#[derive(Clone, Copy)]
pub struct Online(pub RwSignal<bool>);

/// The app's own reactive owner: a page whose state must outlive it (a half-filled "Nuevo
/// envío" across a language switch or a visit elsewhere) makes that state here, on its first
/// visit, rather than the app making it up front for every visitor.
#[derive(Clone)]
pub struct AppOwner(pub Owner);

/// Whether a page's chunk is still on its way (the router is between two pages).
#[derive(Clone, Copy)]
pub struct Routing(pub ReadSignal<bool>);
