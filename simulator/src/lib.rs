//! `relay-sim`: a stateful stand-in for the parts of the Doppler Relay API that Relay
//! Console calls, with fault injection.
//!
//! It checks the API key (`Bearer` or `token` scheme), keeps templates (bodies served
//! through their `get-template-body` link), validates and remembers every message sent,
//! answers report requests that become ready after a delay with a summary CSV built from
//! the messages it actually received, and can inject latency, 429s, 500/503s, hanging
//! requests, dropped connections and a quota (402) — set at start or changed at run time
//! through `PUT /_sim/faults`. `GET /_sim/messages` lists what was received.

mod faults;
mod reports;
mod routes;
mod server;
mod state;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub use faults::{DownloadStyle, Faults, QuotaBody, TemplateBodyStyle};
use state::Sim;
pub use state::{ReceivedMessage, ReportRequest, RequestRecord, SeedTemplate};

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub api_key: String,
    pub account_id: i64,
    /// Seeds message ids, template ids and the report outcomes: same seed, same answers.
    pub seed: u64,
    pub faults: Faults,
    /// Start with the realistic Spanish collection templates.
    pub seed_templates: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            api_key: "sim-api-key".into(),
            account_id: 9518,
            seed: 20251026,
            faults: Faults::default(),
            seed_templates: true,
        }
    }
}

pub(crate) type Shared = Arc<Mutex<Sim>>;

/// A running simulator.
pub struct SimHandle {
    pub addr: SocketAddr,
    state: Shared,
    shutdown: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl SimHandle {
    /// The base URL to configure as `DOPPLER_RELAY_BASE_URL`.
    pub fn base_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn messages(&self) -> Vec<ReceivedMessage> {
        self.lock().messages.clone()
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        self.lock().requests.clone()
    }

    pub fn faults(&self) -> Faults {
        self.lock().faults.clone()
    }

    pub fn set_faults(&self, faults: Faults) {
        self.lock().faults = faults;
    }

    /// Makes every report download `csv` (or, with `None`, a CSV built from the messages).
    pub fn set_report_csv(&self, csv: Option<String>) {
        self.lock().canned_report = csv;
    }

    /// The report requests received, in the order they came.
    pub fn report_requests(&self) -> Vec<ReportRequest> {
        let mut all: Vec<ReportRequest> = self.lock().reports.values().cloned().collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }

    /// A template's HTML as the simulator holds it (written with `PUT .../body`).
    pub fn template_body(&self, id: &str) -> Option<String> {
        self.lock().templates.get(id).map(|t| t.body.clone())
    }

    /// Ids of the templates the simulator holds, by name.
    pub fn template_id(&self, name: &str) -> Option<String> {
        self.lock()
            .templates
            .values()
            .find(|t| t.name == name)
            .map(|t| t.id.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Sim> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Starts the simulator on `listen` (port 0 picks a free port).
pub async fn start(config: SimConfig, listen: SocketAddr) -> std::io::Result<SimHandle> {
    let state: Shared = Arc::new(Mutex::new(Sim::new(&config)));
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (shutdown, watch) = tokio::sync::watch::channel(false);
    let router = routes::router(state.clone());
    let task = tokio::spawn(server::serve(listener, router, watch));
    Ok(SimHandle {
        addr,
        state,
        shutdown,
        task,
    })
}
