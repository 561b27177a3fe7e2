//! Key functions: `sendKey`, `revokeKey`, `modifyKey`, `getUserKeys`, `getLockUsers`.

use jiff::tz::TimeZone;
use latchkey_api_types::{
    GetLockUsersRequest, GetUserKeysRequest, Key, ModifyKeyRequest, Patch, RevokeKeyRequest,
    SendKeyRequest,
};
use latchkey_core::ids::new_object_id;
use latchkey_core::role::Role;
use latchkey_store::{
    Holder, KeyFilter, KeyRecord, KeyRow, KeyStatus, LockRecord, UserRecord, WriteSet,
};
use rand::Rng;
use serde_json::{Value, json};

use super::{Person, find_locks, find_user, instant, lock_refs, name, page, people, required};
use crate::actor::{Actor, Administered};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::outbox::invite;
use crate::router::Ctx;
use crate::{schedules, views};

/// `sendKey` (admin of every lock): a key for each (person, lock). A person without an
/// account gets a pending key. An existing key is updated, never duplicated. All or
/// nothing. Records `KEY_SENT` for each key.
pub async fn send_key(ctx: Ctx, who: Caller, req: SendKeyRequest) -> Result<Vec<Key>, ApiError> {
    let refs = lock_refs(req.lock_id.as_ref(), req.lock_ids.as_ref())?;
    let people = people(
        req.phone.as_ref(),
        req.email.as_ref(),
        req.phones.as_ref(),
        req.emails.as_ref(),
    )?;
    let terms = KeyTerms::read(&req)?;
    let actor = Actor::load(&ctx, who).await?;
    let mut locks = Vec::new();
    for lock in find_locks(&ctx, actor.org_id(), &refs).await? {
        let admin = actor.admin_of(&ctx, lock).await?;
        terms.check_lock(&admin.lock)?;
        locks.push(admin);
    }
    let mut holders: Vec<(&Person, Option<UserRecord>)> = Vec::new();
    for person in &people {
        let user = find_user(&ctx, person).await?;
        let id = user.as_ref().map(|u| u.id.as_str());
        let repeat = id.is_some()
            && holders
                .iter()
                .any(|(_, u)| u.as_ref().map(|u| u.id.as_str()) == id);
        if !repeat {
            holders.push((person, user));
        }
    }
    let now = ctx.state.now();
    let store = &ctx.state.store;
    let mut changes = WriteSet::default();
    let mut sent = Vec::new();
    let mut names = None;
    for admin in &locks {
        for (person, user) in &holders {
            let holder = match user {
                Some(u) => Holder::User(u.id.clone()),
                None => Holder::Invite {
                    phone: person.phone.clone(),
                    email: person.email.clone(),
                },
            };
            let existing = store.key_of(&admin.lock.id, &holder).await?;
            if existing
                .as_ref()
                .is_some_and(|k| k.role == Role::Owner.id())
            {
                return Err(ApiError::invalid(
                    "phone or email",
                    format!(
                        "{} owns lock {}: its key changes only by transferOwnership",
                        person.label(),
                        admin.lock.lock_id
                    ),
                ));
            }
            let invite = existing.is_none()
                && user.is_none()
                && ctx.state.notifiers.can_send(person.phone.is_some());
            let mut key =
                existing.unwrap_or_else(|| new_key(&admin.lock, person, user.as_ref(), now));
            terms.apply(&mut key, now);
            if invite {
                let (organization, inviter) = inviter(&ctx, &actor, &mut names).await?;
                changes
                    .jobs
                    .extend(invite::job(&key, &admin.lock, organization, inviter, now));
            }
            changes.activity.push(actor.entry(
                now,
                "KEY_SENT",
                Some(&admin.lock),
                Some(target(&key)),
            ));
            sent.push(KeyRow {
                key: key.clone(),
                lock_device_id: admin.lock.lock_id.clone(),
                lock_short_name: admin.lock.short_name.clone(),
                lock_time_zone: admin.lock.time_zone.clone(),
                user: user.clone(),
            });
            changes.keys_upsert.push(key);
        }
    }
    ctx.state.apply(actor.org_id(), &changes).await?;
    sent.iter().map(|row| views::key(row, true)).collect()
}

/// The organization's name and the inviter's, for invitations (read once per call).
async fn inviter<'a>(
    ctx: &Ctx,
    actor: &Actor,
    names: &'a mut Option<(String, String)>,
) -> Result<(&'a str, &'a str), ApiError> {
    if names.is_none() {
        let organization = ctx.state.store.organization(actor.org_id()).await?.name;
        let person = [&actor.user.first_name, &actor.user.last_name]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        let inviter = if actor.is_virtual() || person.is_empty() {
            organization.clone()
        } else {
            person
        };
        *names = Some((organization, inviter));
    }
    let (organization, inviter) = names.as_ref().expect("set above");
    Ok((organization, inviter))
}

/// What `sendKey` sets on each key; `None` leaves an existing key's value as it is.
struct KeyTerms {
    role: Option<Role>,
    start: Option<i64>,
    end: Option<i64>,
    schedules: Option<Vec<schedules::Named>>,
    one_time: Option<bool>,
    can_remote_unlock: Option<bool>,
    text_key: Option<bool>,
    first_name: Option<String>,
    last_name: Option<String>,
}

impl KeyTerms {
    fn read(req: &SendKeyRequest) -> Result<KeyTerms, ApiError> {
        let start = instant(req.start_date.as_deref(), "startDate")?;
        let end = instant(req.end_date.as_deref(), "endDate")?;
        check_dates(start, end)?;
        let optional_name =
            |value: &Option<String>, field| value.as_deref().map(|n| name(n, field)).transpose();
        Ok(KeyTerms {
            role: req.role.as_deref().map(grantable_role).transpose()?,
            start,
            end,
            schedules: req.schedules.as_deref().map(schedules::parse).transpose()?,
            one_time: req.one_time,
            can_remote_unlock: req.can_remote_unlock,
            text_key: req.text_key,
            first_name: optional_name(&req.first_name, "firstName")?,
            last_name: optional_name(&req.last_name, "lastName")?,
        })
    }

    /// The terms fit this lock: schedules that do not overlap in its zone, text keys only
    /// on controllers.
    fn check_lock(&self, lock: &LockRecord) -> Result<(), ApiError> {
        if let Some(s) = &self.schedules {
            schedules::check_overlaps(s, &zone(lock)?)?;
        }
        if self.text_key == Some(true) && lock.lock_type != "CONTROLLER" {
            return Err(ApiError::invalid(
                "textKey",
                format!(
                    "is only for CONTROLLER locks, and lock {} is {}",
                    lock.lock_id, lock.lock_type
                ),
            ));
        }
        Ok(())
    }

    fn apply(&self, key: &mut KeyRecord, now: i64) {
        if let Some(role) = self.role {
            key.role = role.id();
        }
        if self.start.is_some() {
            key.start_date = self.start;
        }
        if self.end.is_some() {
            key.end_date = self.end;
        }
        if let Some(s) = &self.schedules {
            key.schedules = schedules::to_json(s);
        }
        if let Some(one_time) = self.one_time {
            key.one_time = one_time;
            key.used_at = None;
        }
        if let Some(remote) = self.can_remote_unlock {
            key.can_remote_unlock = remote;
        }
        if let Some(text) = self.text_key {
            key.text_key = text;
            if text && key.sms_code.is_none() {
                key.sms_code = Some(sms_code());
            }
        }
        if key.user_id.is_none() {
            if self.first_name.is_some() {
                key.invite_first_name.clone_from(&self.first_name);
            }
            if self.last_name.is_some() {
                key.invite_last_name.clone_from(&self.last_name);
            }
        }
        key.group_id = None;
        key.updated_at = now;
    }
}

/// `revokeKey` (admin): by `keyId`, or every key of the named people on the named locks.
/// Answers the revoked keys' objectIds. An owner's key is never revoked. Records
/// `KEY_REVOKED` for each key.
pub async fn revoke_key(
    ctx: Ctx,
    who: Caller,
    req: RevokeKeyRequest,
) -> Result<Vec<String>, ApiError> {
    let actor = Actor::load(&ctx, who).await?;
    let store = &ctx.state.store;
    let mut revoked: Vec<(KeyRecord, LockRecord)> = Vec::new();
    if let Some(key_id) = &req.key_id {
        let by_people = req.lock_id.is_some()
            || req.lock_ids.is_some()
            || req.phone.is_some()
            || req.email.is_some()
            || req.phones.is_some()
            || req.emails.is_some();
        if by_people {
            return Err(ApiError::invalid(
                "keyId",
                "cannot be combined with lockId, phones or emails",
            ));
        }
        let row = store.key(actor.org_id(), key_id).await?;
        let lock = store.lock(actor.org_id(), &row.key.lock_id).await?;
        let admin = actor.admin_of(&ctx, lock).await?;
        revoked.push((row.key, admin.lock));
    } else {
        let refs = lock_refs(req.lock_id.as_ref(), req.lock_ids.as_ref())?;
        let people = people(
            req.phone.as_ref(),
            req.email.as_ref(),
            req.phones.as_ref(),
            req.emails.as_ref(),
        )?;
        let mut locks: Vec<Administered> = Vec::new();
        for lock in find_locks(&ctx, actor.org_id(), &refs).await? {
            locks.push(actor.admin_of(&ctx, lock).await?);
        }
        for person in &people {
            let holder = match find_user(&ctx, person).await? {
                Some(user) => Holder::User(user.id),
                None => Holder::Invite {
                    phone: person.phone.clone(),
                    email: person.email.clone(),
                },
            };
            for admin in &locks {
                if let Some(key) = store.key_of(&admin.lock.id, &holder).await?
                    && !revoked.iter().any(|(k, _)| k.id == key.id)
                {
                    revoked.push((key, admin.lock.clone()));
                }
            }
        }
    }
    if let Some((_, lock)) = revoked.iter().find(|(k, _)| k.role == Role::Owner.id()) {
        return Err(ApiError::forbidden(format!(
            "The owner's key to lock {} cannot be revoked.",
            lock.lock_id
        )));
    }
    let now = ctx.state.now();
    let changes = WriteSet {
        keys_delete: revoked.iter().map(|(k, _)| k.id.clone()).collect(),
        activity: revoked
            .iter()
            .map(|(k, lock)| actor.entry(now, "KEY_REVOKED", Some(lock), Some(target(k))))
            .collect(),
        ..WriteSet::default()
    };
    ctx.state.apply(actor.org_id(), &changes).await?;
    Ok(revoked.into_iter().map(|(k, _)| k.id).collect())
}

/// `modifyKey` (admin of its lock): role (`USER`/`ADMIN`; never to or from `OWNER`),
/// dates (`null` clears), schedules, one-time, remote unlock. Records `KEY_MODIFIED`.
pub async fn modify_key(ctx: Ctx, who: Caller, req: ModifyKeyRequest) -> Result<Key, ApiError> {
    let key_id = required(req.key_id, "keyId")?;
    let role = req.role.as_deref().map(grantable_role).transpose()?;
    let schedules = req.schedules.as_deref().map(schedules::parse).transpose()?;
    let actor = Actor::load(&ctx, who).await?;
    let store = &ctx.state.store;
    let mut row = store.key(actor.org_id(), &key_id).await?;
    let lock = store.lock(actor.org_id(), &row.key.lock_id).await?;
    let admin = actor.admin_of(&ctx, lock).await?;
    let key = &mut row.key;
    if let Some(role) = role {
        if key.role == Role::Owner.id() {
            return Err(ApiError::invalid(
                "role",
                "of the owner's key changes only by transferOwnership",
            ));
        }
        key.role = role.id();
    }
    key.start_date = patch(key.start_date, &req.start_date, "startDate")?;
    key.end_date = patch(key.end_date, &req.end_date, "endDate")?;
    check_dates(key.start_date, key.end_date)?;
    if let Some(s) = &schedules {
        schedules::check_overlaps(s, &zone(&admin.lock)?)?;
        key.schedules = schedules::to_json(s);
    }
    if let Some(one_time) = req.one_time {
        key.one_time = one_time;
        key.used_at = None;
    }
    if let Some(remote) = req.can_remote_unlock {
        key.can_remote_unlock = remote;
    }
    let now = ctx.state.now();
    key.updated_at = now;
    let changes = WriteSet {
        keys_upsert: vec![key.clone()],
        activity: vec![actor.entry(now, "KEY_MODIFIED", Some(&admin.lock), Some(target(key)))],
        ..WriteSet::default()
    };
    ctx.state.apply(actor.org_id(), &changes).await?;
    views::key(&row, true)
}

/// `getUserKeys`: with no phone or email, every key of the organization (secret) or the
/// caller's own keys (session); with one, that person's keys on locks the caller
/// administers (all of them for the secret; their own for themselves).
pub async fn get_user_keys(
    ctx: Ctx,
    who: Caller,
    req: GetUserKeysRequest,
) -> Result<Vec<Key>, ApiError> {
    let (after, limit) = page(req.limit, req.after.as_deref())?;
    let is_virtual = matches!(who, Caller::Virtual(_));
    let filter = if req.phone.is_none() && req.email.is_none() {
        if is_virtual {
            KeyFilter::Organization
        } else {
            KeyFilter::User {
                user_id: who.user_id().to_owned(),
                administered_by: None,
            }
        }
    } else {
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
        let Some(user) = find_user(&ctx, &person).await? else {
            return Ok(Vec::new());
        };
        let administered_by =
            (!is_virtual && user.id != who.user_id()).then(|| who.user_id().to_owned());
        KeyFilter::User {
            user_id: user.id,
            administered_by,
        }
    };
    let admin_view = is_virtual
        || matches!(
            &filter,
            KeyFilter::User {
                administered_by: Some(_),
                ..
            }
        );
    let rows = ctx
        .state
        .store
        .keys_page(who.org_id(), &filter, after, limit)
        .await?;
    rows.iter()
        .map(|row| views::key(row, admin_view || row.key.role >= Role::Admin.id()))
        .collect()
}

/// `getLockUsers` (admin): the keys of one lock, pending ones included.
pub async fn get_lock_users(
    ctx: Ctx,
    who: Caller,
    req: GetLockUsersRequest,
) -> Result<Vec<Key>, ApiError> {
    let reference = required(req.lock_id, "lockId")?;
    let (after, limit) = page(req.limit, req.after.as_deref())?;
    let actor = Actor::load(&ctx, who).await?;
    let lock = ctx.state.store.lock(actor.org_id(), &reference).await?;
    let admin = actor.admin_of(&ctx, lock).await?;
    let rows = ctx
        .state
        .store
        .keys_page(
            actor.org_id(),
            &KeyFilter::Lock(admin.lock.id.clone()),
            after,
            limit,
        )
        .await?;
    rows.iter().map(|row| views::key(row, true)).collect()
}

/// The changes that give a new user the pending keys and group memberships waiting for
/// their email or phone (a key sent to their phone first, when both were sent to the
/// same lock).
pub async fn pending_claims(ctx: &Ctx, user: &UserRecord) -> Result<WriteSet, ApiError> {
    let store = &ctx.state.store;
    let (mut keys, members) = store
        .pending_for(user.email.as_deref(), user.phone.as_deref())
        .await?;
    if keys.is_empty() && members.is_empty() {
        return Ok(WriteSet::default());
    }
    keys.sort_by_key(|k| k.invite_phone.is_none() || k.invite_phone != user.phone);
    let now = ctx.state.now();
    let mut changes = WriteSet::default();
    for mut key in keys {
        if changes
            .keys_upsert
            .iter()
            .any(|k: &KeyRecord| k.lock_id == key.lock_id)
        {
            changes.keys_delete.push(key.id);
            continue;
        }
        key.user_id = Some(user.id.clone());
        key.status = KeyStatus::Active;
        key.invite_email = None;
        key.invite_phone = None;
        key.updated_at = now;
        changes.keys_upsert.push(key);
    }
    for mut member in members {
        member.user_id = Some(user.id.clone());
        member.invite_email = None;
        member.invite_phone = None;
        changes.members_upsert.push(member);
    }
    // No audit entry: the keys were recorded when they were sent.
    Ok(changes)
}

/// `USER` or `ADMIN`; `OWNER` is never granted this way.
fn grantable_role(value: &str) -> Result<Role, ApiError> {
    match value {
        "USER" => Ok(Role::User),
        "ADMIN" => Ok(Role::Admin),
        "OWNER" => Err(ApiError::invalid(
            "role",
            "OWNER is never granted this way: use transferOwnership",
        )),
        _ => Err(ApiError::invalid("role", "must be USER or ADMIN")),
    }
}

fn check_dates(start: Option<i64>, end: Option<i64>) -> Result<(), ApiError> {
    match (start, end) {
        (Some(s), Some(e)) if e <= s => {
            Err(ApiError::invalid("endDate", "must be after startDate"))
        }
        _ => Ok(()),
    }
}

fn patch(
    current: Option<i64>,
    change: &Patch<String>,
    field: &str,
) -> Result<Option<i64>, ApiError> {
    match change {
        Patch::Keep => Ok(current),
        Patch::Clear => Ok(None),
        Patch::Set(value) => instant(Some(value), field),
    }
}

/// The lock's time zone (checked when the lock was registered).
pub fn zone(lock: &LockRecord) -> Result<TimeZone, ApiError> {
    TimeZone::get(&lock.time_zone).map_err(ApiError::internal)
}

fn new_key(lock: &LockRecord, person: &Person, user: Option<&UserRecord>, now: i64) -> KeyRecord {
    let holder = match user {
        Some(u) => Invitee::User(u.id.clone()),
        None => Invitee::Pending {
            phone: person.phone.clone(),
            email: person.email.clone(),
        },
    };
    fresh_key(&lock.org_id, &lock.id, holder, Role::User, now)
}

/// Who a new key is for.
#[derive(Debug)]
pub enum Invitee {
    User(String),
    Pending {
        phone: Option<String>,
        email: Option<String>,
    },
}

/// A new key with no dates, schedules or remote unlock: active for a user, pending for
/// an invited phone or email.
pub fn fresh_key(org_id: &str, lock_id: &str, holder: Invitee, role: Role, now: i64) -> KeyRecord {
    let (user_id, invite_phone, invite_email) = match holder {
        Invitee::User(id) => (Some(id), None, None),
        Invitee::Pending { phone, email } => (None, phone, email),
    };
    KeyRecord {
        id: new_object_id(),
        org_id: org_id.to_owned(),
        lock_id: lock_id.to_owned(),
        status: if user_id.is_some() {
            KeyStatus::Active
        } else {
            KeyStatus::Pending
        },
        user_id,
        invite_email,
        invite_phone,
        invite_first_name: None,
        invite_last_name: None,
        role: role.id(),
        start_date: None,
        end_date: None,
        one_time: false,
        used_at: None,
        can_remote_unlock: false,
        text_key: false,
        sms_code: None,
        schedules: "[]".into(),
        group_id: None,
        created_at: now,
        updated_at: now,
    }
}

/// A six-digit code for text keys.
fn sms_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000))
}

/// What an audit entry says about a key.
pub fn target(key: &KeyRecord) -> Value {
    json!({
        "objectId": key.user_id,
        "keyId": key.id,
        "primaryEmail": key.invite_email,
        "primaryPhone": key.invite_phone,
        "role": Role::from_id(key.role).map(Role::as_str),
        "status": key.status.as_str(),
        "groupId": key.group_id,
    })
}
