//! Black-box tests: the real server on a real port, exercised over HTTP, on SQLite and on
//! PostgreSQL (a fresh database per test on 127.0.0.1:5432, or `TEST_POSTGRES_URL`).

// A test states what it expects with unwrap and expect; a failure is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod abuse;
mod account_safety;
mod accounts;
mod api_surface;
mod attachments;
mod auth;
mod cli;
mod csv_files;
mod csv_import;
mod doctor;
mod doppler_contract;
mod hardening;
mod message_recovery;
mod messages;
mod operator_files;
mod privileges;
mod recovery;
mod relay;
mod report_automation;
mod reports;
mod roles;
mod scoping;
mod secrets;
mod send_control;
mod senders;
mod sending;
mod sending_rate;
mod sessions;
mod templates;
