//! What a page reads from the API: nothing until the first answer, then the latest answer,
//! kept on screen while a newer one loads. The request runs again when a signal it read
//! changes (a filter in the URL) or on `refetch`; an answer overtaken by a newer request is
//! dropped.
//!
//! Leptos's `LocalResource` does the same and more (suspense, hydration); this plain
//! effect-and-signal version is a fraction of its code per use, which keeps the SPA within
//! its size budget.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use leptos::task::spawn_local;

/// Asks once: the request's number, kept in `latest` by the newest request.
type Ask = Box<dyn Fn(StoredValue<u64>, u64) -> Pin<Box<dyn Future<Output = ()>>>>;

/// Asks again whenever a signal `ask` read changes or `again` is bumped: one effect for every
/// `Loaded`, whatever it holds (a copy per page would sit in the first download).
fn follow(again: RwSignal<u64>, ask: Ask) {
    let latest = StoredValue::new(0u64);
    Effect::new(move |_| {
        again.track();
        let request = latest.get_value().wrapping_add(1);
        latest.set_value(request);
        spawn_local(ask(latest, request));
    });
}

pub struct Loaded<T: 'static> {
    value: RwSignal<Option<T>, LocalStorage>,
    again: RwSignal<u64>,
}

impl<T> Clone for Loaded<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Loaded<T> {}

impl<T: Clone + 'static> Loaded<T> {
    pub fn new<F>(fetch: impl Fn() -> F + 'static) -> Self
    where
        F: Future<Output = T> + 'static,
    {
        let value = RwSignal::new_local(None);
        let again = RwSignal::new(0u64);
        follow(
            again,
            Box::new(move |latest, request| {
                let answer = fetch();
                Box::pin(async move {
                    let answer = answer.await;
                    // The page may be gone, or a newer request on its way.
                    if latest.try_get_value() == Some(request) {
                        value.try_set(Some(answer));
                    }
                })
            }),
        );
        Loaded { value, again }
    }

    /// The latest answer (tracked): `None` until the first one arrives.
    pub fn get(&self) -> Option<T> {
        self.value.get()
    }

    pub fn with_untracked<R>(&self, f: impl FnOnce(&Option<T>) -> R) -> R {
        self.value.with_untracked(f)
    }

    /// Asks again (after a change the page made, or on a timer).
    pub fn refetch(&self) {
        self.again.update(|n| *n = n.wrapping_add(1));
    }
}
