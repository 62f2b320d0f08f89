//! sea-orm mappings of the tables defined in `migration/`.

pub mod api_token;
pub mod attachment;
pub mod audit_log;
pub mod bulk_send;
pub mod bulk_send_attachment;
pub mod cache_entry;
pub mod generated_report;
pub mod group;
pub mod group_permission;
pub mod job;
pub mod message;
pub mod message_attachment;
pub mod permission;
pub mod recipient;
pub mod refresh_token;
pub mod report_load;
pub mod sender;
pub mod user;
pub mod user_group;
pub mod user_permission;
