//! Request and response bodies of the Relay Console JSON API.
//!
//! The API serialises these and the SPA deserialises them, so both sides cannot drift.
//! With the `openapi` feature every type also describes itself for the OpenAPI document.

pub mod auth;
pub mod bulk;
pub mod common;
pub mod limits;
pub mod mustache;
pub mod relay;
pub mod reports;
#[macro_use]
pub mod states;
pub mod audit;
pub mod errors;

/// For an optional member that may be left out but not sent as `null` (what the OpenAPI
/// document says with `nullable: false`): present means a value.
pub fn not_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

pub use audit::AuditAction;
pub use auth::*;
pub use bulk::*;
pub use common::*;
pub use errors::ErrorCode;
pub use relay::*;
pub use reports::*;
pub use states::*;
