//! Password hashing with Argon2id (the crate's defaults: 19 MiB, 2 passes), run on the
//! blocking pool and limited to one hash per core at a time, so a storm of sign-ins
//! queues instead of starving the async workers that serve unlocks.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use tokio::sync::Semaphore;

use crate::error::ApiError;

/// Bounds on a password's length, in characters.
pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 256;

#[derive(Debug)]
pub struct Passwords {
    permits: Semaphore,
    /// Verified against when the user does not exist, so that an unknown identifier takes
    /// as long to refuse as a wrong password.
    dummy_hash: String,
}

impl Default for Passwords {
    fn default() -> Self {
        Passwords::new()
    }
}

impl Passwords {
    pub fn new() -> Passwords {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Passwords {
            permits: Semaphore::new(cores),
            dummy_hash: hash_now("latchkey dummy password").expect("argon2 hashes a constant"),
        }
    }

    /// The Argon2id PHC string of `password`.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        let _permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        tokio::task::spawn_blocking(move || hash_now(&password))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)
    }

    /// Whether `password` matches `hash`; with no hash, spends the same time and says no.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        let _permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        let (hash, known) = match hash {
            Some(h) => (h, true),
            None => (self.dummy_hash.clone(), false),
        };
        let matches = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
        })
        .await
        .map_err(ApiError::internal)?;
        Ok(known && matches)
    }
}

fn hash_now(password: &str) -> Result<String, argon2::password_hash::Error> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_the_right_password_only() {
        let p = Passwords::new();
        let hash = p.hash("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(
            p.verify("correct horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!p.verify("wrong horse".into(), Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_user_never_matches_even_the_dummy_password() {
        let p = Passwords::new();
        assert!(
            !p.verify("latchkey dummy password".into(), None)
                .await
                .unwrap()
        );
    }
}
