//! The simulated driver: plays the whole status sequence, spread over `latencyMs`.
//! `offline` never receives the command (the deadline answers `ERROR_RECEIVING_TIMEOUT_SRV`,
//! 200); `failAt` fails at a stage: a progress status (the device reports the failure of
//! the stage that would reach it) or an error code (answered at its stage).

use std::time::Duration;

use async_trait::async_trait;
use latchkey_core::status::{self, Command, Side};

use super::{LockDriver, Progress};

#[derive(Debug, Clone)]
pub struct Simulated {
    pub latency_ms: u32,
    pub offline: bool,
    pub fail_at: Option<u16>,
}

#[async_trait]
impl LockDriver for Simulated {
    async fn run(&self, command: Command, progress: Progress<'_>) -> u16 {
        if self.offline {
            return std::future::pending().await;
        }
        let steps = &command.progress()[1..];
        let pause = Duration::from_millis(u64::from(self.latency_ms) / steps.len() as u64);
        let mut reached = command.initiated();
        for &next in steps {
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            if let Some(fail) = self.fail_at {
                let failure = status::stage_error(command, reached, Side::Hub);
                let fails_here =
                    fail == next || (status::is_error(fail) && fail / 100 == failure / 100);
                if fails_here {
                    return if status::is_error(fail) {
                        fail
                    } else {
                        failure
                    };
                }
            }
            if next == command.done() {
                return next;
            }
            progress(next);
            reached = next;
        }
        command.done()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    async fn play(driver: Simulated, command: Command) -> (Vec<u16>, u16) {
        let seen = Mutex::new(Vec::new());
        let report = |s: u16| seen.lock().unwrap().push(s);
        let end = driver.run(command, &report).await;
        (seen.into_inner().unwrap(), end)
    }

    fn sim(fail_at: Option<u16>) -> Simulated {
        Simulated {
            latency_ms: 0,
            offline: false,
            fail_at,
        }
    }

    #[tokio::test]
    async fn plays_every_status_then_succeeds() {
        assert_eq!(
            play(sim(None), Command::Unlock).await,
            (vec![20, 30, 40, 50, 60], 70)
        );
        assert_eq!(
            play(sim(None), Command::Lock).await,
            (vec![21, 31, 41, 51, 61], 81)
        );
    }

    #[tokio::test]
    async fn fails_at_the_stage_it_is_told() {
        assert_eq!(
            play(sim(Some(50)), Command::Unlock).await,
            (vec![20, 30, 40], 500)
        );
        assert_eq!(
            play(sim(Some(700)), Command::Unlock).await,
            (vec![20, 30, 40, 50, 60], 700)
        );
        assert_eq!(
            play(sim(Some(70)), Command::Unlock).await,
            (vec![20, 30, 40, 50, 60], 700)
        );
    }

    #[tokio::test]
    async fn offline_never_answers() {
        let offline = Simulated {
            latency_ms: 0,
            offline: true,
            fail_at: None,
        };
        let report = |_: u16| {};
        let ran = tokio::time::timeout(
            Duration::from_millis(50),
            offline.run(Command::Unlock, &report),
        )
        .await;
        assert!(ran.is_err());
    }
}
