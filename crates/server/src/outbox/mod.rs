//! The outbox worker: claims due jobs from the database, runs each (fan-out of audit
//! entries, webhook deliveries, push, invitations), and records how it went, retrying
//! failures on the configured schedule. Jobs are in the database before anything is
//! sent, so a crash or an outage delays them and never loses them (at-least-once).
//!
//! Every server runs one worker. On PostgreSQL several workers share the table (claims
//! skip each other's rows); on SQLite the one server's worker is the only claimer.

pub mod dispatch;
pub mod invite;
pub mod push;
pub mod webhook;

use std::collections::HashSet;
use std::time::Duration;

use latchkey_store::{
    AttemptRecord, DISPATCH, InboxRecord, JobDraft, JobFinish, JobOutcome, JobRecord,
};
use rand::Rng;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::state::AppState;

/// Wakes the worker when new jobs are committed (so they need not wait for a poll).
#[derive(Debug, Default)]
pub struct Wake(Notify);

impl Wake {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// How often finished jobs older than `outbox.keep_days` are deleted.
const PRUNE_EVERY: Duration = Duration::from_mins(10);

/// How one run of a job went.
#[derive(Debug, Default)]
pub struct Report {
    pub result: Outcome,
    /// What was sent and answered, for the delivery log.
    pub status_code: Option<i64>,
    pub duration_ms: Option<i64>,
    pub enqueue: Vec<JobDraft>,
    pub inbox: Vec<InboxRecord>,
    pub delete_device: Option<String>,
    /// Later jobs of the queue done by this run.
    pub also_done: Vec<i64>,
}

/// Success, or a failure worth retrying, or one that retrying cannot mend; or, for a
/// webhook found disabled when its turn came, held with its queue and not sent.
#[derive(Debug, Default, PartialEq, Eq)]
pub enum Outcome {
    #[default]
    Done,
    Retry(String),
    Abort(String),
    Held,
}

impl Report {
    pub fn retry(error: impl Into<String>) -> Report {
        Report {
            result: Outcome::Retry(error.into()),
            ..Report::default()
        }
    }

    pub fn abort(error: impl Into<String>) -> Report {
        Report {
            result: Outcome::Abort(error.into()),
            ..Report::default()
        }
    }
}

/// Starts the worker; it stops when `stop` turns true, giving jobs in flight up to 10 s.
pub fn spawn(state: AppState, stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(state, stop))
}

async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let settings = state.settings.outbox.clone();
    match state.store.recover_jobs(state.now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(jobs = n, "outbox: jobs of a previous run queued again"),
        Err(e) => tracing::error!(error = %e, "outbox: cannot recover jobs"),
    }
    let lease_ms = i64::try_from(settings.lease_seconds.max(1) * 1000).unwrap_or(30_000);
    let mut heartbeat = tokio::time::interval(Duration::from_millis(
        settings.lease_seconds.max(1) * 1000 / 3,
    ));
    let poll = Duration::from_millis(settings.poll_ms.max(10));
    let concurrency = settings.concurrency.max(1);
    let mut prune = tokio::time::interval(PRUNE_EVERY);
    let keep_ms = i64::from(settings.keep_days) * 86_400_000;
    let mut running: JoinSet<i64> = JoinSet::new();
    let mut in_flight: HashSet<i64> = HashSet::new();
    loop {
        let free = concurrency - running.len();
        if free > 0 {
            let now = state.now();
            let limit = i64::try_from(free).unwrap_or(1);
            match state.store.claim_jobs(now, now + lease_ms, limit).await {
                Ok(jobs) => {
                    for job in jobs {
                        in_flight.insert(job.id);
                        running.spawn(run_job(state.clone(), job));
                    }
                }
                Err(e) => tracing::warn!(error = %e, "outbox: claim failed"),
            }
        }
        tokio::select! {
            Some(done) = running.join_next(), if !running.is_empty() => {
                if let Ok(id) = done {
                    in_flight.remove(&id);
                }
            }
            () = state.outbox.0.notified() => {}
            () = tokio::time::sleep(poll) => {}
            _ = heartbeat.tick() => {
                let ids: Vec<i64> = in_flight.iter().copied().collect();
                if !ids.is_empty()
                    && let Err(e) = state.store.extend_leases(&ids, state.now() + lease_ms).await
                {
                    tracing::warn!(error = %e, "outbox: lease renewal failed");
                }
            }
            _ = prune.tick() => {
                match state.store.prune_jobs(state.now() - keep_ms).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(jobs = n, "outbox: old finished jobs deleted"),
                    Err(e) => tracing::warn!(error = %e, "outbox: pruning failed"),
                }
            }
            _ = stop.changed() => break,
        }
    }
    let drain = async { while running.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(10), drain)
        .await
        .is_err()
    {
        tracing::warn!("outbox: jobs still running at shutdown are left to their leases");
    }
}

/// Runs one job and records its end; answers its id.
async fn run_job(state: AppState, job: JobRecord) -> i64 {
    let started = std::time::Instant::now();
    let at = state.now();
    let report = match job.kind.as_str() {
        DISPATCH => dispatch::run(&state, &job).await,
        webhook::KIND => webhook::deliver(&state, &job).await,
        push::KIND => push::deliver(&state, &job).await,
        invite::KIND => invite::deliver(&state, &job).await,
        other => Report::abort(format!("unknown job kind {other:?}")),
    };
    let finish = finish(&state, &job, at, started.elapsed(), report);
    if let Err(e) = state.store.finish_job(&finish).await {
        // The lease runs out and the job is claimed again: at-least-once.
        tracing::error!(job = job.id, error = %e, "outbox: cannot record the end of a job");
    }
    if !finish.enqueue.is_empty() {
        state.outbox.wake();
    }
    job.id
}

fn finish(state: &AppState, job: &JobRecord, at: i64, took: Duration, report: Report) -> JobFinish {
    let now = state.now();
    let delivery = job.kind != DISPATCH;
    let error = match &report.result {
        Outcome::Done | Outcome::Held => None,
        Outcome::Retry(e) | Outcome::Abort(e) => Some(e.clone()),
    };
    let sent = report.result != Outcome::Held;
    let outcome = match &report.result {
        Outcome::Done => JobOutcome::Done,
        Outcome::Held => JobOutcome::Hold,
        Outcome::Abort(_) => JobOutcome::Dead,
        Outcome::Retry(_) => {
            match retry_delay(&state.settings.outbox.retry_seconds, job.attempts) {
                Some(delay) => JobOutcome::Retry { at: now + delay },
                None if job.kind == webhook::KIND => JobOutcome::Hold,
                None => JobOutcome::Dead,
            }
        }
    };
    if let Some(error) = &error {
        tracing::info!(job = job.id, kind = %job.kind, attempt = job.attempts, error = %error, ?outcome, "outbox: attempt failed");
    }
    let disable_webhook = (outcome == JobOutcome::Hold)
        .then(|| job.queue.strip_prefix("webhook:").map(str::to_owned))
        .flatten();
    JobFinish {
        job_id: job.id,
        outcome,
        now,
        attempt: (sent && (delivery || error.is_some())).then(|| AttemptRecord {
            job_id: job.id,
            attempt: job.attempts,
            at,
            status_code: report.status_code,
            duration_ms: report
                .duration_ms
                .unwrap_or_else(|| i64::try_from(took.as_millis()).unwrap_or(i64::MAX)),
            error,
        }),
        enqueue: report.enqueue,
        inbox: report.inbox,
        disable_webhook,
        delete_device: report.delete_device,
        also_done: report.also_done,
    }
}

/// The wait before the next attempt after failed attempt `attempt` (1-based), with
/// ±20% jitter so that endpoints coming back are not hit all at once; `None` once the
/// schedule is used up.
pub fn retry_delay(schedule: &[u64], attempt: i64) -> Option<i64> {
    let index = usize::try_from(attempt.checked_sub(1)?).ok()?;
    let base = i64::try_from(*schedule.get(index)?)
        .ok()?
        .saturating_mul(1000);
    let jitter = base / 5;
    Some(base + rand::rng().random_range(-jitter..=jitter))
}

/// The shared secret format of webhooks and webhook push devices: `whsec_` and base64 of
/// 32 random bytes (Standard Webhooks).
pub fn new_signing_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Shared by jobs that post to an endpoint: turns a response into a report. 2xx is
/// done; anything else (redirects are not followed) is retried.
pub fn http_report(result: Result<reqwest::StatusCode, reqwest::Error>, took: Duration) -> Report {
    let duration_ms = Some(i64::try_from(took.as_millis()).unwrap_or(i64::MAX));
    match result {
        Ok(status) => {
            let mut report = if status.is_success() {
                Report::default()
            } else if status.is_redirection() {
                Report::retry(format!("HTTP {status} (redirects are not followed)"))
            } else {
                Report::retry(format!("HTTP {status}"))
            };
            report.status_code = Some(i64::from(status.as_u16()));
            report.duration_ms = duration_ms;
            report
        }
        Err(e) => {
            let mut report = Report::retry(if e.is_timeout() {
                "timed out after 10 s".to_owned()
            } else if e.is_connect() {
                "connection failed".to_owned()
            } else {
                format!("request failed: {e}")
            });
            report.duration_ms = duration_ms;
            report
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_follow_the_schedule_within_jitter_then_stop() {
        let schedule = [5, 300];
        for _ in 0..100 {
            let first = retry_delay(&schedule, 1).unwrap();
            assert!((4000..=6000).contains(&first), "{first}");
            let second = retry_delay(&schedule, 2).unwrap();
            assert!((240_000..=360_000).contains(&second), "{second}");
        }
        assert_eq!(retry_delay(&schedule, 3), None);
        assert_eq!(retry_delay(&schedule, 0), None);
    }

    #[test]
    fn signing_secrets_carry_32_bytes() {
        use base64::Engine;
        let secret = new_signing_secret();
        let encoded = secret.strip_prefix("whsec_").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        assert_eq!(bytes.len(), 32);
        assert_ne!(secret, new_signing_secret());
    }
}
