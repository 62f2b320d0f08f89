//! Request and response bodies of the Relay Console JSON API.
//!
//! The API serialises these and the SPA deserialises them, so both sides cannot drift.
//! With the `openapi` feature every type also describes itself for the OpenAPI document.

pub mod auth;
pub mod bulk;
pub mod common;
pub mod relay;
pub mod reports;

pub use auth::*;
pub use bulk::*;
pub use common::*;
pub use relay::*;
pub use reports::*;
