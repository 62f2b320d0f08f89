//! One module per resource: thin handlers with their `#[utoipa::path]`, and the router
//! that serves them.

pub mod attachments;
pub mod audit;
pub mod auth;
pub mod bulk_sends;
pub mod csv;
pub mod groups;
pub mod health;
pub mod jobs;
pub mod messages;
pub mod reports;
pub mod senders;
pub mod system;
pub mod templates;
pub mod tokens;
pub mod users;
