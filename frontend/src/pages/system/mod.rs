//! "Sistema" (superusers): "Probar conexión" runs every check `relay-console doctor` makes and
//! lists what each found, ok or failed, with the setting to change.

use leptos::prelude::*;
use relay_types::SystemChecks;

use crate::api;
use crate::components::badge::Tone;
use crate::components::form::FormAction;
use crate::state::i18n::t;

#[component]
pub fn SystemPage() -> impl IntoView {
    let t = t();
    let result = RwSignal::new(None::<Result<SystemChecks, String>>);
    let busy = FormAction::new();
    let run = move |_: ()| {
        busy.act(
            async move {
                result.set(Some(api::system::checks().await.map_err(|e| e.detail)));
                Ok(())
            },
            || (),
        );
    };
    // Opening the page runs the checks: an empty page says nothing.
    run(());
    view! {
        <section class="page">
            <header class="page-head">
                <div>
                    <h1>{t.nav_system}</h1>
                    <p class="subtitle">{t.system_subtitle}</p>
                </div>
                <div class="actions">
                    <button class="primary" on:click=move |_| run(()) disabled=move || busy.busy() aria-busy=move || busy.busy().to_string()>
                        {move || if busy.busy() { t.testing_connection } else { t.test_connection }}
                    </button>
                </div>
            </header>
            <div aria-live="polite">
                {move || result.get().map(|answer| match answer {
                    Err(detail) => view! { <p class="error" role="alert">{detail}</p> }.into_any(),
                    Ok(checks) => view! { <Checks checks=checks/> }.into_any(),
                })}
            </div>
        </section>
    }
}

#[component]
fn Checks(checks: SystemChecks) -> impl IntoView {
    let t = t();
    let failed = checks.checks.iter().filter(|c| !c.ok).count();
    view! {
        {if checks.ok {
            view! { <aside class="callout ok" data-testid="checks-summary"><p>{t.checks_all_ok}</p></aside> }.into_any()
        } else {
            view! { <aside class="callout warn" data-testid="checks-summary"><p>{(t.checks_some_failed)(failed)}</p></aside> }.into_any()
        }}
        <ul class="checks" data-testid="checks">
            {checks.checks.into_iter().map(|check| {
                let tone = if check.ok { Tone::Green } else { Tone::Red };
                view! {
                    <li class="panel check" data-check=check.name.as_str()>
                        <span class=tone.class()>{if check.ok { t.check_ok } else { t.check_failed }}</span>
                        <strong>{(t.check_name_label)(check.name)}</strong>
                        <p>{check.detail}</p>
                        {check.fix.map(|fix| view! { <p class="fix">"→ "{fix}</p> })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
