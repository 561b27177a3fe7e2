//! `setLockdown`: while a lock is in lockdown every non-admin unlock is refused (611).
//! Turning it on also sends each lock a lock command and answers when every one has
//! confirmed or timed out, with the result of each.

use latchkey_api_types::{LockdownResult, SetLockdownRequest};
use latchkey_core::ids::new_object_id;
use latchkey_core::status::Command;
use latchkey_store::{LockRecord, UnlockRecord, WriteSet};
use serde_json::json;

use super::unlock::view;
use super::{find_locks, lock_refs, required};
use crate::actor::Actor;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::router::Ctx;
use crate::unlock::{self, Job, Step};

/// How long each lock command of a lockdown may take.
const LOCK_TIMEOUT_MS: u64 = 10_000;

/// `setLockdown` (admin of every lock). Records `LOCK_MODIFIED` for each lock, and the
/// `LOCK` of each command sent.
pub async fn set_lockdown(
    ctx: Ctx,
    who: Caller,
    req: SetLockdownRequest,
) -> Result<Vec<LockdownResult>, ApiError> {
    let enabled = required(req.enabled, "enabled")?;
    let actor = Actor::load(&ctx, who).await?;
    let store = &ctx.state.store;
    let locks: Vec<LockRecord> = match (req.all, &req.lock_ids) {
        (Some(true), None) => {
            let all = store
                .locks_page(actor.org_id(), actor.user_id(), true, None, 10_000)
                .await?;
            all.into_iter().map(|(lock, _)| lock).collect()
        }
        (None | Some(false), Some(ids)) => {
            find_locks(&ctx, actor.org_id(), &lock_refs(None, Some(ids))?).await?
        }
        _ => {
            return Err(ApiError::invalid(
                "lockIds or all",
                "one of them is required, not both",
            ));
        }
    };
    let now = ctx.state.now();
    let mut changes = WriteSet::default();
    for lock in locks {
        let mut lock = actor.admin_of(&ctx, lock).await?.lock;
        lock.lockdown = enabled;
        lock.updated_at = now;
        let target = json!({"lockdown": enabled});
        changes
            .activity
            .push(actor.entry(now, "LOCK_MODIFIED", Some(&lock), Some(target)));
        changes.locks_update.push(lock);
    }
    ctx.state.apply(actor.org_id(), &changes).await?;
    let mut running = Vec::new();
    for lock in changes.locks_update {
        let job = enabled.then(|| Job {
            request: UnlockRecord {
                id: new_object_id(),
                org_id: lock.org_id.clone(),
                lock_id: lock.id.clone(),
                command: Command::Lock.as_str().to_owned(),
                client_request_id: None,
                initiator_id: actor.user.id.clone(),
                on_behalf_of: None,
                status: i64::from(Command::Lock.initiated()),
                history: serde_json::to_string(&[Step {
                    status: Command::Lock.initiated(),
                    at: now,
                }])
                .unwrap_or_default(),
                created_at: now,
                updated_at: now,
            },
            command: Command::Lock,
            lock: lock.clone(),
            initiator: actor.user.clone(),
            timeout_ms: LOCK_TIMEOUT_MS,
        });
        let handle = match job {
            Some(job) => {
                store.start_unlock(&job.request, None).await?;
                Some(unlock::spawn(&ctx.state, job))
            }
            None => None,
        };
        running.push((lock, handle));
    }
    let mut results = Vec::new();
    for (lock, handle) in running {
        let request = match handle {
            Some(h) => Some(view(
                &h.await.map_err(ApiError::internal)?,
                &lock,
                &actor.user,
            )?),
            None => None,
        };
        results.push(LockdownResult {
            lock_id: lock.lock_id,
            lockdown: enabled,
            request,
        });
    }
    Ok(results)
}
