//! Rows to records, written once for both databases against [`Columns`].

use crate::columns::Columns;
use crate::{
    ActivityRecord, ApiKeyRecord, AttemptRecord, DeviceRecord, EnrollmentRecord, GroupMemberRecord,
    GroupRecord, InboxRecord, JobRecord, JobState, KeyRecord, KeyRow, KeyStatus, LockRecord,
    Organization, PortalOrganization, Result, SessionRecord, StoreError, UnlockRecord, UserRecord,
    UserType, WebhookRecord,
};
use latchkey_core::secret::Digest32;

fn corrupt(what: &str) -> StoreError {
    StoreError::Other(format!("corrupt row: {what}").into())
}

fn digest(bytes: Vec<u8>) -> Result<Digest32> {
    bytes.try_into().map_err(|_| corrupt("digest length"))
}

pub fn organization_from_row(row: &impl Columns) -> Result<Organization> {
    Ok(Organization {
        id: row.text("id")?,
        name: row.text("name")?,
        created_at: row.int("created_at")?,
    })
}

/// A row of `sql::PORTAL_ORGANIZATIONS`.
pub fn portal_organization_from_row(row: &impl Columns) -> Result<PortalOrganization> {
    Ok(PortalOrganization {
        id: row.text("id")?,
        name: row.text("name")?,
        api_key: row.opt_text("api_key")?,
        org_admin: row.flag("org_admin")?,
    })
}

pub fn api_key_from_row(row: &impl Columns) -> Result<ApiKeyRecord> {
    let previous = row.opt_bytes("previous_secret_hash")?;
    Ok(ApiKeyRecord {
        api_key: row.text("api_key")?,
        org_id: row.text("org_id")?,
        virtual_user_id: row.text("virtual_user_id")?,
        secret_hash: digest(row.bytes("secret_hash")?)?,
        previous_secret_hash: previous.map(digest).transpose()?,
        previous_valid_until: row.opt_int("previous_valid_until")?,
        revoked_at: row.opt_int("revoked_at")?,
        created_at: row.int("created_at")?,
    })
}

pub fn user_from_row(row: &impl Columns) -> Result<UserRecord> {
    let user_type = row.text("type")?;
    Ok(UserRecord {
        id: row.text("id")?,
        user_type: UserType::parse(&user_type).ok_or_else(|| corrupt("user type"))?,
        first_name: row.opt_text("first_name")?,
        last_name: row.opt_text("last_name")?,
        email: row.opt_text("email")?,
        phone: row.opt_text("phone")?,
        password_hash: row.opt_text("password_hash")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
    })
}

pub fn session_from_row(row: &impl Columns) -> Result<SessionRecord> {
    Ok(SessionRecord {
        token_hash: digest(row.bytes("token_hash")?)?,
        user_id: row.text("user_id")?,
        org_id: row.text("org_id")?,
        created_at: row.int("created_at")?,
        last_used_at: row.int("last_used_at")?,
    })
}

pub fn lock_from_row(row: &impl Columns) -> Result<LockRecord> {
    Ok(LockRecord {
        id: row.text("id")?,
        org_id: row.text("org_id")?,
        lock_id: row.text("lock_id")?,
        short_name: row.text("short_name")?,
        long_name: row.opt_text("long_name")?,
        time_zone: row.text("time_zone")?,
        lock_type: row.text("type")?,
        relock_seconds: row.int("relock_seconds")?,
        driver: row.text("driver")?,
        online: row.flag("online")?,
        lockdown: row.flag("lockdown")?,
        last_seen_at: row.opt_int("last_seen_at")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
    })
}

pub fn key_from_row(row: &impl Columns) -> Result<KeyRecord> {
    let status = row.text("status")?;
    Ok(KeyRecord {
        id: row.text("id")?,
        org_id: row.text("org_id")?,
        lock_id: row.text("lock_id")?,
        user_id: row.opt_text("user_id")?,
        invite_email: row.opt_text("invite_email")?,
        invite_phone: row.opt_text("invite_phone")?,
        invite_first_name: row.opt_text("invite_first_name")?,
        invite_last_name: row.opt_text("invite_last_name")?,
        role: row.int("role")?,
        status: KeyStatus::parse(&status).ok_or_else(|| corrupt("key status"))?,
        start_date: row.opt_int("start_date")?,
        end_date: row.opt_int("end_date")?,
        one_time: row.flag("one_time")?,
        used_at: row.opt_int("used_at")?,
        can_remote_unlock: row.flag("can_remote_unlock")?,
        text_key: row.flag("text_key")?,
        sms_code: row.opt_text("sms_code")?,
        schedules: row.text("schedules")?,
        group_id: row.opt_text("group_id")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
    })
}

/// A key row joined with its lock (`l_*`) and holder (`u_*`), as `KEY_ROW_SELECT` reads it.
pub fn key_row_from_row(row: &impl Columns) -> Result<KeyRow> {
    let user_id = row.opt_text("u_id")?;
    let user = match user_id {
        Some(id) => {
            let user_type = row.text("u_type")?;
            Some(UserRecord {
                id,
                user_type: UserType::parse(&user_type).ok_or_else(|| corrupt("user type"))?,
                first_name: row.opt_text("u_first_name")?,
                last_name: row.opt_text("u_last_name")?,
                email: row.opt_text("u_email")?,
                phone: row.opt_text("u_phone")?,
                password_hash: None,
                created_at: row.int("u_created_at")?,
                updated_at: row.int("u_updated_at")?,
            })
        }
        None => None,
    };
    Ok(KeyRow {
        key: key_from_row(row)?,
        lock_device_id: row.text("l_lock_id")?,
        lock_short_name: row.text("l_short_name")?,
        lock_time_zone: row.text("l_time_zone")?,
        user,
    })
}

pub fn group_from_row(row: &impl Columns) -> Result<GroupRecord> {
    Ok(GroupRecord {
        id: row.text("id")?,
        org_id: row.text("org_id")?,
        name: row.text("name")?,
        description: row.opt_text("description")?,
        can_remote_unlock: row.flag("can_remote_unlock")?,
        can_unlock_until: row.flag("can_unlock_until")?,
        schedules: row.text("schedules")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
    })
}

pub fn member_from_row(row: &impl Columns) -> Result<GroupMemberRecord> {
    Ok(GroupMemberRecord {
        id: row.text("id")?,
        group_id: row.text("group_id")?,
        user_id: row.opt_text("user_id")?,
        invite_email: row.opt_text("invite_email")?,
        invite_phone: row.opt_text("invite_phone")?,
        role: row.int("role")?,
        created_at: row.int("created_at")?,
    })
}

pub fn activity_from_row(row: &impl Columns) -> Result<ActivityRecord> {
    Ok(ActivityRecord {
        seq: row.int("seq")?,
        at: row.int("at")?,
        entry_type: row.text("type")?,
        lock_id: row.opt_text("lock_id")?,
        entry: row.text("entry")?,
        hash: digest(row.bytes("hash")?)?,
    })
}

pub fn unlock_from_row(row: &impl Columns) -> Result<UnlockRecord> {
    Ok(UnlockRecord {
        id: row.text("id")?,
        org_id: row.text("org_id")?,
        lock_id: row.text("lock_id")?,
        command: row.text("command")?,
        client_request_id: row.opt_text("client_request_id")?,
        initiator_id: row.text("initiator_id")?,
        on_behalf_of: row.opt_text("on_behalf_of")?,
        status: row.int("status")?,
        history: row.text("history")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
    })
}

pub fn webhook_from_row(row: &impl Columns) -> Result<WebhookRecord> {
    Ok(WebhookRecord {
        id: row.text("id")?,
        org_id: row.text("org_id")?,
        url: row.text("url")?,
        events: row.text("events")?,
        description: row.opt_text("description")?,
        secret: row.text("secret")?,
        disabled_at: row.opt_int("disabled_at")?,
        created_at: row.int("created_at")?,
    })
}

pub fn enrollment_from_row(row: &impl Columns) -> Result<EnrollmentRecord> {
    Ok(EnrollmentRecord {
        id: row.text("id")?,
        org_id: row.text("org_id")?,
        user_id: row.text("user_id")?,
        name: row.opt_text("name")?,
        lock_ids: row.text("lock_ids")?,
        group_id: row.opt_text("group_id")?,
        categories: row.text("categories")?,
        quiet_hours: row.opt_text("quiet_hours")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
    })
}

pub fn device_from_row(row: &impl Columns) -> Result<DeviceRecord> {
    Ok(DeviceRecord {
        id: row.text("id")?,
        org_id: row.text("org_id")?,
        user_id: row.text("user_id")?,
        platform: row.text("platform")?,
        token: row.opt_text("token")?,
        url: row.opt_text("url")?,
        secret: row.opt_text("secret")?,
        created_at: row.int("created_at")?,
    })
}

pub fn inbox_from_row(row: &impl Columns) -> Result<InboxRecord> {
    Ok(InboxRecord {
        seq: row.int("seq")?,
        id: row.text("id")?,
        org_id: row.text("org_id")?,
        user_id: row.text("user_id")?,
        kind: row.text("kind")?,
        message_id: row.text("message_id")?,
        title: row.text("title")?,
        body: row.text("body")?,
        from_json: row.opt_text("from_json")?,
        activity_json: row.opt_text("activity_json")?,
        created_at: row.int("created_at")?,
    })
}

pub fn job_from_row(row: &impl Columns) -> Result<JobRecord> {
    Ok(JobRecord {
        id: row.int("id")?,
        org_id: row.text("org_id")?,
        kind: row.text("kind")?,
        queue: row.text("queue")?,
        payload: row.text("payload")?,
        state: JobState::parse(&row.text("state")?).ok_or_else(|| corrupt("job state"))?,
        attempts: row.int("attempts")?,
        run_at: row.int("run_at")?,
        last_error: row.opt_text("last_error")?,
        created_at: row.int("created_at")?,
    })
}

pub fn attempt_from_row(row: &impl Columns) -> Result<AttemptRecord> {
    Ok(AttemptRecord {
        job_id: row.int("job_id")?,
        attempt: row.int("attempt")?,
        at: row.int("at")?,
        status_code: row.opt_int("status_code")?,
        duration_ms: row.int("duration_ms")?,
        error: row.opt_text("error")?,
    })
}
