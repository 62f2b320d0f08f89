//! Users, groups and their permissions, and who may change them.

pub mod groups;
pub mod privileges;
pub mod users;
