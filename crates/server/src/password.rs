//! Password hashing with Argon2id (the crate's defaults: 19 MiB, 2 passes) on a few
//! threads of its own — half the cores, at least one. A storm of sign-ins queues for them
//! instead of taking every core from the async workers that serve unlocks, and only
//! those threads ever hold Argon2's memory (on the shared blocking pool, each of up to
//! hundreds of threads would keep its own 19 MiB). After each hash a thread rests as long
//! as the hash took: sustained hashing takes at most half of those threads' cores, a
//! quarter of the machine. One sign-in is answered at full speed (the rest comes after
//! its answer); a storm of them is served at half speed, and the requests beside it keep
//! three quarters of the machine.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use tokio::sync::{mpsc, oneshot};

use crate::error::ApiError;

/// Bounds on a password's length, in characters.
pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 256;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Debug)]
pub struct Passwords {
    jobs: mpsc::UnboundedSender<Job>,
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
    /// Starts the hashing threads, half the cores; they end when the `Passwords` is dropped.
    pub fn new() -> Passwords {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Passwords::with_threads((cores / 2).max(1))
    }

    fn with_threads(threads: usize) -> Passwords {
        let (jobs, queue) = mpsc::unbounded_channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = match queue.lock() {
                            Ok(mut queue) => queue.blocking_recv(),
                            Err(_) => None,
                        };
                        let Some(job) = job else { break };
                        let started = Instant::now();
                        job();
                        std::thread::sleep(started.elapsed());
                    }
                })
                .expect("the system starts a thread");
        }
        Passwords {
            jobs,
            dummy_hash: hash_now("latchkey dummy password").expect("argon2 hashes a constant"),
        }
    }

    /// Runs `work` on a hashing thread.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (answer, answered) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = answer.send(work());
            }))
            .map_err(|_| ApiError::internal("the password threads are gone"))?;
        answered.await.map_err(ApiError::internal)
    }

    /// The Argon2id PHC string of `password`.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        self.run(move || hash_now(&password))
            .await?
            .map_err(ApiError::internal)
    }

    /// Whether `password` matches `hash`; with no hash, spends the same time and says no.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        let (hash, known) = match hash {
            Some(h) => (h, true),
            None => (self.dummy_hash.clone(), false),
        };
        let matches = self
            .run(move || {
                PasswordHash::new(&hash).is_ok_and(|parsed| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
            })
            .await?;
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
    use std::time::Duration;

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
    async fn a_thread_rests_as_long_as_its_last_hash_took_before_the_next() {
        let p = Passwords::with_threads(1);
        let work = Duration::from_millis(150);
        let started = Instant::now();
        let (first, second) = tokio::join!(p.run(move || std::thread::sleep(work)), p.run(|| ()));
        first.unwrap();
        second.unwrap();
        // The second job waited for the first's work and then for its rest.
        assert!(started.elapsed() >= work * 2, "{:?}", started.elapsed());
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
