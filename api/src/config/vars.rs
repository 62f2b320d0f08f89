//! Reading typed values out of a set of variables, naming the variable on failure.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use super::ConfigError;

/// Reads typed values out of a set of variables, naming the variable on failure.
pub struct Vars<'a>(pub &'a HashMap<String, String>);

impl Vars<'_> {
    /// The trimmed value, `None` when unset or blank.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    pub fn string(&self, name: &str, default: &str) -> String {
        self.raw(name).unwrap_or(default).to_string()
    }

    pub fn parse<T: FromStr>(&self, name: &str, default: T, what: &str) -> Result<T, ConfigError> {
        match self.raw(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| ConfigError::new(name, format!("expected {what}, got '{v}'"))),
        }
    }

    pub fn bool(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.raw(name) {
            None => Ok(default),
            Some(v) => parse_bool(v).ok_or_else(|| {
                ConfigError::new(
                    name,
                    format!("expected true/false (1/0, yes/no, on/off), got '{v}'"),
                )
            }),
        }
    }

    pub fn seconds(&self, name: &str, default: u64) -> Result<Duration, ConfigError> {
        let value: f64 = self.parse(name, default as f64, "a number of seconds")?;
        if !(value.is_finite() && value >= 0.0) {
            return Err(ConfigError::new(name, "must be zero or more seconds"));
        }
        Ok(Duration::from_secs_f64(value))
    }

    pub fn minutes(&self, name: &str, default: u64) -> Result<Duration, ConfigError> {
        let value: f64 = self.parse(name, default as f64, "a number of minutes")?;
        if !(value.is_finite() && value >= 0.0) {
            return Err(ConfigError::new(name, "must be zero or more minutes"));
        }
        Ok(Duration::from_secs_f64(value * 60.0))
    }

    pub fn positive<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + Default,
    {
        let value = self.parse(name, default, "a positive whole number")?;
        if value <= T::default() {
            return Err(ConfigError::new(name, "must be greater than zero"));
        }
        Ok(value)
    }
}

pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "y" | "t" => Some(true),
        "0" | "false" | "no" | "off" | "n" | "f" => Some(false),
        _ => None,
    }
}
