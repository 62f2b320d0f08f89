//! Relay Console: bulk e-mail campaigns through Doppler Relay and their delivery reports.
//!
//! `http` (routes, extractors, problem answers) → domain services (`bulk_sends`,
//! `reports`, ...) taking [`services::Services`] → `db`, `entities`, `relay`. Services know
//! nothing of HTTP; the CLI and the workers call the same services. ARCHITECTURE.md at the
//! repository root walks through it.

pub mod accounts;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod bulk_sends;
pub mod cache;
pub mod cli;
pub mod config;
pub mod cpu_pool;
pub mod csv_input;
pub mod db;
pub mod email;
pub mod entities;
pub mod error;
pub mod http;
pub mod input;
pub mod jobs;
pub mod messages;
pub mod observability;
pub mod pagination;
pub mod recipients;
pub mod relay;
pub mod reports;
pub mod send_budget;
pub mod senders;
pub mod server;
pub mod services;
pub mod storage;
pub mod system_checks;
pub mod templates;
pub mod workers;
