//! Records as the API shows them.

use latchkey_api_types::{Driver, Lock, LockType, User, UserType};
use latchkey_core::role::Role;
use latchkey_core::time::format_millis;
use latchkey_store::{self as store, LockRecord, UserRecord};

use crate::error::ApiError;

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
        role: role.map(|r| r.as_str().to_owned()),
        driver,
        created_at: format_millis(record.created_at),
        updated_at: format_millis(record.updated_at),
    })
}
