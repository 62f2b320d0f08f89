//! Relay Console: bulk e-mail campaigns through Doppler Relay and their delivery reports.
//!
//! `routes` (HTTP) → services (`accounts`, `senders`, ...) → `entities`/SQL. Services know
//! nothing of HTTP; the CLI in `main.rs` calls the same services.

pub mod accounts;
pub mod app;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod bulk_sends;
pub mod cache;
pub mod cli;
pub mod config;
pub mod db;
pub mod email;
pub mod entities;
pub mod error;
pub mod extract;
pub mod input;
pub mod jobs;
pub mod messages;
pub mod observability;
pub mod pagination;
pub mod recipients;
pub mod relay;
pub mod reports;
pub mod routes;
pub mod senders;
pub mod server;
pub mod storage;
pub mod templates;
