//! Records as the API shows them.

use latchkey_api_types::{Driver, Group, Key, KeyLock, KeyUser, Lock, LockType, User, UserType};
use latchkey_core::role::Role;
use latchkey_core::time::format_millis;
use latchkey_store::{self as store, GroupRecord, KeyRow, LockRecord, UserRecord};

use crate::error::ApiError;
use crate::schedules;

pub fn user(record: &UserRecord) -> User {
    User {
        object_id: record.id.clone(),
        first_name: record.first_name.clone(),
        last_name: record.last_name.clone(),
        primary_email: record.email.clone(),
        primary_phone: record.phone.clone(),
        user_type: match record.user_type {
            store::UserType::User => UserType::User,
            store::UserType::Virtual => UserType::Virtual,
        },
        created_at: format_millis(record.created_at),
        updated_at: format_millis(record.updated_at),
    }
}

/// The lock as seen by a caller with `role` on it; admins also see the driver.
pub fn lock(record: &LockRecord, role: Option<Role>) -> Result<Lock, ApiError> {
    let lock_type = match record.lock_type.as_str() {
        "CORE" => LockType::Core,
        "CONTROLLER" => LockType::Controller,
        _ => LockType::Other,
    };
    let driver = if role.is_some_and(Role::is_admin) {
        Some(serde_json::from_str::<Driver>(&record.driver).map_err(ApiError::internal)?)
    } else {
        None
    };
    Ok(Lock {
        object_id: record.id.clone(),
        lock_id: record.lock_id.clone(),
        short_name: record.short_name.clone(),
        long_name: record.long_name.clone(),
        time_zone: record.time_zone.clone(),
        lock_type,
        online: record.online,
        last_seen_at: record.last_seen_at.map(format_millis),
        relock_seconds: u32::try_from(record.relock_seconds).unwrap_or(0),
        lockdown: record.lockdown,
        role: role.map(|r| r.as_str().to_owned()),
        driver,
        created_at: format_millis(record.created_at),
        updated_at: format_millis(record.updated_at),
    })
}

/// A key as the API shows it; `admin_view` adds the admins-only `smsUnlockCode`.
pub fn key(row: &KeyRow, admin_view: bool) -> Result<Key, ApiError> {
    let k = &row.key;
    let role = Role::from_id(k.role).unwrap_or(Role::User);
    let user = match &row.user {
        Some(u) => KeyUser {
            object_id: Some(u.id.clone()),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            primary_email: u.email.clone(),
            primary_phone: u.phone.clone(),
        },
        None => KeyUser {
            object_id: None,
            first_name: k.invite_first_name.clone(),
            last_name: k.invite_last_name.clone(),
            primary_email: k.invite_email.clone(),
            primary_phone: k.invite_phone.clone(),
        },
    };
    Ok(Key {
        object_id: k.id.clone(),
        lock: KeyLock {
            object_id: k.lock_id.clone(),
            lock_id: row.lock_device_id.clone(),
            short_name: row.lock_short_name.clone(),
            time_zone: row.lock_time_zone.clone(),
        },
        user,
        role: role.as_str().to_owned(),
        role_id: role.id(),
        status: k.status.as_str().to_owned(),
        start_date: k.start_date.map(format_millis),
        end_date: k.end_date.map(format_millis),
        one_time: k.one_time,
        used_at: k.used_at.map(format_millis),
        can_remote_unlock: k.can_remote_unlock,
        text_key: k.text_key,
        sms_unlock_code: if admin_view { k.sms_code.clone() } else { None },
        schedules: schedules::wire_from_json(&k.schedules)?,
        group_id: k.group_id.clone(),
        created_at: format_millis(k.created_at),
        updated_at: format_millis(k.updated_at),
    })
}

/// A group as the API shows it.
pub fn group(
    record: &GroupRecord,
    lock_ids: Vec<String>,
    user_count: i64,
) -> Result<Group, ApiError> {
    Ok(Group {
        object_id: record.id.clone(),
        name: record.name.clone(),
        description: record.description.clone(),
        lock_ids,
        can_remote_unlock: record.can_remote_unlock,
        can_unlock_until: record.can_unlock_until,
        schedules: schedules::wire_from_json(&record.schedules)?,
        user_count,
        created_at: format_millis(record.created_at),
        updated_at: format_millis(record.updated_at),
    })
}
