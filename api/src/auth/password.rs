//! Passwords: the policy a new one must meet, and hashing with argon2id off the async
//! threads (hashing is deliberately slow), at most a configured number at once, each in a
//! pooled buffer: a flood of logins waits briefly and is then turned away, and leaves no
//! memory behind.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use relay_types::limits::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{AppError, ErrorCode, ErrorKind};

/// How long a password check waits for a free hashing slot before answering 503.
const SLOT_WAIT: Duration = Duration::from_secs(2);

/// A new password's rules (OWASP ASVS 2.1): at least [`PASSWORD_MIN_CHARS`] characters
/// besides spaces, at most [`PASSWORD_MAX_CHARS`], and not easily guessed — none of the
/// commonest passwords (zxcvbn's list of 30,000, with l33t spellings), no keyboard run,
/// repeat or sequence, nothing built on the account's own name (`personal`).
pub fn check_policy(password: &str, field: &str, personal: &[&str]) -> Result<(), AppError> {
    check_length(password, field)?;
    if password.trim().chars().count() < PASSWORD_MIN_CHARS {
        return Err(AppError::invalid(
            field,
            ErrorCode::PasswordTooShort,
            format!("La contraseña debe tener al menos {PASSWORD_MIN_CHARS} caracteres (una frase de varias palabras sirve)."),
            format!("The password must be at least {PASSWORD_MIN_CHARS} characters long (a phrase of a few words will do)."),
        )
        .with("min_length", PASSWORD_MIN_CHARS));
    }
    // Scores 0 and 1 are under a million guesses: a list attack finds them at once.
    if zxcvbn::zxcvbn(password, personal).score() < zxcvbn::Score::Two {
        return Err(AppError::invalid(
            field,
            ErrorCode::PasswordTooCommon,
            "La contraseña es demasiado común o predecible (una palabra o clave conocida, una secuencia, o su nombre de usuario). Elija otra, por ejemplo una frase de varias palabras.",
            "The password is too common or predictable (a well-known word or password, a sequence, or your username). Choose another, for instance a phrase of a few words.",
        ));
    }
    Ok(())
}

/// 422 for a password longer than [`PASSWORD_MAX_CHARS`].
pub fn check_length(password: &str, field: &str) -> Result<(), AppError> {
    if password.chars().count() > PASSWORD_MAX_CHARS {
        return Err(AppError::invalid(
            field,
            ErrorCode::PasswordTooLong,
            format!("La contraseña admite hasta {PASSWORD_MAX_CHARS} caracteres."),
            format!("The password takes at most {PASSWORD_MAX_CHARS} characters."),
        ));
    }
    Ok(())
}

/// Hashes and verifies passwords, a bounded number at a time, each in a memory buffer
/// taken from a pool: argon2 needs ~19 MB per computation, and buffers allocated per call
/// stayed resident after a burst (the allocator keeps them in per-thread arenas), so a
/// hundred logins left a gigabyte behind. The pool holds at most one buffer per slot.
#[derive(Clone)]
pub struct Hasher {
    slots: Arc<Semaphore>,
    buffers: Arc<Mutex<Vec<Vec<Block>>>>,
}

impl Hasher {
    pub fn new(concurrency: usize) -> Hasher {
        Hasher {
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            buffers: Arc::new(Mutex::new(Vec::new())),
        }
    }

    async fn slot(&self) -> Result<OwnedSemaphorePermit, AppError> {
        match tokio::time::timeout(SLOT_WAIT, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(AppError::new(
                ErrorKind::Unavailable,
                ErrorCode::AuthBusy,
                "El servidor está atendiendo muchos inicios de sesión; intenta de nuevo en un momento.",
                "The server is handling many sign-ins; try again in a moment.",
            )
            .with("retry_after", 1)
            .retry_after(1)),
        }
    }

    /// Runs `work` on a blocking thread, in a slot, with a pooled buffer.
    async fn with_buffer<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let permit = self.slot().await?;
        let buffers = self.buffers.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let taken = buffers.lock().ok().and_then(|mut pool| pool.pop());
            let mut buffer = taken.unwrap_or_default();
            let result = work(&mut buffer);
            if let Ok(mut pool) = buffers.lock() {
                pool.push(buffer);
            }
            result
        })
        .await
        .map_err(AppError::from)
    }

    pub async fn hash(&self, password: SecretString) -> Result<String, AppError> {
        self.with_buffer(move |buffer| hash_with(password.expose_secret(), buffer))
            .await?
    }

    /// Checks a password against a stored hash. Without a stored hash (unknown user) it
    /// verifies against a fixed hash anyway, so both cases take the same time.
    pub async fn verify(
        &self,
        password: SecretString,
        stored: Option<String>,
    ) -> Result<bool, AppError> {
        let dummy = self.dummy_hash().await?;
        self.with_buffer(move |buffer| {
            let stored = stored.unwrap_or(dummy);
            verify_with(password.expose_secret(), &stored, buffer)
        })
        .await
    }

    async fn dummy_hash(&self) -> Result<String, AppError> {
        static DUMMY: OnceLock<String> = OnceLock::new();
        if let Some(hash) = DUMMY.get() {
            return Ok(hash.clone());
        }
        let hash = self
            .hash(SecretString::from("relay-console-timing-equaliser"))
            .await?;
        Ok(DUMMY.get_or_init(|| hash).clone())
    }
}

/// Argon2id with the default parameters (19 MiB, 2 passes, 1 lane), into `buffer`.
fn hash_with(password: &str, buffer: &mut Vec<Block>) -> Result<String, AppError> {
    let failed = |e: &dyn std::fmt::Display| {
        AppError::internal(anyhow::anyhow!("password hashing failed: {e}"))
    };
    let params = Params::default();
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt.decode_b64(&mut salt_bytes).map_err(|e| failed(&e))?;
    let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
    compute(password, salt_raw, &params, &mut out, buffer).map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `stored` (argon2 of any variant and
/// parameters), computed in `buffer`.
fn verify_with(password: &str, stored: &str, buffer: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
        parsed.salt,
        parsed.hash,
    ) else {
        return false;
    };
    let version = parsed
        .version
        .and_then(|v| Version::try_from(v).ok())
        .unwrap_or_default();
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_raw) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params.clone());
    let computed = {
        let needed = params.block_count();
        if buffer.len() < needed {
            buffer.resize(needed, Block::default());
        }
        argon.hash_password_into_with_memory(
            password.as_bytes(),
            salt_raw,
            &mut out,
            &mut buffer[..needed],
        )
    };
    // `Output`'s equality is constant-time.
    computed.is_ok() && Output::new(&out).is_ok_and(|out| out == expected)
}

fn compute(
    password: &str,
    salt: &[u8],
    params: &Params,
    out: &mut [u8],
    buffer: &mut Vec<Block>,
) -> argon2::Result<()> {
    let needed = params.block_count();
    if buffer.len() < needed {
        buffer.resize(needed, Block::default());
    }
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone()).hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        out,
        &mut buffer[..needed],
    )
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
        // A hash made by the argon2 crate's own PHC writer verifies too.
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let theirs = Argon2::default()
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert!(hasher
            .verify(SecretString::from("correct horse"), Some(theirs))
            .await
            .unwrap());
        // One buffer per slot at most, kept for the next computation.
        assert!(hasher.buffers.lock().unwrap().len() <= 2);
    }

    #[test]
    fn the_policy_wants_length_and_something_not_guessable() {
        let code = |p: &str| {
            check_policy(p, "password", &["ana"])
                .err()
                .map(|e| e.code.to_string())
        };
        assert_eq!(code("corto"), Some("password_too_short".to_string()));
        assert_eq!(code("            "), Some("password_too_short".to_string()));
        assert_eq!(
            code("   ab   cd   "),
            Some("password_too_short".to_string())
        );
        assert_eq!(
            code("password1234"),
            Some("password_too_common".to_string())
        );
        assert_eq!(
            code("123456789012"),
            Some("password_too_common".to_string())
        );
        assert_eq!(
            code("qwertyuiopasdf"),
            Some("password_too_common".to_string())
        );
        assert_eq!(
            code("aaaaaaaaaaaaaaa"),
            Some("password_too_common".to_string())
        );
        assert_eq!(
            code("ana123ana123"),
            Some("password_too_common".to_string())
        );
        assert_eq!(
            code(&"x".repeat(1025)),
            Some("password_too_long".to_string())
        );
        assert_eq!(code("caballo correcto grapa bateria"), None);
        assert_eq!(code("Cobranza-Quito-2026!"), None);
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
