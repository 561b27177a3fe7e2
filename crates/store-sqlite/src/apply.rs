//! `apply`: one call's changes and its audit entries, all or nothing, written by the
//! group-commit writer (`writer.rs`) inside its transaction, which starts with
//! `BEGIN IMMEDIATE`: SQLite's write lock is held from the start, so the audit log's head
//! is read and advanced without a race.

use latchkey_core::audit;
use latchkey_core::secret::Digest32;
use latchkey_store::group_commit::Heads;
use latchkey_store::{
    ActivityDraft, ActivityRecord, KeyRecord, LockRecord, Result, StoreError, WriteSet,
};
use rusqlite::Connection;

use crate::direct;

/// What this transaction knows of the organizations it touched.
pub(crate) type Batch = Heads;

fn head(batch: &Batch, conn: &Connection, org_id: &str) -> Result<(i64, Digest32)> {
    match batch.heads.get(org_id) {
        Some(head) => Ok(*head),
        None => log_head(conn, org_id),
    }
}

fn listened(batch: &mut Batch, conn: &Connection, org_id: &str) -> Result<bool> {
    if let Some(listened) = batch.listened.get(org_id) {
        return Ok(*listened);
    }
    let listened = crate::outbox::has_subscribers(conn, org_id)?;
    batch.listened.insert(org_id.to_owned(), listened);
    Ok(listened)
}

/// Writes each organization's new log head; the last step before the commit.
pub(crate) fn finish(batch: &Batch, conn: &Connection) -> Result<()> {
    for (org_id, (seq, hash)) in &batch.heads {
        direct::run(
            conn,
            "UPDATE organizations SET activity_seq = $2, activity_head = $3 WHERE id = $1",
            &[&org_id, &seq, &hash.as_slice()],
        )?;
    }
    Ok(())
}

/// Writes `changes` on `conn`, inside a transaction that holds the write lock. On an
/// error, `batch` is as it was before (the caller rolls the writes back).
pub(crate) fn write_changes(
    conn: &Connection,
    org_id: &str,
    changes: &WriteSet,
    batch: &mut Batch,
) -> Result<Vec<ActivityRecord>> {
    let head = if changes.activity.is_empty() {
        None
    } else {
        Some(head(batch, conn, org_id)?)
    };
    for lock in &changes.locks_insert {
        insert_lock(conn, lock)?;
    }
    write_groups(conn, changes)?;
    delete_each(conn, "DELETE FROM keys WHERE id = $1", &changes.keys_delete)?;
    for key in &changes.keys_upsert {
        upsert_key(conn, key)?;
    }
    for (group_id, lock_id) in &changes.group_locks_remove {
        direct::run(
            conn,
            "DELETE FROM group_locks WHERE group_id = $1 AND lock_id = $2",
            &[&group_id, &lock_id],
        )?;
    }
    delete_each(
        conn,
        "DELETE FROM group_members WHERE id = $1",
        &changes.members_delete,
    )?;
    delete_each(
        conn,
        "DELETE FROM groups WHERE id = $1",
        &changes.groups_delete,
    )?;
    for lock in &changes.locks_update {
        update_lock(conn, lock)?;
    }
    delete_each(
        conn,
        "DELETE FROM locks WHERE id = $1",
        &changes.locks_delete,
    )?;
    write_credentials(conn, changes)?;
    for request in &changes.unlocks_update {
        crate::unlocks::write_unlock(conn, request)?;
    }
    let sealed = match head {
        Some(head) => append_activity(conn, org_id, head, &changes.activity)?,
        None => Vec::new(),
    };
    crate::outbox::write_webhooks(conn, &changes.webhooks_insert, &changes.webhooks_delete)?;
    crate::outbox::insert_inbox(conn, &changes.inbox)?;
    crate::outbox::insert_jobs(conn, &changes.jobs)?;
    let touches_listeners =
        !changes.webhooks_insert.is_empty() || !changes.webhooks_delete.is_empty();
    if touches_listeners {
        batch.listened.remove(org_id);
    }
    if let Some(dispatch) = latchkey_store::dispatch_job(org_id, &sealed)
        && listened(batch, conn, org_id)?
    {
        crate::outbox::insert_jobs(conn, &[dispatch])?;
    }
    if let Some(last) = sealed.last() {
        batch.heads.insert(org_id.to_owned(), (last.seq, last.hash));
    }
    Ok(sealed)
}

fn delete_each(conn: &Connection, sql: &'static str, ids: &[String]) -> Result<()> {
    for id in ids {
        direct::run(conn, sql, &[&id])?;
    }
    Ok(())
}

/// New sessions and a rotated API secret.
fn write_credentials(conn: &Connection, changes: &WriteSet) -> Result<()> {
    for admin in &changes.organization_admins {
        direct::run(
            conn,
            latchkey_store::sql::GRANT_ORGANIZATION_ADMIN,
            &[&admin.org_id, &admin.user_id, &admin.created_at],
        )?;
    }
    for session in &changes.sessions_insert {
        direct::run(
            conn,
            "INSERT INTO sessions (token_hash, user_id, org_id, created_at, last_used_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &session.token_hash.as_slice(),
                &session.user_id,
                &session.org_id,
                &session.created_at,
                &session.last_used_at,
            ],
        )?;
    }
    if let Some(rotation) = &changes.secret_rotation {
        let done = direct::run(
            conn,
            "UPDATE api_keys SET previous_secret_hash = secret_hash,
                    previous_valid_until = $2, secret_hash = $3
             WHERE api_key = $1 AND revoked_at IS NULL",
            &[
                &rotation.api_key,
                &rotation.previous_valid_until,
                &rotation.new_secret.as_slice(),
            ],
        )?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
    }
    Ok(())
}

/// Groups, their locks and members, before the keys that refer to them.
fn write_groups(conn: &Connection, changes: &WriteSet) -> Result<()> {
    for group in &changes.groups_upsert {
        direct::run(
            conn,
            "INSERT INTO groups (id, org_id, name, description, can_remote_unlock,
                    can_unlock_until, schedules, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name,
                description = excluded.description,
                can_remote_unlock = excluded.can_remote_unlock,
                can_unlock_until = excluded.can_unlock_until,
                schedules = excluded.schedules, updated_at = excluded.updated_at",
            &[
                &group.id,
                &group.org_id,
                &group.name,
                &group.description,
                &group.can_remote_unlock,
                &group.can_unlock_until,
                &group.schedules,
                &group.created_at,
                &group.updated_at,
            ],
        )?;
    }
    for (group_id, lock_id) in &changes.group_locks_add {
        direct::run(
            conn,
            "INSERT INTO group_locks (group_id, lock_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&group_id, &lock_id],
        )?;
    }
    for member in &changes.members_upsert {
        direct::run(
            conn,
            "INSERT INTO group_members (id, group_id, user_id, invite_email, invite_phone, role,
                    created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, role = excluded.role,
                invite_email = excluded.invite_email, invite_phone = excluded.invite_phone",
            &[
                &member.id,
                &member.group_id,
                &member.user_id,
                &member.invite_email,
                &member.invite_phone,
                &member.role,
                &member.created_at,
            ],
        )?;
    }
    Ok(())
}

pub(crate) fn insert_lock(conn: &Connection, lock: &LockRecord) -> Result<()> {
    direct::run(
        conn,
        "INSERT INTO locks (id, org_id, lock_id, short_name, long_name, time_zone, type,
                relock_seconds, driver, online, lockdown, last_seen_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        &[
            &lock.id,
            &lock.org_id,
            &lock.lock_id,
            &lock.short_name,
            &lock.long_name,
            &lock.time_zone,
            &lock.lock_type,
            &lock.relock_seconds,
            &lock.driver,
            &lock.online,
            &lock.lockdown,
            &lock.last_seen_at,
            &lock.created_at,
            &lock.updated_at,
        ],
    )?;
    Ok(())
}

fn update_lock(conn: &Connection, lock: &LockRecord) -> Result<()> {
    let done = direct::run(
        conn,
        "UPDATE locks SET short_name = $2, long_name = $3, time_zone = $4, type = $5,
                relock_seconds = $6, driver = $7, lockdown = $8, updated_at = $9
         WHERE id = $1",
        &[
            &lock.id,
            &lock.short_name,
            &lock.long_name,
            &lock.time_zone,
            &lock.lock_type,
            &lock.relock_seconds,
            &lock.driver,
            &lock.lockdown,
            &lock.updated_at,
        ],
    )?;
    if done == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(crate) fn upsert_key(conn: &Connection, key: &KeyRecord) -> Result<()> {
    direct::run(
        conn,
        "INSERT INTO keys (id, org_id, lock_id, user_id, invite_email, invite_phone,
                invite_first_name, invite_last_name, role, status, start_date, end_date,
                one_time, used_at, can_remote_unlock, text_key, sms_code, schedules, group_id,
                created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19, $20, $21)
         ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id,
            invite_email = excluded.invite_email, invite_phone = excluded.invite_phone,
            invite_first_name = excluded.invite_first_name,
            invite_last_name = excluded.invite_last_name, role = excluded.role,
            status = excluded.status, start_date = excluded.start_date,
            end_date = excluded.end_date, one_time = excluded.one_time,
            used_at = excluded.used_at, can_remote_unlock = excluded.can_remote_unlock,
            text_key = excluded.text_key, sms_code = excluded.sms_code,
            schedules = excluded.schedules, group_id = excluded.group_id,
            updated_at = excluded.updated_at",
        &[
            &key.id,
            &key.org_id,
            &key.lock_id,
            &key.user_id,
            &key.invite_email,
            &key.invite_phone,
            &key.invite_first_name,
            &key.invite_last_name,
            &key.role,
            &key.status.as_str(),
            &key.start_date,
            &key.end_date,
            &key.one_time,
            &key.used_at,
            &key.can_remote_unlock,
            &key.text_key,
            &key.sms_code,
            &key.schedules,
            &key.group_id,
            &key.created_at,
            &key.updated_at,
        ],
    )?;
    Ok(())
}

/// The organization's last `seq` and hash.
fn log_head(conn: &Connection, org_id: &str) -> Result<(i64, Digest32)> {
    let (seq, previous): (i64, Option<Vec<u8>>) = direct::pair(
        conn,
        "SELECT activity_seq, activity_head FROM organizations WHERE id = $1",
        &[&org_id],
    )?;
    let hash = match previous {
        Some(bytes) => bytes
            .try_into()
            .map_err(|_| StoreError::Other("corrupt audit head".into()))?,
        None => audit::GENESIS,
    };
    Ok((seq, hash))
}

/// Seals `drafts` onto the organization's log after `head`: the next `seq`s and the
/// chained hashes.
fn append_activity(
    conn: &Connection,
    org_id: &str,
    head: (i64, Digest32),
    drafts: &[ActivityDraft],
) -> Result<Vec<ActivityRecord>> {
    let (mut seq, mut hash) = head;
    let mut sealed = Vec::with_capacity(drafts.len());
    for draft in drafts {
        seq += 1;
        let entry = audit::seal(seq, &draft.body);
        hash = audit::chain(&hash, &entry);
        direct::run(
            conn,
            "INSERT INTO activity (org_id, seq, id, type, at, lock_id, initiator_id,
                    target_user_id, entry, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &org_id,
                &seq,
                &draft.id,
                &draft.entry_type,
                &draft.at,
                &draft.lock_id,
                &draft.initiator_id,
                &draft.target_user_id,
                &entry,
                &hash.as_slice(),
            ],
        )?;
        sealed.push(ActivityRecord {
            seq,
            at: draft.at,
            entry_type: draft.entry_type.clone(),
            lock_id: draft.lock_id.clone(),
            entry,
            hash,
        });
    }
    Ok(sealed)
}
