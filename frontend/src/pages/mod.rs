//! One folder per resource; each page reads its state from the URL and the API.

pub mod account;
pub mod attachments;
pub mod audit;
pub mod bulk_sends;
pub mod errors;
pub mod lazy;
pub mod messages;
pub mod reports;
pub mod senders;
pub mod session;
pub mod system;
pub mod table;
pub mod templates;
pub mod users;
