//! The outbox on SQLite. One server owns the file, so its one worker is the only
//! claimer, and at start every job left running is freed.

use async_trait::async_trait;
use latchkey_store::rows::{
    attempt_from_row, device_from_row, enrollment_from_row, inbox_from_row, job_from_row,
    webhook_from_row,
};
use latchkey_store::sql;
use latchkey_store::{
    AttemptRecord, DeviceRecord, EnrollmentRecord, InboxRecord, JobDraft, JobFinish, JobOutcome,
    JobRecord, JobState, Outbox, Result, StoreError, WebhookRecord,
};
use rusqlite::Connection;
use sqlx::{QueryBuilder, Sqlite};

use crate::{SqliteStore, db, direct};

#[async_trait]
impl Outbox for SqliteStore {
    async fn claim_jobs(&self, now: i64, lease_until: i64, limit: i64) -> Result<Vec<JobRecord>> {
        // The heads are found by a read, which does not hold the write lock that
        // requests wait for; the short write then takes those still claimable (this
        // server is the only claimer, so only its own finished jobs can change between).
        let due = format!(
            "SELECT id FROM jobs WHERE id IN ({heads}) AND run_at <= $1
               AND (state = 'queued' OR lease_until < $1)
             ORDER BY run_at, id LIMIT $2",
            heads = sql::QUEUE_HEADS
        );
        let ids: Vec<i64> = sqlx::query_scalar(&due)
            .bind(now)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut claim = QueryBuilder::<Sqlite>::new(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = ",
        );
        claim
            .push_bind(lease_until)
            .push(", updated_at = ")
            .push_bind(now);
        claim
            .push(" WHERE (state = 'queued' OR lease_until < ")
            .push_bind(now);
        claim.push(") AND id IN (");
        let mut list = claim.separated(", ");
        for id in &ids {
            list.push_bind(id);
        }
        claim.push(") RETURNING *");
        let rows = claim.build().fetch_all(&self.pool).await.map_err(db)?;
        let mut jobs = rows.iter().map(job_from_row).collect::<Result<Vec<_>>>()?;
        jobs.sort_by_key(|job| job.id);
        Ok(jobs)
    }

    async fn queued_after(&self, queue: &str, after_id: i64, limit: i64) -> Result<Vec<JobRecord>> {
        sqlx::query(sql::QUEUED_AFTER)
            .bind(queue)
            .bind(after_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(job_from_row)
            .collect()
    }

    async fn extend_leases(&self, ids: &[i64], lease_until: i64) -> Result<()> {
        for id in ids {
            sqlx::query("UPDATE jobs SET lease_until = $1 WHERE id = $2 AND state = 'running'")
                .bind(lease_until)
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(db)?;
        }
        Ok(())
    }

    async fn finish_job(&self, finish: &JobFinish) -> Result<()> {
        self.writer.finish_job(finish).await
    }

    async fn recover_jobs(&self, now: i64) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'queued', lease_until = NULL, updated_at = $1
             WHERE state = 'running'",
        )
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn queue_jobs(
        &self,
        queue: &str,
        limit: i64,
    ) -> Result<Vec<(JobRecord, Vec<AttemptRecord>)>> {
        let rows = sqlx::query(sql::QUEUE_JOBS)
            .bind(queue)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        let mut jobs = Vec::with_capacity(rows.len());
        for row in &rows {
            let job = job_from_row(row)?;
            let attempts = sqlx::query(sql::JOB_ATTEMPTS)
                .bind(job.id)
                .fetch_all(&self.pool)
                .await
                .map_err(db)?
                .iter()
                .map(attempt_from_row)
                .collect::<Result<Vec<_>>>()?;
            jobs.push((job, attempts));
        }
        Ok(jobs)
    }

    async fn prune_jobs(&self, before: i64) -> Result<u64> {
        let done = sqlx::query(sql::PRUNE_JOBS)
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn pending_jobs(&self, kind: &str) -> Result<i64> {
        sqlx::query_scalar(sql::PENDING_JOBS)
            .bind(kind)
            .fetch_one(&self.pool)
            .await
            .map_err(db)
    }

    async fn webhooks(&self, org_id: &str) -> Result<Vec<WebhookRecord>> {
        sqlx::query(sql::WEBHOOKS)
            .bind(org_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(webhook_from_row)
            .collect()
    }

    async fn enable_webhook(&self, org_id: &str, webhook_id: &str, now: i64) -> Result<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
        let done = sqlx::query(sql::ENABLE_WEBHOOK)
            .bind(org_id)
            .bind(webhook_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(sql::RELEASE_QUEUE)
            .bind(format!("webhook:{webhook_id}"))
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn put_enrollment(&self, e: &EnrollmentRecord) -> Result<()> {
        sqlx::query(sql::PUT_ENROLLMENT)
            .bind(&e.id)
            .bind(&e.org_id)
            .bind(&e.user_id)
            .bind(&e.name)
            .bind(&e.lock_ids)
            .bind(&e.group_id)
            .bind(&e.categories)
            .bind(&e.quiet_hours)
            .bind(e.created_at)
            .bind(e.updated_at)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn delete_enrollment(&self, org_id: &str, user_id: &str, id: &str) -> Result<()> {
        let done = sqlx::query(sql::DELETE_ENROLLMENT)
            .bind(org_id)
            .bind(user_id)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn enrollments(
        &self,
        org_id: &str,
        user_id: Option<&str>,
    ) -> Result<Vec<EnrollmentRecord>> {
        sqlx::query(sql::ENROLLMENTS)
            .bind(org_id)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(enrollment_from_row)
            .collect()
    }

    async fn put_device(&self, d: &DeviceRecord) -> Result<()> {
        sqlx::query(sql::PUT_DEVICE)
            .bind(&d.id)
            .bind(&d.org_id)
            .bind(&d.user_id)
            .bind(&d.platform)
            .bind(&d.token)
            .bind(&d.url)
            .bind(&d.secret)
            .bind(d.created_at)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn delete_device(&self, org_id: &str, user_id: &str, id: &str) -> Result<()> {
        self.writer.delete_device(org_id, user_id, id).await
    }

    async fn devices(&self, org_id: &str, user_ids: &[String]) -> Result<Vec<DeviceRecord>> {
        let mut devices = Vec::new();
        for user_id in user_ids {
            let rows = sqlx::query(sql::DEVICES_OF)
                .bind(org_id)
                .bind(user_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
            for row in &rows {
                devices.push(device_from_row(row)?);
            }
        }
        Ok(devices)
    }

    async fn inbox(
        &self,
        org_id: &str,
        user_id: &str,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<InboxRecord>> {
        sqlx::query(sql::INBOX)
            .bind(org_id)
            .bind(user_id)
            .bind(before)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(inbox_from_row)
            .collect()
    }
}

pub(crate) fn finish_in(conn: &Connection, f: &JobFinish) -> Result<()> {
    let (state, run_at) = match f.outcome {
        JobOutcome::Done => (JobState::Done, f.now),
        JobOutcome::Retry { at } => (JobState::Queued, at),
        JobOutcome::Dead => (JobState::Dead, f.now),
        JobOutcome::Hold => (JobState::Held, f.now),
    };
    if let Some(a) = &f.attempt {
        direct::run(
            conn,
            sql::INSERT_ATTEMPT,
            &[
                &a.job_id,
                &a.attempt,
                &a.at,
                &a.status_code,
                &a.duration_ms,
                &a.error,
            ],
        )?;
    }
    let error = f.attempt.as_ref().and_then(|a| a.error.clone());
    direct::run(
        conn,
        sql::FINISH_JOB,
        &[&f.job_id, &state.as_str(), &run_at, &error, &f.now],
    )?;
    if f.outcome == JobOutcome::Hold {
        let queue: String =
            direct::one(conn, "SELECT queue FROM jobs WHERE id = $1", &[&f.job_id])?;
        direct::run(conn, sql::HOLD_QUEUE, &[&queue, &f.now])?;
    }
    if let Some(webhook) = &f.disable_webhook {
        direct::run(conn, sql::DISABLE_WEBHOOK, &[&webhook, &f.now])?;
    }
    if let Some(device) = &f.delete_device {
        delete_device_in(conn, device)?;
    }
    insert_jobs(conn, &f.enqueue)?;
    insert_inbox(conn, &f.inbox)?;
    for id in std::iter::once(&f.job_id).chain(&f.also_done) {
        if *id != f.job_id {
            direct::run(
                conn,
                sql::FINISH_JOB,
                &[
                    &id,
                    &JobState::Done.as_str(),
                    &f.now,
                    &None::<String>,
                    &f.now,
                ],
            )?;
        }
        direct::run(conn, sql::DELETE_FINISHED_JOB, &[&id])?;
    }
    Ok(())
}

/// Deletes a user's own push device and its queue (`NotFound` for anyone else's).
pub(crate) fn delete_own_device(
    conn: &Connection,
    org_id: &str,
    user_id: &str,
    id: &str,
) -> Result<()> {
    direct::one::<String>(conn, sql::OWN_DEVICE, &[&org_id, &user_id, &id])?;
    delete_device_in(conn, id)
}

fn delete_device_in(conn: &Connection, id: &str) -> Result<()> {
    direct::run(conn, sql::DELETE_DEVICE_JOBS, &[&id])?;
    direct::run(conn, sql::DELETE_DEVICE, &[&id])?;
    Ok(())
}

/// Jobs, each created at its `run_at`.
pub(crate) fn insert_jobs(conn: &Connection, jobs: &[JobDraft]) -> Result<()> {
    for job in jobs {
        let state = if job.held {
            JobState::Held
        } else {
            JobState::Queued
        };
        direct::run(
            conn,
            sql::INSERT_JOB,
            &[
                &job.org_id,
                &job.kind,
                &job.queue,
                &job.payload,
                &state.as_str(),
                &job.run_at,
                &job.run_at,
            ],
        )?;
    }
    Ok(())
}

pub(crate) fn insert_inbox(conn: &Connection, rows: &[InboxRecord]) -> Result<()> {
    for m in rows {
        direct::run(
            conn,
            sql::INSERT_INBOX,
            &[
                &m.id,
                &m.org_id,
                &m.user_id,
                &m.kind,
                &m.message_id,
                &m.title,
                &m.body,
                &m.from_json,
                &m.activity_json,
                &m.created_at,
            ],
        )?;
    }
    Ok(())
}

pub(crate) fn write_webhooks(
    conn: &Connection,
    inserts: &[WebhookRecord],
    deletes: &[String],
) -> Result<()> {
    for w in inserts {
        direct::run(
            conn,
            sql::INSERT_WEBHOOK,
            &[
                &w.id,
                &w.org_id,
                &w.url,
                &w.events,
                &w.description,
                &w.secret,
                &w.disabled_at,
                &w.created_at,
            ],
        )?;
    }
    for id in deletes {
        for statement in [sql::DELETE_WEBHOOK_JOBS, sql::DELETE_WEBHOOK] {
            direct::run(conn, statement, &[&id])?;
        }
    }
    Ok(())
}

pub(crate) fn has_subscribers(conn: &Connection, org_id: &str) -> Result<bool> {
    direct::one(conn, sql::HAS_SUBSCRIBERS, &[&org_id])
}
