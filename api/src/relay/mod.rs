//! Doppler Relay: the HTTP client, the payloads it sends, and what its answers mean.
//!
//! Every call goes through one shared connection pool. The API key lives only in the
//! `Authorization` header (marked sensitive); no error, log line or stored value holds it.

mod client;
pub mod diagnostics;
mod error;
mod file_link;
mod outcome;
pub mod payload;
mod reports;
mod templates;

pub use client::RelayClient;
pub use error::{credentials_en, credentials_es, QuotaInfo, RelayError};
pub use outcome::SendOutcome;
pub use reports::ReportPoll;
pub use templates::RemoteTemplate;
