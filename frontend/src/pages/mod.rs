//! One folder per resource; each page reads its state from the URL and the API.

pub mod account;
pub mod audit;
pub mod bulk_sends;
pub mod errors;
pub mod reports;
pub mod session;
pub mod templates;
pub mod users;
