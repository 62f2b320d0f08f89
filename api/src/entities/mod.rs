//! sea-orm mappings of the tables defined in `migration/`.

pub mod api_token;
pub mod audit_log;
pub mod group;
pub mod group_permission;
pub mod permission;
pub mod refresh_token;
pub mod sender;
pub mod user;
pub mod user_group;
pub mod user_permission;
