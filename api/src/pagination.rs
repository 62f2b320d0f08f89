//! `?page=&page_size=` (1-based) and the `{items, total, page, page_size}` answer.
//! Values outside the documented bounds are refused (422 naming the parameter), never
//! clamped silently.

use relay_types::Page;
use serde::{Deserialize, Deserializer};

pub use relay_types::limits::{
    PAGE_SIZE_DEFAULT as DEFAULT_PAGE_SIZE, PAGE_SIZE_MAX as MAX_PAGE_SIZE,
};
/// Far beyond any real list; keeps `(page - 1) * page_size` an ordinary number.
pub const MAX_PAGE: u64 = 1_000_000;

#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, from 1.
    #[serde(default, deserialize_with = "page_number")]
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    /// Items per page (1–500, default 25).
    #[serde(default, deserialize_with = "page_size")]
    #[param(minimum = 1, maximum = 500)]
    pub page_size: Option<u64>,
}

fn bounded<'de, D: Deserializer<'de>>(deserializer: D, max: u64) -> Result<Option<u64>, D::Error> {
    let value = u64::deserialize(deserializer)?;
    if (1..=max).contains(&value) {
        Ok(Some(value))
    } else {
        Err(serde::de::Error::custom(format!(
            "must be between 1 and {max}, got {value}"
        )))
    }
}

fn page_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    bounded(deserializer, MAX_PAGE)
}

fn page_size<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    bounded(deserializer, MAX_PAGE_SIZE)
}

#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub page: u64,
    pub page_size: u64,
}

impl PageRequest {
    pub fn offset(self) -> u64 {
        (self.page - 1) * self.page_size
    }

    pub fn wrap<T>(self, items: Vec<T>, total: u64) -> Page<T> {
        Page {
            items,
            total,
            page: self.page,
            page_size: self.page_size,
        }
    }
}

impl From<PageParams> for PageRequest {
    fn from(p: PageParams) -> Self {
        PageRequest {
            page: p.page.unwrap_or(1),
            page_size: p.page_size.unwrap_or(DEFAULT_PAGE_SIZE),
        }
    }
}

/// Most characters a search text (`q`) may have.
pub const MAX_SEARCH_CHARS: usize = 200;

/// `q`: the text to search for, at most [`MAX_SEARCH_CHARS`] characters.
pub fn search_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let value = String::deserialize(deserializer)?;
    if value.chars().count() > MAX_SEARCH_CHARS {
        return Err(serde::de::Error::custom(format!(
            "must be at most {MAX_SEARCH_CHARS} characters"
        )));
    }
    Ok(Some(value))
}

/// A comma-separated list of values (`status=queued,sending`); leave the parameter out
/// for no filter.
pub fn comma_list<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let value = String::deserialize(deserializer)?;
    let items: Result<Vec<T>, _> = value.split(',').map(str::parse).collect();
    items.map(Some).map_err(serde::de::Error::custom)
}

/// An audit action filter, at most 100 characters.
pub fn action_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let value = String::deserialize(deserializer)?;
    if value.chars().count() > 100 {
        return Err(serde::de::Error::custom("must be at most 100 characters"));
    }
    Ok(Some(value))
}
