//! Users, groups and their permissions.

pub mod groups;
pub mod users;
