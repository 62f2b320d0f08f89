//! What the domain needs to do its work, in one value: the databases, the Doppler client,
//! the configuration, the job wake-up and the bounded password hasher. Services, jobs and the CLI take `&Services`; the
//! HTTP layer's `Services` holds one beside what only HTTP needs.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::auth::password::Hasher;
use crate::config::Config;
use crate::db::Db;
use crate::relay::RelayClient;
use crate::send_budget::SendBudget;

#[derive(Clone)]
pub struct Services {
    pub config: Arc<Config>,
    pub db: Db,
    /// The optional second PostgreSQL database that report rows can be loaded into.
    pub analytics: Option<Db>,
    pub relay: RelayClient,
    /// Wakes this process's job workers when work is queued.
    pub wakeup: Wakeup,
    /// Password hashing, a bounded number at once.
    pub hasher: Hasher,
    /// The Doppler account's sending limits, shared by every send and message.
    pub budget: SendBudget,
}

impl Services {
    pub fn new(config: Config, db: Db) -> anyhow::Result<Services> {
        let analytics = match &config.analytics_database_url {
            Some(url) => Some(Db::connect_lazy_postgres(url, 8)?),
            None => None,
        };
        Ok(Services {
            analytics,
            hasher: Hasher::new(config.auth.hash_concurrency),
            budget: SendBudget::new(&config, &db),
            relay: RelayClient::new(&config)?,
            config: Arc::new(config),
            db,
            wakeup: Wakeup::default(),
        })
    }
}

/// Wakes the job workers of this process (after enqueueing work).
#[derive(Clone, Default)]
pub struct Wakeup(Arc<Notify>);

impl Wakeup {
    pub fn wake(&self) {
        self.0.notify_waiters();
    }

    pub async fn wait(&self) {
        self.0.notified().await
    }
}
