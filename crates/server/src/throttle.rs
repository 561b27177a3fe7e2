//! Sign-in throttling per identifier and per client address, over the pure counters of
//! `latchkey_core::throttle`. Kept in this process's memory: with several servers behind
//! a balancer each counts its own share (see docs/architecture.md).

use std::net::IpAddr;
use std::sync::Mutex;

use latchkey_core::throttle::{FailureCounter, Limit};

use crate::config::AuthSettings;

#[derive(Debug)]
pub struct SignInThrottle {
    by_identifier: Mutex<FailureCounter>,
    by_address: Mutex<FailureCounter>,
}

impl SignInThrottle {
    pub fn new(auth: &AuthSettings) -> SignInThrottle {
        let window_ms = i64::from(auth.signin_window_seconds) * 1000;
        let counter = |max_failures| {
            Mutex::new(FailureCounter::new(Limit {
                max_failures,
                window_ms,
            }))
        };
        SignInThrottle {
            by_identifier: counter(auth.signin_failures_per_identifier),
            by_address: counter(auth.signin_failures_per_address),
        }
    }

    /// `Err(seconds to wait)` when the identifier or the address is throttled.
    pub fn check(&self, identifier: &str, address: IpAddr, now: i64) -> Result<(), u64> {
        let by_identifier = lock(&self.by_identifier).check(identifier, now);
        let by_address = lock(&self.by_address).check(&address.to_string(), now);
        match (by_identifier, by_address) {
            (Err(a), Err(b)) => Err(a.max(b)),
            (Err(wait), Ok(())) | (Ok(()), Err(wait)) => Err(wait),
            (Ok(()), Ok(())) => Ok(()),
        }
    }

    pub fn record_failure(&self, identifier: &str, address: IpAddr, now: i64) {
        lock(&self.by_identifier).record_failure(identifier, now);
        lock(&self.by_address).record_failure(&address.to_string(), now);
    }

    /// A success clears the identifier, not the address: one good account must not
    /// reset the count of an address that is guessing others.
    pub fn record_success(&self, identifier: &str) {
        lock(&self.by_identifier).clear(identifier);
    }
}

/// The counters hold no invariant a panic could break, so a poisoned lock is still usable.
fn lock(m: &Mutex<FailureCounter>) -> std::sync::MutexGuard<'_, FailureCounter> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
