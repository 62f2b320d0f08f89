//! The pieces every page is built from: one table, one pager, one search box, badges with the
//! legacy colours, the progress bar, the confirm dialog, charts, and the app's frame.

pub mod attachments;
pub mod badge;
pub mod charts;
pub mod confirm;
pub mod form;
pub mod guard;
pub mod loaded;
pub mod pager;
pub mod progress;
pub mod search;
pub mod sender_select;
pub mod shell;
pub mod table;
pub mod tabs;
pub mod token_list;
pub mod when;
