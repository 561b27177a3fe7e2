//! Group functions: `createGroup`, `getGroups`, `getGroup`, `modifyGroup`,
//! `deleteGroup`, `addGroupUsers`, `removeGroupUsers`, `addGroupLocks`,
//! `removeGroupLocks`.
//!
//! Membership is materialized as keys carrying the group's id: a member gets a key to
//! every lock of the group (unless they already hold one to it, which stays as it is),
//! and the group's `canRemoteUnlock` and schedules apply to those keys. Removing a member
//! or a lock removes the keys the group gave. The caller must administer every lock the
//! group holds or gains.

use latchkey_api_types::{
    CreateGroupRequest, Empty, GetGroupsRequest, Group, GroupLocksRequest, GroupRequest,
    GroupUsersRequest, ModifyGroupRequest,
};
use latchkey_core::ids::new_object_id;
use latchkey_core::role::Role;
use latchkey_store::{GroupMemberRecord, GroupRecord, Holder, KeyRecord, LockRecord, WriteSet};
use serde_json::json;

use super::keys::{Invitee, fresh_key, target, zone};
use super::{Person, find_locks, find_user, name, page, people, required};
use crate::actor::{Actor, Administered};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::router::Ctx;
use crate::{schedules, views};

/// `createGroup`. Records `GROUP_CREATED`.
pub async fn create_group(
    ctx: Ctx,
    who: Caller,
    req: CreateGroupRequest,
) -> Result<Group, ApiError> {
    let name = name(&required(req.name, "name")?, "name")?;
    let description = req.description.map(|d| d.trim().to_owned());
    let refs = super::lock_refs(None, Some(&required(req.lock_ids, "lockIds")?))?;
    let schedules = schedules::parse(req.schedules.as_deref().unwrap_or_default())?;
    let actor = Actor::load(&ctx, who).await?;
    let locks = administered(&ctx, &actor, &refs).await?;
    for admin in &locks {
        schedules::check_overlaps(&schedules, &zone(&admin.lock)?)?;
    }
    let now = ctx.state.now();
    let group = GroupRecord {
        id: new_object_id(),
        org_id: actor.org_id().to_owned(),
        name,
        description,
        can_remote_unlock: req.can_remote_unlock.unwrap_or(false),
        can_unlock_until: req.can_unlock_until.unwrap_or(false),
        schedules: schedules::to_json(&schedules),
        created_at: now,
        updated_at: now,
    };
    let changes = WriteSet {
        groups_upsert: vec![group.clone()],
        group_locks_add: locks
            .iter()
            .map(|a| (group.id.clone(), a.lock.id.clone()))
            .collect(),
        activity: vec![actor.entry(
            now,
            "GROUP_CREATED",
            None,
            Some(json!({"groupId": group.id, "name": group.name})),
        )],
        ..WriteSet::default()
    };
    ctx.state.apply(actor.org_id(), &changes).await?;
    views::group(&group, locks.iter().map(|a| a.lock.id.clone()).collect(), 0)
}

/// `getGroups`: the groups whose every lock the caller administers (all with the secret).
pub async fn get_groups(
    ctx: Ctx,
    who: Caller,
    req: GetGroupsRequest,
) -> Result<Vec<Group>, ApiError> {
    let (after, limit) = page(req.limit, req.after.as_deref())?;
    let actor = Actor::load(&ctx, who).await?;
    let groups = ctx
        .state
        .store
        .groups_page(actor.org_id(), after, limit)
        .await?;
    let mut visible = Vec::new();
    for group in groups {
        if let Ok(view) = view_if_administered(&ctx, &actor, group).await {
            visible.push(view);
        }
    }
    Ok(visible)
}

/// `getGroup`.
pub async fn get_group(ctx: Ctx, who: Caller, req: GroupRequest) -> Result<Group, ApiError> {
    let group_id = required(req.group_id, "groupId")?;
    let actor = Actor::load(&ctx, who).await?;
    let group = ctx.state.store.group(actor.org_id(), &group_id).await?;
    view_if_administered(&ctx, &actor, group).await
}

/// `modifyGroup`: name, description, remote unlock, schedules. Records `GROUP_MODIFIED`.
pub async fn modify_group(
    ctx: Ctx,
    who: Caller,
    req: ModifyGroupRequest,
) -> Result<Group, ApiError> {
    let group_id = required(req.group_id, "groupId")?;
    let new_name = req.name.as_deref().map(|n| name(n, "name")).transpose()?;
    let schedules = req.schedules.as_deref().map(schedules::parse).transpose()?;
    let actor = Actor::load(&ctx, who).await?;
    let (mut group, locks) = load(&ctx, &actor, &group_id).await?;
    if let Some(s) = &schedules {
        for admin in &locks {
            schedules::check_overlaps(s, &zone(&admin.lock)?)?;
        }
        group.schedules = schedules::to_json(s);
    }
    if let Some(n) = new_name {
        group.name = n;
    }
    if let Some(d) = req.description {
        group.description = Some(d.trim().to_owned());
    }
    if let Some(v) = req.can_remote_unlock {
        group.can_remote_unlock = v;
    }
    if let Some(v) = req.can_unlock_until {
        group.can_unlock_until = v;
    }
    let now = ctx.state.now();
    group.updated_at = now;
    let changes = WriteSet {
        groups_upsert: vec![group.clone()],
        activity: vec![actor.entry(
            now,
            "GROUP_MODIFIED",
            None,
            Some(json!({"groupId": group.id})),
        )],
        ..WriteSet::default()
    };
    ctx.state.apply(actor.org_id(), &changes).await?;
    let members = ctx.state.store.group_members(&group.id).await?;
    views::group(&group, lock_ids(&locks), count(members.len()))
}

/// `deleteGroup`: the group and the keys it gave. Records `GROUP_DELETED`.
pub async fn delete_group(ctx: Ctx, who: Caller, req: GroupRequest) -> Result<Empty, ApiError> {
    let group_id = required(req.group_id, "groupId")?;
    let actor = Actor::load(&ctx, who).await?;
    let (group, _) = load(&ctx, &actor, &group_id).await?;
    let now = ctx.state.now();
    let changes = WriteSet {
        groups_delete: vec![group.id.clone()],
        activity: vec![actor.entry(
            now,
            "GROUP_DELETED",
            None,
            Some(json!({"groupId": group.id, "name": group.name})),
        )],
        ..WriteSet::default()
    };
    ctx.state.apply(actor.org_id(), &changes).await?;
    Ok(Empty {})
}

/// `addGroupUsers`: members (role `USER` or `ADMIN`) and their keys to every lock of the
/// group. Records `GROUP_MODIFIED` and a `KEY_SENT` per key.
pub async fn add_group_users(
    ctx: Ctx,
    who: Caller,
    req: GroupUsersRequest,
) -> Result<Group, ApiError> {
    let group_id = required(req.group_id, "groupId")?;
    let people = people(None, None, req.phones.as_ref(), req.emails.as_ref())?;
    let role = match req.role.as_deref() {
        None | Some("USER") => Role::User,
        Some("ADMIN") => Role::Admin,
        Some(_) => return Err(ApiError::invalid("role", "must be USER or ADMIN")),
    };
    let actor = Actor::load(&ctx, who).await?;
    let (group, locks) = load(&ctx, &actor, &group_id).await?;
    let store = &ctx.state.store;
    let mut members = store.group_members(&group.id).await?;
    let now = ctx.state.now();
    let mut changes = WriteSet::default();
    for person in &people {
        let user = find_user(&ctx, person).await?;
        let member = members
            .iter()
            .find(|m| same_member(m, person, user.as_ref().map(|u| u.id.as_str())));
        let mut member = member.cloned().unwrap_or_else(|| GroupMemberRecord {
            id: new_object_id(),
            group_id: group.id.clone(),
            user_id: user.as_ref().map(|u| u.id.clone()),
            invite_email: if user.is_none() {
                person.email.clone()
            } else {
                None
            },
            invite_phone: if user.is_none() {
                person.phone.clone()
            } else {
                None
            },
            role: role.id(),
            created_at: now,
        });
        member.role = role.id();
        changes.members_upsert.push(member.clone());
        members.push(member.clone());
        for admin in &locks {
            let holder = holder_of(&member);
            match store.key_of(&admin.lock.id, &holder).await? {
                Some(mut key) if key.group_id.as_deref() == Some(&group.id) => {
                    key.role = role.id();
                    key.updated_at = now;
                    changes.keys_upsert.push(key);
                }
                Some(_) => {}
                None => {
                    let key = group_key(&group, &admin.lock.id, &member, now);
                    changes.activity.push(actor.entry(
                        now,
                        "KEY_SENT",
                        Some(&admin.lock),
                        Some(target(&key)),
                    ));
                    changes.keys_upsert.push(key);
                }
            }
        }
    }
    changes.activity.push(actor.entry(
        now,
        "GROUP_MODIFIED",
        None,
        Some(json!({"groupId": group.id, "added": people.len()})),
    ));
    ctx.state.apply(actor.org_id(), &changes).await?;
    let members = store.group_members(&group.id).await?;
    views::group(&group, lock_ids(&locks), count(members.len()))
}

/// `removeGroupUsers`: the members and the keys the group gave them. Records
/// `GROUP_MODIFIED` and a `KEY_REVOKED` per key.
pub async fn remove_group_users(
    ctx: Ctx,
    who: Caller,
    req: GroupUsersRequest,
) -> Result<Group, ApiError> {
    let group_id = required(req.group_id, "groupId")?;
    let people = people(None, None, req.phones.as_ref(), req.emails.as_ref())?;
    let actor = Actor::load(&ctx, who).await?;
    let (group, locks) = load(&ctx, &actor, &group_id).await?;
    let store = &ctx.state.store;
    let members = store.group_members(&group.id).await?;
    let now = ctx.state.now();
    let mut changes = WriteSet::default();
    for person in &people {
        let user = find_user(&ctx, person).await?;
        let Some(member) = members
            .iter()
            .find(|m| same_member(m, person, user.as_ref().map(|u| u.id.as_str())))
        else {
            continue;
        };
        changes.members_delete.push(member.id.clone());
        for admin in &locks {
            revoke_group_key(&ctx, &actor, &group, &admin.lock, member, &mut changes).await?;
        }
    }
    changes.activity.push(actor.entry(
        now,
        "GROUP_MODIFIED",
        None,
        Some(json!({"groupId": group.id, "removed": changes.members_delete.len()})),
    ));
    ctx.state.apply(actor.org_id(), &changes).await?;
    let remaining = count(members.len() - changes.members_delete.len());
    views::group(&group, lock_ids(&locks), remaining)
}

/// `addGroupLocks`: the locks join the group and every member gets a key to them.
/// Records `GROUP_MODIFIED` and a `KEY_SENT` per key.
pub async fn add_group_locks(
    ctx: Ctx,
    who: Caller,
    req: GroupLocksRequest,
) -> Result<Group, ApiError> {
    let group_id = required(req.group_id, "groupId")?;
    let refs = super::lock_refs(None, Some(&required(req.lock_ids, "lockIds")?))?;
    let actor = Actor::load(&ctx, who).await?;
    let (group, mut locks) = load(&ctx, &actor, &group_id).await?;
    let added = administered(&ctx, &actor, &refs).await?;
    let group_schedules = schedules::from_json(&group.schedules)?;
    for admin in &added {
        schedules::check_overlaps(&group_schedules, &zone(&admin.lock)?)?;
    }
    let store = &ctx.state.store;
    let members = store.group_members(&group.id).await?;
    let now = ctx.state.now();
    let mut changes = WriteSet::default();
    for admin in added {
        if locks.iter().any(|l| l.lock.id == admin.lock.id) {
            continue;
        }
        changes
            .group_locks_add
            .push((group.id.clone(), admin.lock.id.clone()));
        for member in &members {
            if store
                .key_of(&admin.lock.id, &holder_of(member))
                .await?
                .is_none()
            {
                let key = group_key(&group, &admin.lock.id, member, now);
                changes.activity.push(actor.entry(
                    now,
                    "KEY_SENT",
                    Some(&admin.lock),
                    Some(target(&key)),
                ));
                changes.keys_upsert.push(key);
            }
        }
        locks.push(admin);
    }
    changes.activity.push(actor.entry(
        now,
        "GROUP_MODIFIED",
        None,
        Some(json!({"groupId": group.id})),
    ));
    ctx.state.apply(actor.org_id(), &changes).await?;
    views::group(&group, lock_ids(&locks), count(members.len()))
}

/// `removeGroupLocks`: the locks leave the group, with the keys it gave to them.
/// Records `GROUP_MODIFIED` and a `KEY_REVOKED` per key.
pub async fn remove_group_locks(
    ctx: Ctx,
    who: Caller,
    req: GroupLocksRequest,
) -> Result<Group, ApiError> {
    let group_id = required(req.group_id, "groupId")?;
    let refs = super::lock_refs(None, Some(&required(req.lock_ids, "lockIds")?))?;
    let actor = Actor::load(&ctx, who).await?;
    let (group, locks) = load(&ctx, &actor, &group_id).await?;
    let removed = find_locks(&ctx, actor.org_id(), &refs).await?;
    let store = &ctx.state.store;
    let members = store.group_members(&group.id).await?;
    let now = ctx.state.now();
    let mut changes = WriteSet::default();
    for lock in &removed {
        if !locks.iter().any(|l| l.lock.id == lock.id) {
            return Err(ApiError::invalid(
                "lockIds",
                format!("lock {} is not in this group", lock.lock_id),
            ));
        }
        changes
            .group_locks_remove
            .push((group.id.clone(), lock.id.clone()));
        for member in &members {
            revoke_group_key(&ctx, &actor, &group, lock, member, &mut changes).await?;
        }
    }
    changes.activity.push(actor.entry(
        now,
        "GROUP_MODIFIED",
        None,
        Some(json!({"groupId": group.id})),
    ));
    ctx.state.apply(actor.org_id(), &changes).await?;
    let remaining: Vec<String> = locks
        .iter()
        .map(|l| l.lock.id.clone())
        .filter(|id| !removed.iter().any(|r| &r.id == id))
        .collect();
    views::group(&group, remaining, count(members.len()))
}

/// Adds to `changes` the removal of the key `group` gave `member` to `lock`, if any.
async fn revoke_group_key(
    ctx: &Ctx,
    actor: &Actor,
    group: &GroupRecord,
    lock: &LockRecord,
    member: &GroupMemberRecord,
    changes: &mut WriteSet,
) -> Result<(), ApiError> {
    let key = ctx.state.store.key_of(&lock.id, &holder_of(member)).await?;
    if let Some(key) = key.filter(|k| k.group_id.as_deref() == Some(&group.id)) {
        let now = ctx.state.now();
        changes
            .activity
            .push(actor.entry(now, "KEY_REVOKED", Some(lock), Some(target(&key))));
        changes.keys_delete.push(key.id);
    }
    Ok(())
}

/// The locks, each administered by the actor (119 otherwise).
async fn administered(
    ctx: &Ctx,
    actor: &Actor,
    refs: &[String],
) -> Result<Vec<Administered>, ApiError> {
    let mut locks = Vec::new();
    for lock in find_locks(ctx, actor.org_id(), refs).await? {
        locks.push(actor.admin_of(ctx, lock).await?);
    }
    Ok(locks)
}

/// The group and its locks, if the actor administers every one of them (119 otherwise).
async fn load(
    ctx: &Ctx,
    actor: &Actor,
    group_id: &str,
) -> Result<(GroupRecord, Vec<Administered>), ApiError> {
    let group = ctx.state.store.group(actor.org_id(), group_id).await?;
    let lock_ids = ctx.state.store.group_lock_ids(&group.id).await?;
    let locks = administered(ctx, actor, &lock_ids).await?;
    Ok((group, locks))
}

async fn view_if_administered(
    ctx: &Ctx,
    actor: &Actor,
    group: GroupRecord,
) -> Result<Group, ApiError> {
    let (group, locks) = load(ctx, actor, &group.id).await?;
    let members = ctx.state.store.group_members(&group.id).await?;
    views::group(&group, lock_ids(&locks), count(members.len()))
}

fn lock_ids(locks: &[Administered]) -> Vec<String> {
    locks.iter().map(|a| a.lock.id.clone()).collect()
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn same_member(member: &GroupMemberRecord, person: &Person, user_id: Option<&str>) -> bool {
    match (user_id, member.user_id.as_deref()) {
        (Some(u), Some(m)) => u == m,
        (None, None) => {
            (person.phone.is_some() && member.invite_phone == person.phone)
                || (person.email.is_some() && member.invite_email == person.email)
        }
        _ => false,
    }
}

fn holder_of(member: &GroupMemberRecord) -> Holder {
    match &member.user_id {
        Some(id) => Holder::User(id.clone()),
        None => Holder::Invite {
            phone: member.invite_phone.clone(),
            email: member.invite_email.clone(),
        },
    }
}

/// The key a group gives a member to one of its locks.
fn group_key(
    group: &GroupRecord,
    lock_id: &str,
    member: &GroupMemberRecord,
    now: i64,
) -> KeyRecord {
    let holder = match &member.user_id {
        Some(id) => Invitee::User(id.clone()),
        None => Invitee::Pending {
            phone: member.invite_phone.clone(),
            email: member.invite_email.clone(),
        },
    };
    let role = Role::from_id(member.role).unwrap_or(Role::User);
    KeyRecord {
        group_id: Some(group.id.clone()),
        ..fresh_key(&group.org_id, lock_id, holder, role, now)
    }
}
