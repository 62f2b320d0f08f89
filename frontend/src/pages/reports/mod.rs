//! "Reportes": Doppler's delivery reports — requesting, processing, downloading and loading
//! them into a database.

mod list;
mod request;

pub use list::ReportList;
