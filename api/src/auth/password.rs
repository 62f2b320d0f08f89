//! Password hashing with argon2id, off the async threads (hashing is deliberately slow),
//! at most a configured number at once: each hash takes ~19 MB and a core for a moment, so
//! a flood of logins waits briefly and is then turned away instead of exhausting memory.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{AppError, ErrorKind};

pub const MIN_PASSWORD_LENGTH: usize = 8;
/// Longer passwords are refused before hashing: they add nothing but work.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// How long a password check waits for a free hashing slot before answering 503.
const SLOT_WAIT: Duration = Duration::from_secs(2);

pub fn check_policy(password: &str, field: &str) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD_LENGTH {
        return Err(AppError::invalid(
            field,
            "password_too_short",
            format!("La contraseña debe tener al menos {MIN_PASSWORD_LENGTH} caracteres."),
            format!("The password must be at least {MIN_PASSWORD_LENGTH} characters long."),
        ));
    }
    check_length(password, field)
}

/// 422 for a password longer than [`MAX_PASSWORD_CHARS`].
pub fn check_length(password: &str, field: &str) -> Result<(), AppError> {
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(AppError::invalid(
            field,
            "password_too_long",
            format!("La contraseña admite hasta {MAX_PASSWORD_CHARS} caracteres."),
            format!("The password takes at most {MAX_PASSWORD_CHARS} characters."),
        ));
    }
    Ok(())
}

/// Hashes and verifies passwords, a bounded number at a time.
#[derive(Clone)]
pub struct Hasher {
    slots: Arc<Semaphore>,
}

impl Hasher {
    pub fn new(concurrency: usize) -> Hasher {
        Hasher {
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    async fn slot(&self) -> Result<OwnedSemaphorePermit, AppError> {
        match tokio::time::timeout(SLOT_WAIT, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(AppError::new(
                ErrorKind::Unavailable,
                "auth_busy",
                "El servidor está atendiendo muchos inicios de sesión; intenta de nuevo en un momento.",
                "The server is handling many sign-ins; try again in a moment.",
            )
            .with("retry_after", 1)
            .retry_after(1)),
        }
    }

    pub async fn hash(&self, password: SecretString) -> Result<String, AppError> {
        let permit = self.slot().await?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            hash_blocking(password.expose_secret())
        })
        .await?
    }

    /// Checks a password against a stored hash. Without a stored hash (unknown user) it
    /// verifies against a fixed hash anyway, so both cases take the same time.
    pub async fn verify(
        &self,
        password: SecretString,
        stored: Option<String>,
    ) -> Result<bool, AppError> {
        let permit = self.slot().await?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let stored = stored.unwrap_or_else(|| dummy_hash().to_string());
            let Ok(parsed) = PasswordHash::new(&stored) else {
                return false;
            };
            Argon2::default()
                .verify_password(password.expose_secret().as_bytes(), &parsed)
                .is_ok()
        })
        .await
        .map_err(AppError::from)
    }
}

fn hash_blocking(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("password hashing failed: {e}")))
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_blocking("relay-console-timing-equaliser").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_are_argon2id() {
        let hasher = Hasher::new(2);
        let h = hasher
            .hash(SecretString::from("correct horse"))
            .await
            .unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(hasher
            .verify(SecretString::from("correct horse"), Some(h.clone()))
            .await
            .unwrap());
        assert!(!hasher
            .verify(SecretString::from("wrong"), Some(h))
            .await
            .unwrap());
        assert!(!hasher.verify(SecretString::from("x"), None).await.unwrap());
    }

    #[tokio::test]
    async fn a_full_hasher_turns_work_away_with_retry_after() {
        let hasher = Hasher::new(1);
        let held = hasher.slots.clone().acquire_owned().await.unwrap();
        let err = hasher
            .verify(SecretString::from("x"), None)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unavailable);
        assert_eq!(err.retry_after, Some(1));
        drop(held);
        assert!(!hasher.verify(SecretString::from("x"), None).await.unwrap());
    }
}
