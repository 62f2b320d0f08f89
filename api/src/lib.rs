//! Relay Console: bulk e-mail campaigns through Doppler Relay and their delivery reports.
//!
//! `routes` (HTTP) → services (`accounts`, `senders`, ...) → `entities`/SQL. Services know
//! nothing of HTTP; the CLI in `main.rs` calls the same services.

pub mod accounts;
pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod email;
pub mod entities;
pub mod error;
pub mod extract;
pub mod observability;
pub mod pagination;
pub mod routes;
pub mod senders;
pub mod server;
