//! "No tienes permiso" and "Página no encontrada", each with a way back.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::state::i18n::t;

#[component]
pub fn Forbidden() -> impl IntoView {
    view! {
        <section class="page error-page" data-testid="forbidden">
            <p class="code">"403"</p>
            <h1>{t().forbidden_title}</h1>
            <p>{t().forbidden_text}</p>
            <A href="/envios">{t().back_to_list}</A>
        </section>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="page error-page" data-testid="not-found">
            <p class="code">"404"</p>
            <h1>{t().not_found_title}</h1>
            <p>{t().not_found_text}</p>
            <A href="/envios">{t().back_to_list}</A>
        </section>
    }
}
