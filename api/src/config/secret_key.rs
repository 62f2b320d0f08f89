//! The key that signs access tokens: checked hard outside DEBUG (anyone who can guess it
//! can sign in as anyone), generated and kept in the data directory in development.

use std::collections::HashMap;
use std::path::Path;

use secrecy::SecretString;

use super::ConfigError;

/// Values published in our own example files: anyone who read them could sign tokens.
const EXAMPLE_SECRET_KEYS: [&str; 3] =
    ["change-me-to-a-long-random-string", "change-me", "changeme"];

/// Why a `SECRET_KEY` cannot protect a production deployment, if it cannot.
pub fn check_secret_key(key: &str) -> Result<(), String> {
    const HINT: &str = "generate one with `openssl rand -base64 48`";
    if EXAMPLE_SECRET_KEYS
        .iter()
        .any(|example| key.eq_ignore_ascii_case(example))
    {
        return Err(format!("is the placeholder from the example file; {HINT}"));
    }
    if key.len() < 32 {
        return Err(format!(
            "must be at least 32 bytes long (it has {}); {HINT}",
            key.len()
        ));
    }
    if estimated_entropy_bits(key) < 128.0 || has_short_period(key) {
        return Err(format!(
            "is too predictable (repeated or few distinct characters); {HINT}"
        ));
    }
    Ok(())
}

/// Shannon entropy of the key's characters times its length: a rough upper bound of its
/// unpredictability (48 random base64 characters give about 280 bits).
fn estimated_entropy_bits(key: &str) -> f64 {
    let mut counts: HashMap<char, usize> = HashMap::new();
    for c in key.chars() {
        *counts.entry(c).or_default() += 1;
    }
    let n = key.chars().count() as f64;
    let per_char: f64 = counts
        .values()
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum();
    per_char * n
}

/// A key that is one short piece repeated (`abcabcabc…`, `0123…f0123…f`).
fn has_short_period(key: &str) -> bool {
    let bytes = key.as_bytes();
    (1..=bytes.len() / 2).any(|period| {
        bytes.len().is_multiple_of(period) && bytes.chunks(period).all(|c| c == &bytes[..period])
    })
}

/// In DEBUG without `SECRET_KEY`, a random key kept in the data directory so sessions
/// survive restarts of a development server.
pub fn development_secret_key(data_dir: &Path) -> Result<SecretString, ConfigError> {
    use rand::Rng;
    let path = data_dir.join(".secret_key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if existing.trim().len() >= 16 {
            // A key an older version left readable by everyone is closed now.
            restrict_to_owner(&path)?;
            return Ok(SecretString::from(existing.trim().to_string()));
        }
    }
    let key: String = rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(48)
        .map(char::from)
        .collect();
    let written = std::fs::create_dir_all(data_dir).and_then(|_| {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        // Readable by its owner only, from the moment it exists: anyone who reads it can
        // sign tokens for any account.
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut file| file.write_all(key.as_bytes()))
    });
    written.map_err(|e| {
        ConfigError::new("DATA_DIR", format!("cannot write {}: {e}", path.display()))
    })?;
    restrict_to_owner(&path)?;
    Ok(SecretString::from(key))
}

fn restrict_to_owner(path: &Path) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| {
        ConfigError::new(
            "DATA_DIR",
            format!("cannot protect {}: {e}", path.display()),
        )
    })
}
