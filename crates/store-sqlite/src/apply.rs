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
use sqlx::{Row, SqliteConnection};

use crate::db;

/// What this transaction knows of the organizations it touched.
pub(crate) type Batch = Heads;

async fn head(batch: &Batch, conn: &mut SqliteConnection, org_id: &str) -> Result<(i64, Digest32)> {
    match batch.heads.get(org_id) {
        Some(head) => Ok(*head),
        None => log_head(conn, org_id).await,
    }
}

async fn listened(batch: &mut Batch, conn: &mut SqliteConnection, org_id: &str) -> Result<bool> {
    if let Some(listened) = batch.listened.get(org_id) {
        return Ok(*listened);
    }
    let listened = crate::outbox::has_subscribers(conn, org_id).await?;
    batch.listened.insert(org_id.to_owned(), listened);
    Ok(listened)
}

/// Writes each organization's new log head; the last step before the commit.
pub(crate) async fn finish(batch: &Batch, conn: &mut SqliteConnection) -> Result<()> {
    for (org_id, (seq, hash)) in &batch.heads {
        sqlx::query("UPDATE organizations SET activity_seq = $2, activity_head = $3 WHERE id = $1")
            .bind(org_id)
            .bind(seq)
            .bind(&hash[..])
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok(())
}

/// Writes `changes` on `conn`, inside a transaction that holds the write lock. On an
/// error, `batch` is as it was before (the caller rolls the writes back).
pub(crate) async fn write_changes(
    conn: &mut SqliteConnection,
    org_id: &str,
    changes: &WriteSet,
    batch: &mut Batch,
) -> Result<Vec<ActivityRecord>> {
    let head = if changes.activity.is_empty() {
        None
    } else {
        Some(head(batch, conn, org_id).await?)
    };
    for lock in &changes.locks_insert {
        insert_lock(conn, lock).await?;
    }
    write_groups(conn, changes).await?;
    delete_each(conn, "DELETE FROM keys WHERE id = $1", &changes.keys_delete).await?;
    for key in &changes.keys_upsert {
        upsert_key(conn, key).await?;
    }
    for (group_id, lock_id) in &changes.group_locks_remove {
        sqlx::query("DELETE FROM group_locks WHERE group_id = $1 AND lock_id = $2")
            .bind(group_id)
            .bind(lock_id)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    delete_each(
        conn,
        "DELETE FROM group_members WHERE id = $1",
        &changes.members_delete,
    )
    .await?;
    delete_each(
        conn,
        "DELETE FROM groups WHERE id = $1",
        &changes.groups_delete,
    )
    .await?;
    for lock in &changes.locks_update {
        update_lock(conn, lock).await?;
    }
    delete_each(
        conn,
        "DELETE FROM locks WHERE id = $1",
        &changes.locks_delete,
    )
    .await?;
    write_credentials(conn, changes).await?;
    for request in &changes.unlocks_update {
        crate::unlocks::write_unlock(conn, request).await?;
    }
    let sealed = match head {
        Some(head) => append_activity(conn, org_id, head, &changes.activity).await?,
        None => Vec::new(),
    };
    crate::outbox::write_webhooks(conn, &changes.webhooks_insert, &changes.webhooks_delete).await?;
    crate::outbox::insert_inbox(conn, &changes.inbox).await?;
    crate::outbox::insert_jobs(conn, &changes.jobs).await?;
    let touches_listeners =
        !changes.webhooks_insert.is_empty() || !changes.webhooks_delete.is_empty();
    if touches_listeners {
        batch.listened.remove(org_id);
    }
    if let Some(dispatch) = latchkey_store::dispatch_job(org_id, &sealed)
        && listened(batch, conn, org_id).await?
    {
        crate::outbox::insert_jobs(conn, &[dispatch]).await?;
    }
    if let Some(last) = sealed.last() {
        batch.heads.insert(org_id.to_owned(), (last.seq, last.hash));
    }
    Ok(sealed)
}

async fn delete_each(conn: &mut SqliteConnection, sql: &'static str, ids: &[String]) -> Result<()> {
    for id in ids {
        sqlx::query(sql)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok(())
}

/// New sessions and a rotated API secret.
async fn write_credentials(conn: &mut SqliteConnection, changes: &WriteSet) -> Result<()> {
    for admin in &changes.organization_admins {
        sqlx::query(latchkey_store::sql::GRANT_ORGANIZATION_ADMIN)
            .bind(&admin.org_id)
            .bind(&admin.user_id)
            .bind(admin.created_at)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    for session in &changes.sessions_insert {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, org_id, created_at, last_used_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&session.token_hash[..])
        .bind(&session.user_id)
        .bind(&session.org_id)
        .bind(session.created_at)
        .bind(session.last_used_at)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    if let Some(rotation) = &changes.secret_rotation {
        let done = sqlx::query(
            "UPDATE api_keys SET previous_secret_hash = secret_hash,
                    previous_valid_until = $2, secret_hash = $3
             WHERE api_key = $1 AND revoked_at IS NULL",
        )
        .bind(&rotation.api_key)
        .bind(rotation.previous_valid_until)
        .bind(&rotation.new_secret[..])
        .execute(&mut *conn)
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
    }
    Ok(())
}

/// Groups, their locks and members, before the keys that refer to them.
async fn write_groups(conn: &mut SqliteConnection, changes: &WriteSet) -> Result<()> {
    for group in &changes.groups_upsert {
        sqlx::query(
            "INSERT INTO groups (id, org_id, name, description, can_remote_unlock,
                    can_unlock_until, schedules, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name,
                description = excluded.description,
                can_remote_unlock = excluded.can_remote_unlock,
                can_unlock_until = excluded.can_unlock_until,
                schedules = excluded.schedules, updated_at = excluded.updated_at",
        )
        .bind(&group.id)
        .bind(&group.org_id)
        .bind(&group.name)
        .bind(&group.description)
        .bind(group.can_remote_unlock)
        .bind(group.can_unlock_until)
        .bind(&group.schedules)
        .bind(group.created_at)
        .bind(group.updated_at)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    for (group_id, lock_id) in &changes.group_locks_add {
        sqlx::query(
            "INSERT INTO group_locks (group_id, lock_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(group_id)
        .bind(lock_id)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    for member in &changes.members_upsert {
        sqlx::query(
            "INSERT INTO group_members (id, group_id, user_id, invite_email, invite_phone, role,
                    created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, role = excluded.role,
                invite_email = excluded.invite_email, invite_phone = excluded.invite_phone",
        )
        .bind(&member.id)
        .bind(&member.group_id)
        .bind(&member.user_id)
        .bind(&member.invite_email)
        .bind(&member.invite_phone)
        .bind(member.role)
        .bind(member.created_at)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    Ok(())
}

pub(crate) async fn insert_lock(conn: &mut SqliteConnection, lock: &LockRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO locks (id, org_id, lock_id, short_name, long_name, time_zone, type,
                relock_seconds, driver, online, lockdown, last_seen_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&lock.id)
    .bind(&lock.org_id)
    .bind(&lock.lock_id)
    .bind(&lock.short_name)
    .bind(&lock.long_name)
    .bind(&lock.time_zone)
    .bind(&lock.lock_type)
    .bind(lock.relock_seconds)
    .bind(&lock.driver)
    .bind(lock.online)
    .bind(lock.lockdown)
    .bind(lock.last_seen_at)
    .bind(lock.created_at)
    .bind(lock.updated_at)
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}

async fn update_lock(conn: &mut SqliteConnection, lock: &LockRecord) -> Result<()> {
    let done = sqlx::query(
        "UPDATE locks SET short_name = $2, long_name = $3, time_zone = $4, type = $5,
                relock_seconds = $6, driver = $7, lockdown = $8, updated_at = $9
         WHERE id = $1",
    )
    .bind(&lock.id)
    .bind(&lock.short_name)
    .bind(&lock.long_name)
    .bind(&lock.time_zone)
    .bind(&lock.lock_type)
    .bind(lock.relock_seconds)
    .bind(&lock.driver)
    .bind(lock.lockdown)
    .bind(lock.updated_at)
    .execute(conn)
    .await
    .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(crate) async fn upsert_key(conn: &mut SqliteConnection, key: &KeyRecord) -> Result<()> {
    sqlx::query(
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
    )
    .bind(&key.id)
    .bind(&key.org_id)
    .bind(&key.lock_id)
    .bind(&key.user_id)
    .bind(&key.invite_email)
    .bind(&key.invite_phone)
    .bind(&key.invite_first_name)
    .bind(&key.invite_last_name)
    .bind(key.role)
    .bind(key.status.as_str())
    .bind(key.start_date)
    .bind(key.end_date)
    .bind(key.one_time)
    .bind(key.used_at)
    .bind(key.can_remote_unlock)
    .bind(key.text_key)
    .bind(&key.sms_code)
    .bind(&key.schedules)
    .bind(&key.group_id)
    .bind(key.created_at)
    .bind(key.updated_at)
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// The organization's last `seq` and hash.
async fn log_head(conn: &mut SqliteConnection, org_id: &str) -> Result<(i64, Digest32)> {
    let head = sqlx::query("SELECT activity_seq, activity_head FROM organizations WHERE id = $1")
        .bind(org_id)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    let seq: i64 = head.try_get("activity_seq").map_err(db)?;
    let previous: Option<Vec<u8>> = head.try_get("activity_head").map_err(db)?;
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
async fn append_activity(
    conn: &mut SqliteConnection,
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
        sqlx::query(
            "INSERT INTO activity (org_id, seq, id, type, at, lock_id, initiator_id,
                    target_user_id, entry, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(org_id)
        .bind(seq)
        .bind(&draft.id)
        .bind(&draft.entry_type)
        .bind(draft.at)
        .bind(&draft.lock_id)
        .bind(&draft.initiator_id)
        .bind(&draft.target_user_id)
        .bind(&entry)
        .bind(&hash[..])
        .execute(&mut *conn)
        .await
        .map_err(db)?;
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
