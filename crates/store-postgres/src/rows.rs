//! Rows to records.

use latchkey_core::secret::Digest32;
use latchkey_store::{
    ActivityRecord, ApiKeyRecord, GroupMemberRecord, GroupRecord, KeyRecord, KeyRow, KeyStatus,
    LockRecord, Organization, Result, SessionRecord, StoreError, UnlockRecord, UserRecord,
    UserType,
};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::db;

fn corrupt(what: &str) -> StoreError {
    StoreError::Other(format!("corrupt row: {what}").into())
}

fn digest(bytes: Vec<u8>) -> Result<Digest32> {
    bytes.try_into().map_err(|_| corrupt("digest length"))
}

pub(crate) fn organization_from_row(row: &PgRow) -> Result<Organization> {
    Ok(Organization {
        id: row.try_get("id").map_err(db)?,
        name: row.try_get("name").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
    })
}

pub(crate) fn api_key_from_row(row: &PgRow) -> Result<ApiKeyRecord> {
    let previous: Option<Vec<u8>> = row.try_get("previous_secret_hash").map_err(db)?;
    Ok(ApiKeyRecord {
        api_key: row.try_get("api_key").map_err(db)?,
        org_id: row.try_get("org_id").map_err(db)?,
        virtual_user_id: row.try_get("virtual_user_id").map_err(db)?,
        secret_hash: digest(row.try_get("secret_hash").map_err(db)?)?,
        previous_secret_hash: previous.map(digest).transpose()?,
        previous_valid_until: row.try_get("previous_valid_until").map_err(db)?,
        revoked_at: row.try_get("revoked_at").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
    })
}

pub(crate) fn user_from_row(row: &PgRow) -> Result<UserRecord> {
    let user_type: String = row.try_get("type").map_err(db)?;
    Ok(UserRecord {
        id: row.try_get("id").map_err(db)?,
        user_type: UserType::parse(&user_type).ok_or_else(|| corrupt("user type"))?,
        first_name: row.try_get("first_name").map_err(db)?,
        last_name: row.try_get("last_name").map_err(db)?,
        email: row.try_get("email").map_err(db)?,
        phone: row.try_get("phone").map_err(db)?,
        password_hash: row.try_get("password_hash").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
        updated_at: row.try_get("updated_at").map_err(db)?,
    })
}

pub(crate) fn session_from_row(row: &PgRow) -> Result<SessionRecord> {
    Ok(SessionRecord {
        token_hash: digest(row.try_get("token_hash").map_err(db)?)?,
        user_id: row.try_get("user_id").map_err(db)?,
        org_id: row.try_get("org_id").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
        last_used_at: row.try_get("last_used_at").map_err(db)?,
    })
}

pub(crate) fn lock_from_row(row: &PgRow) -> Result<LockRecord> {
    Ok(LockRecord {
        id: row.try_get("id").map_err(db)?,
        org_id: row.try_get("org_id").map_err(db)?,
        lock_id: row.try_get("lock_id").map_err(db)?,
        short_name: row.try_get("short_name").map_err(db)?,
        long_name: row.try_get("long_name").map_err(db)?,
        time_zone: row.try_get("time_zone").map_err(db)?,
        lock_type: row.try_get("type").map_err(db)?,
        relock_seconds: row.try_get("relock_seconds").map_err(db)?,
        driver: row.try_get("driver").map_err(db)?,
        online: row.try_get("online").map_err(db)?,
        lockdown: row.try_get("lockdown").map_err(db)?,
        last_seen_at: row.try_get("last_seen_at").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
        updated_at: row.try_get("updated_at").map_err(db)?,
    })
}

pub(crate) fn key_from_row(row: &PgRow) -> Result<KeyRecord> {
    let status: String = row.try_get("status").map_err(db)?;
    Ok(KeyRecord {
        id: row.try_get("id").map_err(db)?,
        org_id: row.try_get("org_id").map_err(db)?,
        lock_id: row.try_get("lock_id").map_err(db)?,
        user_id: row.try_get("user_id").map_err(db)?,
        invite_email: row.try_get("invite_email").map_err(db)?,
        invite_phone: row.try_get("invite_phone").map_err(db)?,
        invite_first_name: row.try_get("invite_first_name").map_err(db)?,
        invite_last_name: row.try_get("invite_last_name").map_err(db)?,
        role: row.try_get("role").map_err(db)?,
        status: KeyStatus::parse(&status).ok_or_else(|| corrupt("key status"))?,
        start_date: row.try_get("start_date").map_err(db)?,
        end_date: row.try_get("end_date").map_err(db)?,
        one_time: row.try_get("one_time").map_err(db)?,
        used_at: row.try_get("used_at").map_err(db)?,
        can_remote_unlock: row.try_get("can_remote_unlock").map_err(db)?,
        text_key: row.try_get("text_key").map_err(db)?,
        sms_code: row.try_get("sms_code").map_err(db)?,
        schedules: row.try_get("schedules").map_err(db)?,
        group_id: row.try_get("group_id").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
        updated_at: row.try_get("updated_at").map_err(db)?,
    })
}

/// A key row joined with its lock (`l_*`) and holder (`u_*`), as `KEY_ROW_SELECT` reads it.
pub(crate) fn key_row_from_row(row: &PgRow) -> Result<KeyRow> {
    let user_id: Option<String> = row.try_get("u_id").map_err(db)?;
    let user = match user_id {
        Some(id) => {
            let user_type: String = row.try_get("u_type").map_err(db)?;
            Some(UserRecord {
                id,
                user_type: UserType::parse(&user_type).ok_or_else(|| corrupt("user type"))?,
                first_name: row.try_get("u_first_name").map_err(db)?,
                last_name: row.try_get("u_last_name").map_err(db)?,
                email: row.try_get("u_email").map_err(db)?,
                phone: row.try_get("u_phone").map_err(db)?,
                password_hash: None,
                created_at: row.try_get("u_created_at").map_err(db)?,
                updated_at: row.try_get("u_updated_at").map_err(db)?,
            })
        }
        None => None,
    };
    Ok(KeyRow {
        key: key_from_row(row)?,
        lock_device_id: row.try_get("l_lock_id").map_err(db)?,
        lock_short_name: row.try_get("l_short_name").map_err(db)?,
        lock_time_zone: row.try_get("l_time_zone").map_err(db)?,
        user,
    })
}

pub(crate) fn group_from_row(row: &PgRow) -> Result<GroupRecord> {
    Ok(GroupRecord {
        id: row.try_get("id").map_err(db)?,
        org_id: row.try_get("org_id").map_err(db)?,
        name: row.try_get("name").map_err(db)?,
        description: row.try_get("description").map_err(db)?,
        can_remote_unlock: row.try_get("can_remote_unlock").map_err(db)?,
        can_unlock_until: row.try_get("can_unlock_until").map_err(db)?,
        schedules: row.try_get("schedules").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
        updated_at: row.try_get("updated_at").map_err(db)?,
    })
}

pub(crate) fn member_from_row(row: &PgRow) -> Result<GroupMemberRecord> {
    Ok(GroupMemberRecord {
        id: row.try_get("id").map_err(db)?,
        group_id: row.try_get("group_id").map_err(db)?,
        user_id: row.try_get("user_id").map_err(db)?,
        invite_email: row.try_get("invite_email").map_err(db)?,
        invite_phone: row.try_get("invite_phone").map_err(db)?,
        role: row.try_get("role").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
    })
}

pub(crate) fn activity_from_row(row: &PgRow) -> Result<ActivityRecord> {
    Ok(ActivityRecord {
        seq: row.try_get("seq").map_err(db)?,
        at: row.try_get("at").map_err(db)?,
        entry_type: row.try_get("type").map_err(db)?,
        lock_id: row.try_get("lock_id").map_err(db)?,
        entry: row.try_get("entry").map_err(db)?,
        hash: digest(row.try_get("hash").map_err(db)?)?,
    })
}

pub(crate) fn unlock_from_row(row: &PgRow) -> Result<UnlockRecord> {
    Ok(UnlockRecord {
        id: row.try_get("id").map_err(db)?,
        org_id: row.try_get("org_id").map_err(db)?,
        lock_id: row.try_get("lock_id").map_err(db)?,
        command: row.try_get("command").map_err(db)?,
        client_request_id: row.try_get("client_request_id").map_err(db)?,
        initiator_id: row.try_get("initiator_id").map_err(db)?,
        on_behalf_of: row.try_get("on_behalf_of").map_err(db)?,
        status: row.try_get("status").map_err(db)?,
        history: row.try_get("history").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
        updated_at: row.try_get("updated_at").map_err(db)?,
    })
}
