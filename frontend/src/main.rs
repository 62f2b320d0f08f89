//! Relay Console SPA: a Leptos client-side app over the JSON API. `api/` speaks to the
//! server (one file per resource), `state/` holds what the app shares (session, language,
//! toasts, formatting), `components/` the shared pieces, `pages/` one folder per resource.

mod api;
mod app;
mod components;
mod pages;
mod state;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
