//! Unlocking: `performUnlock`, `performLock`, `getUnlockStatus`.

use jiff::Timestamp;
use latchkey_api_types::{
    ErrorCode, Initiator, PerformUnlockRequest, StatusStep, UnlockRequest, UnlockStatusRequest,
};
use latchkey_core::access::Refusal;
use latchkey_core::ids::new_object_id;
use latchkey_core::role::Role;
use latchkey_core::status::{self, Command};
use latchkey_core::time::format_millis;
use latchkey_store::{LockRecord, UnlockRecord, UnlockStart, UserLookup, UserRecord, WriteSet};
use serde_json::Value;

use super::explain::decide;
use super::required;
use crate::actor::{self, Actor};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::router::Ctx;
use crate::unlock::{self, Job, Step};

/// Default and longest deadline of a request, in milliseconds.
const DEFAULT_TIMEOUT_MS: i64 = 10_000;
const MAX_TIMEOUT_MS: i64 = 30_000;

/// `performUnlock`: the access decision first (a refusal is an `UNLOCK_DENIED` entry and
/// 610–614), then the command through the lock's driver. With `wait` (default) it
/// answers when the device confirmed (`UNLOCKED`) or the request failed (504, 620);
/// without, at once with `INITIATED`. A one-time key is used up atomically; the same
/// `requestId` sent again answers the first request and opens nothing.
pub async fn perform_unlock(
    ctx: Ctx,
    who: Caller,
    req: PerformUnlockRequest,
) -> Result<UnlockRequest, ApiError> {
    perform(ctx, who, req, Command::Unlock).await
}

/// `performLock`: as `performUnlock`, with the remote-lock statuses.
pub async fn perform_lock(
    ctx: Ctx,
    who: Caller,
    req: PerformUnlockRequest,
) -> Result<UnlockRequest, ApiError> {
    perform(ctx, who, req, Command::Lock).await
}

/// A request's options, checked.
struct Options {
    lock_ref: String,
    wait: bool,
    timeout_ms: u64,
    client_request_id: Option<String>,
    on_behalf_of: Option<Value>,
}

fn options(req: PerformUnlockRequest) -> Result<Options, ApiError> {
    let lock_ref = required(req.lock_id, "lockId")?;
    let timeout_ms = req.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
    if !(1..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
        return Err(ApiError::invalid(
            "timeoutMs",
            format!("must be between 1 and {MAX_TIMEOUT_MS}"),
        ));
    }
    if req.unlock_seconds.is_some_and(|s| !(1..=3600).contains(&s)) {
        return Err(ApiError::invalid(
            "unlockSeconds",
            "must be between 1 and 3600",
        ));
    }
    if req
        .request_id
        .as_ref()
        .is_some_and(|id| id.is_empty() || id.len() > 128)
    {
        return Err(ApiError::invalid(
            "requestId",
            "must have 1 to 128 characters",
        ));
    }
    let on_behalf_of = match req.user {
        None | Some(Value::Null) => None,
        Some(Value::Object(person)) => Some(Value::Object(person)),
        Some(_) => {
            return Err(ApiError::new(
                ErrorCode::IncorrectType,
                "user: expected an object.",
            ));
        }
    };
    Ok(Options {
        lock_ref,
        wait: req.wait.unwrap_or(true),
        timeout_ms: timeout_ms.unsigned_abs(),
        client_request_id: req.request_id,
        on_behalf_of,
    })
}

async fn perform(
    ctx: Ctx,
    who: Caller,
    req: PerformUnlockRequest,
    command: Command,
) -> Result<UnlockRequest, ApiError> {
    let Options {
        lock_ref,
        wait,
        timeout_ms,
        client_request_id,
        on_behalf_of,
    } = options(req)?;
    let actor = Actor::load(&ctx, who).await?;
    let lock = ctx.state.store.lock(actor.org_id(), &lock_ref).await?;
    let now = ctx.state.now();
    let at = Timestamp::from_millisecond(now).map_err(ApiError::internal)?;
    let (decision, key) = decide(&ctx, &lock, &actor.user, at).await?;
    if let Some(refusal) = decision.refusal {
        return Err(deny(&ctx, &actor.user, &lock, refusal, on_behalf_of.as_ref()).await?);
    }
    let consume = key
        .as_ref()
        .filter(|k| k.one_time && k.role == Role::User.id())
        .map(|k| k.id.as_str());
    let request = UnlockRecord {
        id: new_object_id(),
        org_id: lock.org_id.clone(),
        lock_id: lock.id.clone(),
        command: command.as_str().to_owned(),
        client_request_id,
        initiator_id: actor.user.id.clone(),
        on_behalf_of: on_behalf_of.as_ref().map(Value::to_string),
        status: i64::from(command.initiated()),
        history: serde_json::to_string(&[Step {
            status: command.initiated(),
            at: now,
        }])
        .map_err(ApiError::internal)?,
        created_at: now,
        updated_at: now,
    };
    match ctx.state.store.start_unlock(&request, consume).await? {
        UnlockStart::Started => {}
        UnlockStart::Existing(first) => return view(&first, &lock, &actor.user),
        UnlockStart::KeyUsed => {
            return Err(deny(
                &ctx,
                &actor.user,
                &lock,
                Refusal::Used,
                on_behalf_of.as_ref(),
            )
            .await?);
        }
    }
    let job = Job {
        request: request.clone(),
        command,
        lock: lock.clone(),
        initiator: actor.user.clone(),
        timeout_ms,
    };
    let running = unlock::spawn(&ctx.state, job);
    if !wait {
        return view(&request, &lock, &actor.user);
    }
    let done = running.await.map_err(ApiError::internal)?;
    let answer = view(&done, &lock, &actor.user)?;
    if answer.success {
        Ok(answer)
    } else {
        Err(ApiError::new(
            ErrorCode::LockDidNotComplete,
            "The lock did not complete the command.",
        )
        .with_extra("status", answer.status)
        .with_extra("statusName", answer.status_name)
        .with_extra("requestId", answer.request_id))
    }
}

/// Records `UNLOCK_DENIED` and answers the refusal's error.
async fn deny(
    ctx: &Ctx,
    user: &UserRecord,
    lock: &LockRecord,
    refusal: Refusal,
    on_behalf_of: Option<&Value>,
) -> Result<ApiError, ApiError> {
    let now = ctx.state.now();
    let mut body = actor::body(user, now, "UNLOCK_DENIED", "DENIED", Some(lock), None);
    body.reason = Some(refusal.reason().to_owned());
    body.on_behalf_of = on_behalf_of.cloned();
    let changes = WriteSet {
        activity: vec![actor::draft(&body, Some(lock))],
        ..WriteSet::default()
    };
    ctx.state.apply(&lock.org_id, &changes).await?;
    let code = match refusal {
        Refusal::NotNow { .. } => ErrorCode::KeyNotValidNow,
        Refusal::Lockdown => ErrorCode::Blackout,
        Refusal::NoRemoteUnlock => ErrorCode::RemoteUnlockNotAllowed,
        Refusal::Used => ErrorCode::OneTimeKeyUsed,
        Refusal::NoKey => ErrorCode::NoKey,
    };
    let error = ApiError::new(code, refusal.reason());
    Ok(match refusal {
        Refusal::NotNow {
            next_valid_at: Some(next),
        } => error.with_extra("nextValidAt", format_millis(next.as_millisecond())),
        _ => error,
    })
}

/// `getUnlockStatus`: a request with its status history; its initiator's, or any of the
/// organization's for an admin of its lock.
pub async fn get_unlock_status(
    ctx: Ctx,
    who: Caller,
    req: UnlockStatusRequest,
) -> Result<UnlockRequest, ApiError> {
    let request_id = required(req.request_id, "requestId")?;
    let actor = Actor::load(&ctx, who).await?;
    let store = &ctx.state.store;
    let mut request = store.unlock_request(actor.org_id(), &request_id).await?;
    let lock = store.lock(actor.org_id(), &request.lock_id).await;
    if request.initiator_id != actor.user.id {
        let administers = match &lock {
            Ok(lock) => actor.role_on(&ctx, lock).await?.is_some_and(Role::is_admin),
            Err(_) => actor.is_virtual(),
        };
        if !administers {
            return Err(ApiError::not_found());
        }
    }
    if let Some(steps) = ctx.state.unlocks.progress(&request.id) {
        request.history = serde_json::to_string(&steps).map_err(ApiError::internal)?;
        request.status = steps.last().map_or(request.status, |s| i64::from(s.status));
    }
    let initiator = store.user(UserLookup::Id(&request.initiator_id)).await?;
    let lock = lock.unwrap_or_else(|_| removed_lock(&request));
    view(&request, &lock, &initiator)
}

/// What a request shows of a lock that was removed since.
fn removed_lock(request: &UnlockRecord) -> LockRecord {
    LockRecord {
        id: request.lock_id.clone(),
        org_id: request.org_id.clone(),
        lock_id: request.lock_id.clone(),
        short_name: String::new(),
        long_name: None,
        time_zone: "UTC".into(),
        lock_type: "OTHER".into(),
        relock_seconds: 0,
        driver: String::new(),
        online: false,
        lockdown: false,
        last_seen_at: None,
        created_at: request.created_at,
        updated_at: request.created_at,
    }
}

/// A request as the API shows it.
pub fn view(
    request: &UnlockRecord,
    lock: &LockRecord,
    initiator: &UserRecord,
) -> Result<UnlockRequest, ApiError> {
    let steps: Vec<Step> = serde_json::from_str(&request.history).map_err(ApiError::internal)?;
    let status = u16::try_from(request.status).map_err(ApiError::internal)?;
    Ok(UnlockRequest {
        request_id: request.id.clone(),
        lock_id: lock.lock_id.clone(),
        status,
        status_name: status::name(status),
        success: status::is_success(status),
        initiator: Initiator {
            object_id: initiator.id.clone(),
            first_name: initiator.first_name.clone(),
            last_name: initiator.last_name.clone(),
            user_type: initiator.user_type.as_str().to_owned(),
        },
        on_behalf_of: request
            .on_behalf_of
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok()),
        history: steps
            .iter()
            .map(|s| StatusStep {
                status: s.status,
                status_name: status::name(s.status),
                at: format_millis(s.at),
            })
            .collect(),
    })
}
