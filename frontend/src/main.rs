//! Relay Console SPA: a Leptos client-side app over the JSON API.

mod api;
mod app;
mod routes;
mod session;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
