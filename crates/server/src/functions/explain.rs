//! `explainAccess`, and the access decision as `performUnlock` will take it: the key and
//! group of a user on a lock, read from the store, decided by `latchkey_core::access`.

use jiff::Timestamp;
use latchkey_api_types::{AccessExplanation, AccessRule, ExplainAccessRequest};
use latchkey_core::access::{self, Decision, GroupFacts, KeyFacts, LockFacts, Usage};
use latchkey_core::role::Role;
use latchkey_core::time::format_millis;
use latchkey_store::{Holder, KeyRecord, KeyStatus, LockRecord, UserLookup, UserRecord, UserType};

use super::keys::zone;
use super::{Person, find_user, instant, required};
use crate::actor::Actor;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::router::Ctx;
use crate::schedules;

/// `explainAccess`: the decision `performUnlock` would take for a user on a lock at a
/// time (default now), with every rule checked. Admin of the lock, or the user about
/// themselves.
pub async fn explain_access(
    ctx: Ctx,
    who: Caller,
    req: ExplainAccessRequest,
) -> Result<AccessExplanation, ApiError> {
    let reference = required(req.lock_id, "lockId")?;
    let at = instant(req.at.as_deref(), "at")?.unwrap_or_else(|| ctx.state.now());
    let actor = Actor::load(&ctx, who).await?;
    let lock = ctx.state.store.lock(actor.org_id(), &reference).await?;
    let subject = match (&req.user_id, &req.email, &req.phone) {
        (None, None, None) => actor.user.clone(),
        (Some(id), None, None) => ctx.state.store.user(UserLookup::Id(id)).await?,
        (None, email, phone) => {
            let person = Person {
                phone: phone
                    .as_deref()
                    .map(|p| super::phone(p, "phone"))
                    .transpose()?,
                email: email
                    .as_deref()
                    .map(|e| super::email(e, "email"))
                    .transpose()?,
            };
            find_user(&ctx, &person)
                .await?
                .ok_or_else(ApiError::not_found)?
        }
        _ => {
            return Err(ApiError::invalid(
                "userId",
                "cannot be combined with email or phone",
            ));
        }
    };
    let lock = if subject.id == actor.user.id {
        lock
    } else {
        let lock = actor.admin_of(&ctx, lock).await?.lock;
        // Only people who hold a key here are visible: anyone else, in another
        // organization or nowhere, is the same 101.
        let viewer = actor.caller.viewer();
        if !ctx
            .state
            .store
            .user_visible(actor.org_id(), &viewer, &subject.id)
            .await?
        {
            return Err(ApiError::not_found());
        }
        lock
    };
    let at = Timestamp::from_millisecond(at).map_err(ApiError::internal)?;
    let (decision, _) = decide(&ctx, &lock, &subject, at).await?;
    let next_valid_at = match decision.refusal {
        Some(access::Refusal::NotNow { next_valid_at }) => {
            next_valid_at.map(|t| format_millis(t.as_millisecond()))
        }
        _ => None,
    };
    Ok(AccessExplanation {
        allowed: decision.allowed(),
        code: decision.refusal.map(access::Refusal::code),
        reason: decision.refusal.map(|r| r.reason().to_owned()),
        rules: decision
            .rules
            .into_iter()
            .map(|r| AccessRule {
                rule: r.rule.to_owned(),
                passed: r.passed,
                detail: r.detail,
            })
            .collect(),
        next_valid_at,
    })
}

/// Whether `user` may open `lock` at `at`, from their key and its group; with the key.
pub async fn decide(
    ctx: &Ctx,
    lock: &LockRecord,
    user: &UserRecord,
    at: Timestamp,
) -> Result<(Decision, Option<KeyRecord>), ApiError> {
    let tz = zone(lock)?;
    let lock_facts = LockFacts {
        time_zone: &tz,
        lockdown: lock.lockdown,
    };
    // The virtual user acts with its organization's authority, whatever its key. Only
    // its own organization's virtual user gets here: callers find the lock in the
    // caller's organization and require any other subject to hold a key there.
    if user.user_type == UserType::Virtual {
        let facts = KeyFacts {
            role: Role::Owner,
            active: true,
            start: None,
            end: None,
            usage: Usage::Unlimited,
            can_remote_unlock: true,
            schedules: &[],
        };
        return Ok((access::decide(Some(&facts), None, &lock_facts, at), None));
    }
    let store = &ctx.state.store;
    let Some(key) = store
        .key_of(&lock.id, &Holder::User(user.id.clone()))
        .await?
    else {
        return Ok((access::decide(None, None, &lock_facts, at), None));
    };
    let key_schedules: Vec<_> = schedules::from_json(&key.schedules)?
        .into_iter()
        .map(|n| n.schedule)
        .collect();
    let group = match &key.group_id {
        Some(id) => Some(store.group(&lock.org_id, id).await?),
        None => None,
    };
    let group_schedules: Vec<_> = match &group {
        Some(g) => schedules::from_json(&g.schedules)?
            .into_iter()
            .map(|n| n.schedule)
            .collect(),
        None => Vec::new(),
    };
    let group_facts = group.as_ref().map(|g| GroupFacts {
        can_remote_unlock: g.can_remote_unlock,
        schedules: &group_schedules,
    });
    let millis = |t: Option<i64>| t.and_then(|ms| Timestamp::from_millisecond(ms).ok());
    let facts = KeyFacts {
        role: Role::from_id(key.role).unwrap_or(Role::User),
        active: key.status == KeyStatus::Active,
        start: millis(key.start_date),
        end: millis(key.end_date),
        usage: match (key.one_time, key.used_at) {
            (false, _) => Usage::Unlimited,
            (true, None) => Usage::OneTimeUnused,
            (true, Some(_)) => Usage::OneTimeUsed,
        },
        can_remote_unlock: key.can_remote_unlock,
        schedules: &key_schedules,
    };
    let decision = access::decide(Some(&facts), group_facts.as_ref(), &lock_facts, at);
    Ok((decision, Some(key)))
}
