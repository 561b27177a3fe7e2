//! The unlock service: runs remote unlock and lock requests through their lock's driver.
//!
//! - One command per lock at a time: requests queue on the lock, each within its own
//!   deadline. A request that does not get its turn before its deadline is dropped and
//!   never runs late (`ERROR_RECEIVING_TIMEOUT_SRV`).
//! - A driver that does not finish by the deadline is stopped, and the request ends with
//!   the `_SRV` timeout of the stage the device had not reached.
//! - A request runs in its own task, so a client that goes away does not stop it; its end
//!   is stored with its audit entry (`UNLOCK`/`LOCK`, `SUCCESS` or `FAILED`) in one
//!   transaction before anyone is told.
//! - While a request runs, its status history lives here, for `getUnlockStatus`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use latchkey_api_types::ActivityBody;
use latchkey_core::status::{self, Command, Side};
use latchkey_store::{LockRecord, UnlockRecord, UserRecord, WriteSet};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex as AsyncMutex;

use crate::events::{Event, Kind};
use crate::state::AppState;
use crate::{actor, drivers};

/// One status of a request's history, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub status: u16,
    pub at: i64,
}

/// Requests in flight and the per-lock queues.
#[derive(Debug, Default)]
pub struct Unlocks {
    queues: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
    live: Mutex<HashMap<String, Vec<Step>>>,
}

impl Unlocks {
    fn queue(&self, lock_id: &str) -> Arc<AsyncMutex<()>> {
        let mut queues = self
            .queues
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        queues.entry(lock_id.to_owned()).or_default().clone()
    }

    fn record(&self, request_id: &str, step: Step) {
        let mut live = self
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        live.entry(request_id.to_owned()).or_default().push(step);
    }

    fn finish(&self, request_id: &str) {
        let mut live = self
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        live.remove(request_id);
    }

    /// The history so far of a request running on this server.
    pub fn progress(&self, request_id: &str) -> Option<Vec<Step>> {
        let live = self
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        live.get(request_id).cloned()
    }
}

/// What a running request needs.
#[derive(Debug, Clone)]
pub struct Job {
    pub request: UnlockRecord,
    pub command: Command,
    pub lock: LockRecord,
    pub initiator: UserRecord,
    /// Milliseconds from the start to the deadline.
    pub timeout_ms: u64,
}

/// Starts `job` in its own task; the handle answers the request as stored at its end.
pub fn spawn(state: &AppState, job: Job) -> tokio::task::JoinHandle<UnlockRecord> {
    let state = state.clone();
    let first = Step {
        status: job.command.initiated(),
        at: job.request.created_at,
    };
    state.unlocks.record(&job.request.id, first);
    publish(&state, &job, &[first]);
    tokio::spawn(async move { run(state, job).await })
}

/// Tells `/events` subscribers where the request stands.
fn publish(state: &AppState, job: &Job, history: &[Step]) {
    let Some(last) = history.last() else { return };
    let mut request = job.request.clone();
    request.status = i64::from(last.status);
    request.history = serde_json::to_string(history).unwrap_or_else(|_| "[]".into());
    let Ok(view) = crate::functions::unlock::view(&request, &job.lock, &job.initiator) else {
        return;
    };
    let Ok(data) = serde_json::to_string(&view) else {
        return;
    };
    state.events.publish(Event {
        kind: Kind::UnlockRequest,
        org_id: request.org_id,
        lock_id: Some(request.lock_id),
        request_id: Some(request.id),
        initiator_id: request.initiator_id,
        data: data.into(),
    });
}

async fn run(state: AppState, job: Job) -> UnlockRecord {
    let Job {
        mut request,
        command,
        lock,
        initiator,
        timeout_ms,
    } = job.clone();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(timeout_ms);
    let status =
        match tokio::time::timeout_at(deadline, state.unlocks.queue(&lock.id).lock_owned()).await {
            // Never got its turn: the command is dropped, it never reaches the device.
            Err(_) => status::stage_error(command, command.initiated(), Side::Server),
            Ok(_turn) => drive(&state, &job, deadline).await,
        };
    let now = state.now();
    state.unlocks.record(&request.id, Step { status, at: now });
    let history = state.unlocks.progress(&request.id).unwrap_or_default();
    request.status = i64::from(status);
    request.history = serde_json::to_string(&history).unwrap_or_else(|_| "[]".into());
    request.updated_at = now;
    let outcome = if status::is_success(status) {
        "SUCCESS"
    } else {
        "FAILED"
    };
    let mut body: ActivityBody = actor::body(
        &initiator,
        now,
        command.as_str(),
        outcome,
        Some(&lock),
        None,
    );
    body.on_behalf_of = request
        .on_behalf_of
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok());
    body.request_id = Some(request.id.clone());
    body.status = Some(i64::from(status));
    body.status_name = Some(status::name(status));
    let changes = WriteSet {
        unlocks_update: vec![request.clone()],
        activity: vec![actor::draft(&body, Some(&lock))],
        ..WriteSet::default()
    };
    if let Err(e) = state.apply(&request.org_id, &changes).await {
        tracing::error!(request = %request.id, error = %e, "the end of an unlock request was not stored");
    }
    publish(&state, &job, &history);
    state.unlocks.finish(&request.id);
    request
}

/// Runs the driver until it answers or the deadline passes.
async fn drive(state: &AppState, job: &Job, deadline: tokio::time::Instant) -> u16 {
    let command = job.command;
    // A driver whose settings cannot be read never receives the command.
    let Ok(driver) = drivers::for_lock(&job.lock, &state.http, state.mqtt.as_ref()) else {
        return status::stage_error(command, command.initiated(), Side::Server);
    };
    let reached = AtomicU16::new(command.initiated());
    let report = |s: u16| {
        reached.store(s, Ordering::Relaxed);
        state.unlocks.record(
            &job.request.id,
            Step {
                status: s,
                at: state.now(),
            },
        );
        if let Some(history) = state.unlocks.progress(&job.request.id) {
            publish(state, job, &history);
        }
    };
    match tokio::time::timeout_at(deadline, driver.run(command, &report)).await {
        Ok(status) => status,
        Err(_) => status::stage_error(command, reached.load(Ordering::Relaxed), Side::Server),
    }
}
