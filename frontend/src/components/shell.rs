//! The frame around every signed-in page: the navigation (only what the user may open), the
//! user menu with the language switch and "Cerrar sesión", the "sin conexión" banner and the
//! toasts. Without a session it sends the visitor to sign in and back here afterwards.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;
use relay_types::PermissionCode;

use crate::api;
use crate::pages::account::ChangePasswordPage;
use crate::pages::table;
use crate::state::i18n::{t, Lang, Language};
use crate::state::session::use_session;
use crate::state::toasts::{use_toasts, ToastKind};
use crate::state::Online;

#[component]
pub fn Shell() -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let navigate = use_navigate();

    // No session (never had one, signed out, or expired): to the login page, remembering
    // where the user was.
    Effect::new(move |_| {
        if session.checked.get() && session.me.with(Option::is_none) {
            let path = location.pathname.get_untracked();
            let search = location.search.get_untracked();
            let here = match search.trim_start_matches('?') {
                "" => path,
                query => format!("{path}?{query}"),
            };
            let next = js_sys::encode_uri_component(&here);
            navigate(
                &format!("/login?next={next}"),
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });

    // The browser tab names the page.
    Effect::new(move |_| {
        let path = location.pathname.get();
        crate::state::browser::set_title(&format!("{} · Relay Console", page_title(&path)));
    });

    // Once the first page is drawn and the browser is idle, the pages an operator opens next.
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) || !session.can(PermissionCode::BulkSendsOperate) {
            return done.unwrap_or(false);
        }
        crate::state::browser::when_idle(|| {
            table::preload("/envios/nuevo");
            table::preload("/envios/0");
        });
        true
    });

    view! {
        <Show when=move || session.me.with(Option::is_some)
            fallback=|| view! { <main class="loading" aria-busy="true">{t().loading}</main> }>
            <div class="shell">
                <a class="skip" href="#main">{t().skip_to_content}</a>
                <SideNav/>
                <div class="content">
                    <OfflineBanner/>
                    <RouteLoading/>
                    // A password an administrator set: nothing else until the user chooses one.
                    <main id="main" tabindex="-1">
                        {move || if password_forced(&session) {
                            view! { <ChangePasswordPage/> }.into_any()
                        } else {
                            view! { <Outlet/> }.into_any()
                        }}
                    </main>
                </div>
            </div>
        </Show>
        <ToastRegion/>
    }
}

/// Whether an administrator set the user's password, which they must replace first.
fn password_forced(session: &crate::state::session::Session) -> bool {
    session.me.with(|me| {
        me.as_ref()
            .is_some_and(|me| me.user.password_change_required)
    })
}

/// What the browser tab says for a path: the page's name as the navigation says it (a
/// send's page, its number).
fn page_title(path: &str) -> String {
    let t = t();
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    if let ["envios", id] = parts.as_slice() {
        if let Ok(id) = id.parse() {
            return (t.bulk_send_n)(id);
        }
    }
    table::page_at(path).map_or_else(|| "Relay Console".into(), |page| (page.title)(t).into())
}

/// "Cargando…" while a page's chunk is fetched, announced to screen readers.
#[component]
fn RouteLoading() -> impl IntoView {
    let routing = expect_context::<crate::state::Routing>().0;
    view! {
        <div class="route-loading" role="status" aria-live="polite">
            <Show when=move || routing.get()>
                <span class="bar"></span>
                <span class="visually-hidden">{t().loading}</span>
            </Show>
        </div>
    }
}

#[component]
fn SideNav() -> impl IntoView {
    let session = use_session();
    let menu_open = RwSignal::new(false);
    let location = use_location();
    // A link followed on a phone closes the menu.
    Effect::new(move |_| {
        location.pathname.track();
        menu_open.set(false);
    });
    let links = move || {
        let t = t();
        let links: Vec<(&'static str, &'static str)> = if password_forced(&session) {
            Vec::new()
        } else {
            table::PAGES
                .iter()
                .filter(|page| page.nav.is_some_and(|visible| visible(&session)))
                .map(|page| (page.path, (page.title)(t)))
                .collect()
        };
        links
            .into_iter()
            .map(|(href, label)| view! {
                // A page's chunk starts loading as soon as its link is pointed at.
                <li on:mouseenter=move |_| table::preload(href) on:focusin=move |_| table::preload(href)>
                    <A href=href exact=true>{label}</A>
                </li>
            })
            .collect_view()
    };
    view! {
        <header class="sidebar" class:open=move || menu_open.get()>
            <div class="brand-row">
                <A href="/envios" attr:class="brand">"Relay Console"</A>
                <button class="menu-button secondary" aria-controls="nav-links"
                    aria-expanded=move || menu_open.get().to_string()
                    on:click=move |_| menu_open.update(|open| *open = !*open)>
                    {t().menu}
                </button>
            </div>
            <nav id="nav-links" aria-label=t().navigation>
                <ul>{links}</ul>
                <UserMenu/>
            </nav>
        </header>
    }
}

#[component]
fn UserMenu() -> impl IntoView {
    let session = use_session();
    let language = expect_context::<Language>();
    let navigate = use_navigate();
    let toasts = use_toasts();
    let signing_out = RwSignal::new(false);
    let sign_out = move |_| {
        let navigate = navigate.clone();
        signing_out.set(true);
        spawn_local(async move {
            match api::auth::logout().await {
                // 401: the session had already ended.
                Err(err) if err.status != 401 => toasts.error(err.detail),
                _ => {
                    session.me.set(None);
                    navigate("/login", Default::default());
                }
            }
            signing_out.set(false);
        });
    };
    view! {
        <div class="user-menu">
            <span class="user" data-testid="signed-in-user">{move || session.username()}</span>
            <div class="lang" role="group" aria-label=t().language>
                {Lang::ALL
                    .into_iter()
                    .map(|lang| {
                        view! {
                            <button class="link" aria-pressed=move || (language.0.get() == lang).to_string()
                                lang=lang.code() on:click=move |_| language.choose(lang)>
                                {lang.code().to_ascii_uppercase()}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <button class="secondary" disabled=move || signing_out.get() on:click=sign_out>{t().sign_out}</button>
        </div>
    }
}

/// "Sin conexión": the API did not answer; retry asks again (and, before sign-in, checks
/// for a session again).
#[component]
pub fn OfflineBanner() -> impl IntoView {
    let online = expect_context::<Online>().0;
    let session = use_session();
    let checking = RwSignal::new(false);
    let retry = move |_| {
        checking.set(true);
        spawn_local(async move {
            let reachable = api::auth::ping().await;
            online.set(reachable);
            if reachable && session.me.with_untracked(Option::is_none) {
                if let api::auth::Resumed::SignedIn(me) = api::auth::resume().await {
                    session.sign_in(me);
                }
            }
            checking.set(false);
        });
    };
    view! {
        <Show when=move || !online.get()>
            <div class="banner offline" role="alert">
                <span>{t().offline}</span>
                <button class="secondary" disabled=move || checking.get() on:click=retry>{t().retry}</button>
            </div>
        </Show>
    }
}

#[component]
pub fn ToastRegion() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toasts.items.get() key=|toast| toast.id let:toast>
                <div class=if toast.kind == ToastKind::Error { "toast error" } else { "toast" }>
                    <span>{toast.text.clone()}</span>
                    <button class="link" aria-label=t().close on:click=move |_| toasts.dismiss(toast.id)>"×"</button>
                </div>
            </For>
        </div>
    }
}
