//! Sign-in throttling: failures counted per key (an identifier or a client address) in a
//! fixed window that opens at the first failure. Once a key has `max_failures` in its
//! window, attempts are refused until the window closes; a success clears the key.
//! The caller passes the time, so tests move it instead of sleeping.

use std::collections::HashMap;

/// How many failures a key may have within a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max_failures: u32,
    pub window_ms: i64,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    failures: u32,
    opened_at: i64,
}

/// Entries kept before expired ones are swept out.
const SWEEP_AT: usize = 10_000;

/// Failure counts per key under one [`Limit`].
#[derive(Debug)]
pub struct FailureCounter {
    limit: Limit,
    windows: HashMap<String, Window>,
}

impl FailureCounter {
    pub fn new(limit: Limit) -> Self {
        FailureCounter {
            limit,
            windows: HashMap::new(),
        }
    }

    fn open_window(&self, key: &str, now_ms: i64) -> Option<Window> {
        self.windows
            .get(key)
            .copied()
            .filter(|w| now_ms < w.opened_at + self.limit.window_ms)
    }

    /// `Err(seconds)` to wait when `key` has used up its failures, else `Ok`.
    pub fn check(&self, key: &str, now_ms: i64) -> Result<(), u64> {
        match self.open_window(key, now_ms) {
            Some(w) if w.failures >= self.limit.max_failures => {
                let wait_ms = w.opened_at + self.limit.window_ms - now_ms;
                Err(u64::try_from(wait_ms).unwrap_or(0).div_ceil(1000).max(1))
            }
            _ => Ok(()),
        }
    }

    /// Counts one failure for `key`.
    pub fn record_failure(&mut self, key: &str, now_ms: i64) {
        let window = match self.open_window(key, now_ms) {
            Some(w) => Window {
                failures: w.failures.saturating_add(1),
                ..w
            },
            None => Window {
                failures: 1,
                opened_at: now_ms,
            },
        };
        if self.windows.len() >= SWEEP_AT {
            let window_ms = self.limit.window_ms;
            self.windows.retain(|_, w| now_ms < w.opened_at + window_ms);
        }
        self.windows.insert(key.to_owned(), window);
    }

    /// Forgets the failures of `key` (after a successful sign-in).
    pub fn clear(&mut self, key: &str) {
        self.windows.remove(key);
    }

    /// Keys currently tracked.
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Limit = Limit {
        max_failures: 3,
        window_ms: 60_000,
    };

    #[test]
    fn refuses_after_max_failures_until_the_window_closes() {
        let mut c = FailureCounter::new(LIMIT);
        for t in 0..3 {
            assert_eq!(c.check("ada", t * 1000), Ok(()));
            c.record_failure("ada", t * 1000);
        }
        assert_eq!(c.check("ada", 3_000), Err(57));
        assert_eq!(c.check("ada", 59_999), Err(1));
        assert_eq!(c.check("ada", 60_000), Ok(()));
        assert_eq!(c.check("bob", 3_000), Ok(()), "other keys are not affected");
    }

    #[test]
    fn a_new_window_starts_fresh() {
        let mut c = FailureCounter::new(LIMIT);
        for _ in 0..3 {
            c.record_failure("ada", 0);
        }
        c.record_failure("ada", 60_000);
        assert_eq!(c.check("ada", 60_001), Ok(()));
    }

    #[test]
    fn success_clears_the_key() {
        let mut c = FailureCounter::new(LIMIT);
        for _ in 0..3 {
            c.record_failure("ada", 0);
        }
        c.clear("ada");
        assert_eq!(c.check("ada", 1), Ok(()));
    }

    #[test]
    fn expired_windows_are_swept_when_the_map_is_large() {
        let mut c = FailureCounter::new(LIMIT);
        for i in 0..SWEEP_AT {
            c.record_failure(&format!("k{i}"), 0);
        }
        assert_eq!(c.len(), SWEEP_AT);
        c.record_failure("late", 120_000);
        assert_eq!(c.len(), 1);
    }
}
