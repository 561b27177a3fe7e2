//! The caller of a mutating or restricted function, with the checks of what they may
//! do. `admin_of` and `owner_of` return proof values that the functions that change a
//! lock's keys require, and every audit entry names the actor as its initiator.

use latchkey_api_types::{ActivityBody, ActivityLock, Initiator};
use latchkey_core::ids::new_object_id;
use latchkey_core::role::Role;
use latchkey_core::time::format_millis;
use latchkey_store::{ActivityDraft, Holder, KeyStatus, LockRecord, UserLookup, UserRecord};
use serde_json::Value;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::router::Ctx;

/// A caller and their user record.
#[derive(Debug, Clone)]
pub struct Actor {
    pub caller: Caller,
    pub user: UserRecord,
}

/// Proof that the actor administers `lock` (`ADMIN` or `OWNER`).
#[derive(Debug, Clone)]
pub struct Administered {
    pub lock: LockRecord,
    pub role: Role,
}

impl Actor {
    pub async fn load(ctx: &Ctx, caller: Caller) -> Result<Actor, ApiError> {
        let user = ctx
            .state
            .store
            .user(UserLookup::Id(caller.user_id()))
            .await?;
        Ok(Actor { caller, user })
    }

    pub fn is_virtual(&self) -> bool {
        matches!(self.caller, Caller::Virtual(_))
    }

    pub fn org_id(&self) -> &str {
        self.caller.org_id()
    }

    pub fn user_id(&self) -> &str {
        &self.user.id
    }

    /// The actor's authority on `lock`: `OWNER` for the virtual user (the organization's
    /// authority), else the role of their active key.
    pub async fn role_on(&self, ctx: &Ctx, lock: &LockRecord) -> Result<Option<Role>, ApiError> {
        if self.is_virtual() {
            return Ok(Some(Role::Owner));
        }
        let key = ctx
            .state
            .store
            .key_of(&lock.id, &Holder::User(self.user.id.clone()))
            .await?;
        Ok(key
            .filter(|k| k.status == KeyStatus::Active)
            .and_then(|k| Role::from_id(k.role)))
    }

    /// The lock, if the actor administers it; 119 otherwise.
    pub async fn admin_of(&self, ctx: &Ctx, lock: LockRecord) -> Result<Administered, ApiError> {
        match self.role_on(ctx, &lock).await? {
            Some(role) if role.is_admin() => Ok(Administered { lock, role }),
            _ => Err(ApiError::forbidden(format!(
                "You must be an admin of lock {} for this.",
                lock.lock_id
            ))),
        }
    }

    /// The lock, if the actor owns it (the virtual user owns every lock); 119 otherwise.
    pub async fn owner_of(&self, ctx: &Ctx, lock: LockRecord) -> Result<Administered, ApiError> {
        let admin = self.admin_of(ctx, lock).await?;
        if admin.role == Role::Owner {
            Ok(admin)
        } else {
            Err(ApiError::forbidden(format!(
                "Only the owner of lock {} may do this.",
                admin.lock.lock_id
            )))
        }
    }

    /// An audit entry of a successful change made by the actor.
    pub fn entry(
        &self,
        now: i64,
        entry_type: &str,
        lock: Option<&LockRecord>,
        target: Option<Value>,
    ) -> ActivityDraft {
        entry(&self.user, now, entry_type, lock, target)
    }
}

/// An audit entry of a successful change made by `initiator`.
pub fn entry(
    initiator: &UserRecord,
    now: i64,
    entry_type: &str,
    lock: Option<&LockRecord>,
    target: Option<Value>,
) -> ActivityDraft {
    entry_with_outcome(initiator, now, entry_type, "SUCCESS", lock, target)
}

/// An audit entry with its `outcome` (`SUCCESS`, `DENIED`, `FAILED`).
pub fn entry_with_outcome(
    initiator: &UserRecord,
    now: i64,
    entry_type: &str,
    outcome: &str,
    lock: Option<&LockRecord>,
    target: Option<Value>,
) -> ActivityDraft {
    draft(
        &body(initiator, now, entry_type, outcome, lock, target),
        lock,
    )
}

/// The body of an audit entry, for callers that fill in more of it (requests, reasons).
pub fn body(
    initiator: &UserRecord,
    now: i64,
    entry_type: &str,
    outcome: &str,
    lock: Option<&LockRecord>,
    target: Option<Value>,
) -> ActivityBody {
    ActivityBody {
        object_id: new_object_id(),
        entry_type: entry_type.to_owned(),
        at: format_millis(now),
        outcome: outcome.to_owned(),
        lock: lock.map(|l| ActivityLock {
            object_id: l.id.clone(),
            lock_id: l.lock_id.clone(),
            short_name: l.short_name.clone(),
        }),
        initiator: Initiator {
            object_id: initiator.id.clone(),
            first_name: initiator.first_name.clone(),
            last_name: initiator.last_name.clone(),
            user_type: initiator.user_type.as_str().to_owned(),
        },
        on_behalf_of: None,
        target,
        request_id: None,
        status: None,
        status_name: None,
        reason: None,
    }
}

/// The audit entry to append for `body`.
pub fn draft(body: &ActivityBody, lock: Option<&LockRecord>) -> ActivityDraft {
    ActivityDraft {
        id: body.object_id.clone(),
        entry_type: body.entry_type.clone(),
        at: latchkey_core::time::parse_millis(&body.at).unwrap_or_default(),
        lock_id: lock.map(|l| l.id.clone()),
        initiator_id: body.initiator.object_id.clone(),
        target_user_id: body
            .target
            .as_ref()
            .and_then(|t| t.get("objectId"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        body: serde_json::to_string(body).unwrap_or_else(|_| "{}".into()),
    }
}
