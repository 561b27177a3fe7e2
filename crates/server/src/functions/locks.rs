//! Lock functions: `getLocks`, `getLock`, `registerLock`, `modifyLock`, `removeLock`,
//! `transferOwnership`.

use latchkey_api_types::{
    Driver, Empty, GetLocksRequest, Lock, LockRequest, LockType, ModifyLockRequest,
    RegisterLockRequest, TransferOwnershipRequest,
};
use latchkey_core::ids::new_object_id;
use latchkey_core::role::Role;
use latchkey_core::time::is_time_zone;
use latchkey_store::{Holder, KeyRecord, KeyStatus, LockRecord, WriteSet};
use serde_json::json;

use super::keys::{Invitee, fresh_key};
use super::{Person, find_user, name, page, required};
use crate::actor::Actor;
use crate::auth::{Caller, VirtualCaller};
use crate::error::ApiError;
use crate::router::Ctx;
use crate::views;

/// Longest relock delay, in seconds.
const MAX_RELOCK_SECONDS: i64 = 3600;

/// `getLocks`: the locks the caller holds a key to; with the secret, every lock of the
/// organization.
pub async fn get_locks(ctx: Ctx, who: Caller, req: GetLocksRequest) -> Result<Vec<Lock>, ApiError> {
    let (after, limit) = page(req.limit, req.after.as_deref())?;
    let all = matches!(who, Caller::Virtual(_));
    let rows = ctx
        .state
        .store
        .locks_page(who.org_id(), who.user_id(), all, after, limit)
        .await?;
    rows.iter()
        .map(|(lock, role)| {
            // The virtual user owns every lock of its organization, whatever its key.
            let role = if all {
                Some(Role::Owner)
            } else {
                role.and_then(Role::from_id)
            };
            Ok(with_live_state(&ctx, lock, views::lock(lock, role)?))
        })
        .collect()
}

/// `getLock`: one lock the caller holds a key to (any lock of the organization with the
/// secret).
pub async fn get_lock(ctx: Ctx, who: Caller, req: LockRequest) -> Result<Lock, ApiError> {
    let reference = required(req.lock_id, "lockId")?;
    let lock = ctx.state.store.lock(who.org_id(), &reference).await?;
    let actor = Actor::load(&ctx, who).await?;
    let role = actor.role_on(&ctx, &lock).await?;
    if role.is_none() {
        return Err(ApiError::not_found());
    }
    Ok(with_live_state(&ctx, &lock, views::lock(&lock, role)?))
}

/// `registerLock` (secret only): a new lock of the organization; the virtual user gets
/// its `OWNER` key. Records `LOCK_REGISTERED`.
pub async fn register_lock(
    ctx: Ctx,
    who: VirtualCaller,
    req: RegisterLockRequest,
) -> Result<Lock, ApiError> {
    let short_name = name(&required(req.short_name, "shortName")?, "shortName")?;
    let long_name = req
        .long_name
        .as_deref()
        .map(|n| name(n, "longName"))
        .transpose()?;
    let time_zone = time_zone(&required(req.time_zone, "timeZone")?)?;
    let lock_id = match req.lock_id {
        Some(id) => device_id(&id)?,
        None => new_object_id(),
    };
    let driver = req.driver.unwrap_or_default();
    crate::drivers::check(&driver, ctx.state.mqtt.is_some())?;
    let now = ctx.state.now();
    let lock = LockRecord {
        id: new_object_id(),
        org_id: who.org_id.clone(),
        lock_id,
        short_name,
        long_name,
        time_zone,
        lock_type: type_name(req.lock_type.unwrap_or(LockType::Other)).into(),
        relock_seconds: 5,
        driver: serde_json::to_string(&driver).map_err(ApiError::internal)?,
        online: true,
        lockdown: false,
        last_seen_at: None,
        created_at: now,
        updated_at: now,
    };
    let actor = Actor::load(&ctx, Caller::Virtual(who)).await?;
    let changes = WriteSet {
        keys_upsert: vec![owner_key(&lock, actor.user_id(), now)],
        activity: vec![actor.entry(now, "LOCK_REGISTERED", Some(&lock), None)],
        locks_insert: vec![lock.clone()],
        ..WriteSet::default()
    };
    ctx.state.apply(actor.org_id(), &changes).await?;
    views::lock(&lock, Some(Role::Owner))
}

/// The `OWNER` key a new lock gives to `user_id`.
pub fn owner_key(lock: &LockRecord, user_id: &str, now: i64) -> KeyRecord {
    KeyRecord {
        can_remote_unlock: true,
        ..fresh_key(
            &lock.org_id,
            &lock.id,
            Invitee::User(user_id.to_owned()),
            Role::Owner,
            now,
        )
    }
}

/// `modifyLock` (admin): names, time zone (schedules are then read in the new zone),
/// relock delay, driver. Records `LOCK_MODIFIED`.
pub async fn modify_lock(ctx: Ctx, who: Caller, req: ModifyLockRequest) -> Result<Lock, ApiError> {
    let reference = required(req.lock_id, "lockId")?;
    let short_name = req
        .short_name
        .as_deref()
        .map(|n| name(n, "shortName"))
        .transpose()?;
    let long_name = req
        .long_name
        .as_deref()
        .map(|n| name(n, "longName"))
        .transpose()?;
    let zone = req.time_zone.as_deref().map(time_zone).transpose()?;
    if let Some(seconds) = req
        .relock_seconds
        .filter(|s| !(0..=MAX_RELOCK_SECONDS).contains(s))
    {
        return Err(ApiError::invalid(
            "relockSeconds",
            format!("must be between 0 and {MAX_RELOCK_SECONDS}, not {seconds}"),
        ));
    }
    let actor = Actor::load(&ctx, who).await?;
    let lock = ctx.state.store.lock(actor.org_id(), &reference).await?;
    let admin = actor.admin_of(&ctx, lock).await?;
    let now = ctx.state.now();
    let mut lock = admin.lock;
    let mut fields = Vec::new();
    if let Some(v) = short_name {
        lock.short_name = v;
        fields.push("shortName");
    }
    if let Some(v) = long_name {
        lock.long_name = Some(v);
        fields.push("longName");
    }
    if let Some(v) = zone {
        lock.time_zone = v;
        fields.push("timeZone");
    }
    if let Some(v) = req.relock_seconds {
        lock.relock_seconds = v;
        fields.push("relockSeconds");
    }
    if let Some(driver) = req.driver {
        crate::drivers::check(&driver, ctx.state.mqtt.is_some())?;
        lock.driver = serde_json::to_string(&driver).map_err(ApiError::internal)?;
        fields.push("driver");
    }
    lock.updated_at = now;
    let changes = WriteSet {
        activity: vec![actor.entry(
            now,
            "LOCK_MODIFIED",
            Some(&lock),
            Some(json!({"fields": fields})),
        )],
        locks_update: vec![lock.clone()],
        ..WriteSet::default()
    };
    ctx.state.apply(actor.org_id(), &changes).await?;
    views::lock(&lock, Some(admin.role))
}

/// `removeLock` (owner): the lock and its keys go; its activity stays. Records
/// `LOCK_REMOVED`.
pub async fn remove_lock(ctx: Ctx, who: Caller, req: LockRequest) -> Result<Empty, ApiError> {
    let reference = required(req.lock_id, "lockId")?;
    let actor = Actor::load(&ctx, who).await?;
    let lock = ctx.state.store.lock(actor.org_id(), &reference).await?;
    let owned = actor.owner_of(&ctx, lock).await?;
    let now = ctx.state.now();
    let changes = WriteSet {
        activity: vec![actor.entry(now, "LOCK_REMOVED", Some(&owned.lock), None)],
        locks_delete: vec![owned.lock.id.clone()],
        ..WriteSet::default()
    };
    ctx.state.apply(actor.org_id(), &changes).await?;
    Ok(Empty {})
}

/// `transferOwnership` (owner): the new owner, named by email or phone, must already be
/// an `ADMIN` of the lock; the old owner becomes `ADMIN`. Records
/// `OWNERSHIP_TRANSFERRED`.
pub async fn transfer_ownership(
    ctx: Ctx,
    who: Caller,
    req: TransferOwnershipRequest,
) -> Result<Lock, ApiError> {
    let reference = required(req.lock_id, "lockId")?;
    let person = Person {
        phone: req
            .phone
            .as_deref()
            .map(|p| super::phone(p, "phone"))
            .transpose()?,
        email: req
            .email
            .as_deref()
            .map(|e| super::email(e, "email"))
            .transpose()?,
    };
    if person.phone.is_none() && person.email.is_none() {
        return Err(ApiError::missing("email or phone"));
    }
    let actor = Actor::load(&ctx, who).await?;
    let lock = ctx.state.store.lock(actor.org_id(), &reference).await?;
    let owned = actor.owner_of(&ctx, lock).await?;
    let store = &ctx.state.store;
    let not_admin = || ApiError::invalid("the new owner", "must already be an ADMIN of this lock");
    let new_owner = find_user(&ctx, &person).await?.ok_or_else(not_admin)?;
    let mut promoted = store
        .key_of(&owned.lock.id, &Holder::User(new_owner.id.clone()))
        .await?
        .filter(|k| k.status == KeyStatus::Active && k.role == Role::Admin.id())
        .ok_or_else(not_admin)?;
    let now = ctx.state.now();
    let mut keys_upsert = Vec::new();
    if let Some(mut old) = store.key_of(&owned.lock.id, &Holder::Owner).await? {
        old.role = Role::Admin.id();
        old.updated_at = now;
        keys_upsert.push(old);
    }
    promoted.role = Role::Owner.id();
    promoted.updated_at = now;
    keys_upsert.push(promoted);
    let target = json!({"objectId": new_owner.id, "primaryEmail": new_owner.email, "primaryPhone": new_owner.phone});
    let changes = WriteSet {
        keys_upsert,
        activity: vec![actor.entry(
            now,
            "OWNERSHIP_TRANSFERRED",
            Some(&owned.lock),
            Some(target),
        )],
        ..WriteSet::default()
    };
    ctx.state.apply(actor.org_id(), &changes).await?;
    let role = actor.role_on(&ctx, &owned.lock).await?;
    views::lock(&owned.lock, role)
}

/// The lock as its driver last heard of it: a Zigbee2MQTT device's availability
/// overrides the stored `online`.
fn with_live_state(ctx: &Ctx, record: &LockRecord, mut view: Lock) -> Lock {
    let Some(hub) = &ctx.state.mqtt else {
        return view;
    };
    if let Ok(Driver::Mqtt {
        device: Some(device),
        ..
    }) = serde_json::from_str(&record.driver)
        && let Some(online) = hub.available(&device)
    {
        view.online = online;
    }
    view
}

fn time_zone(value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    if is_time_zone(value) {
        Ok(value.to_owned())
    } else {
        Err(ApiError::invalid(
            "timeZone",
            format!("{value:?} is not an IANA time zone"),
        ))
    }
}

/// A device id: 1 to 64 characters of letters, digits, `-`, `_`, `.`, `:`.
fn device_id(value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    let ok = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    if ok {
        Ok(value.to_owned())
    } else {
        Err(ApiError::invalid(
            "lockId",
            "must be 1 to 64 letters, digits, '-', '_', '.' or ':'",
        ))
    }
}

fn type_name(t: LockType) -> &'static str {
    match t {
        LockType::Core => "CORE",
        LockType::Controller => "CONTROLLER",
        LockType::Other => "OTHER",
    }
}
