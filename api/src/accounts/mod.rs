//! Users, groups and their permissions, and who may change them.

pub mod api_tokens;
pub mod groups;
pub mod passwords;
pub mod privileges;
mod user_list;
pub mod users;
