//! "‹ 1 2 3 ›": pages of a list, 1-based like the API's.

use leptos::prelude::*;

use crate::state::format::number;
use crate::state::i18n::t;

#[component]
pub fn Pager(
    #[prop(into)] page: Signal<u64>,
    #[prop(into)] total: Signal<u64>,
    page_size: u64,
    #[prop(into)] on_page: Callback<u64>,
) -> impl IntoView {
    let pages = move || total.get().div_ceil(page_size).max(1);
    view! {
        <Show when=move || { pages() > 1 }>
            <nav class="pager" aria-label=t().pagination>
                // Braces around every comparison: a bare `>` would end the tag in `view!`.
                <button class="secondary" disabled=move || { page.get() <= 1 }
                    on:click=move |_| on_page.run(page.get_untracked().saturating_sub(1).max(1))>
                    "‹ " {t().previous}
                </button>
                <span>{move || (t().page_of)(page.get(), pages())} " · " {move || number(total.get() as i64)}</span>
                <button class="secondary" disabled=move || { page.get() >= pages() }
                    on:click=move |_| on_page.run(page.get_untracked() + 1)>
                    {t().next} " ›"
                </button>
            </nav>
        </Show>
    }
}
