//! CPU-heavy work (reading a whole CSV, loading a report) runs here, on tokio's blocking
//! threads, a bounded number at a time: a hostile or simply large file then cannot keep the
//! async workers from answering every other request, `/healthz` included. One core is left
//! to the async workers.

use std::future::Future;
use std::sync::OnceLock;

use tokio::sync::Semaphore;

fn slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Semaphore::new(cores.saturating_sub(1).max(1))
    })
}

/// Runs `work` to completion on a blocking thread once a slot is free. It goes on even if
/// the caller stops waiting (a client that hangs up), so a write it started is finished or
/// rolled back by its own code, never cut in the middle.
pub async fn run<T, E>(work: impl Future<Output = Result<T, E>> + Send + 'static) -> Result<T, E>
where
    T: Send + 'static,
    E: Send + 'static + From<tokio::task::JoinError>,
{
    // Waiting for a slot holds no thread; the semaphore is never closed.
    let slot = slots().acquire().await;
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        handle.block_on(work)
    })
    .await?
}
