//! Group commit on SQLite (`latchkey_store::group_commit`): every `apply`, every unlock
//! request's start and every outbox job's end go through one writer, in `BEGIN IMMEDIATE`
//! transactions of up to `MAX_BATCH` writes, run on the writer's own rusqlite connection
//! on a blocking thread: a whole batch is one hop from the async side, not one per
//! statement. Each organization's log head is read once per transaction and written back
//! once, before the commit. If one write fails, the transaction is rolled back and written
//! again with each write in a savepoint of its own: the failing one is rolled back alone
//! and answered with its own error, the others commit together.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use latchkey_store::group_commit::{Batches, GroupCommit};
use latchkey_store::{
    ActivityRecord, JobFinish, Result, StoreError, UnlockRecord, UnlockStart, WriteSet,
};
use rusqlite::Connection;

use crate::apply::{Batch, finish, write_changes};
use crate::direct::{self, db};
use crate::outbox::{delete_own_device, finish_in};
use crate::unlocks::write_start;

/// The most writes one transaction carries.
const MAX_BATCH: usize = 128;

/// One write of the writer.
pub(crate) enum Work {
    Apply {
        org_id: String,
        changes: Box<WriteSet>,
    },
    StartUnlock {
        request: Box<UnlockRecord>,
        consume_key: Option<String>,
    },
    FinishJob(Box<JobFinish>),
    DeleteDevice {
        org_id: String,
        user_id: String,
        id: String,
    },
}

pub(crate) enum Done {
    Applied(Vec<ActivityRecord>),
    Started(UnlockStart),
    Finished,
}

/// The handle of the writer.
#[derive(Debug, Clone)]
pub(crate) struct Writer(GroupCommit<SqliteBatches>);

fn mismatch<T>() -> Result<T> {
    Err(StoreError::Other("the writer answered another call".into()))
}

impl Writer {
    /// Opens the writer's connection to the database file at `path`.
    pub(crate) fn start(path: &Path) -> Result<Writer> {
        let conn = direct::open(path)?;
        let batches = SqliteBatches {
            conn: Arc::new(Mutex::new(conn)),
        };
        Ok(Writer(GroupCommit::start(batches, MAX_BATCH)))
    }

    /// Writes `changes` in the next group commit; answers once it is committed.
    pub(crate) async fn apply(
        &self,
        org_id: &str,
        changes: &WriteSet,
    ) -> Result<Vec<ActivityRecord>> {
        let work = Work::Apply {
            org_id: org_id.to_owned(),
            changes: Box::new(changes.clone()),
        };
        match self.0.write(work).await? {
            Done::Applied(sealed) => Ok(sealed),
            _ => mismatch(),
        }
    }

    /// Stores a new unlock request (consuming its one-time key) in the next group commit.
    pub(crate) async fn start_unlock(
        &self,
        request: &UnlockRecord,
        consume_key: Option<&str>,
    ) -> Result<UnlockStart> {
        let work = Work::StartUnlock {
            request: Box::new(request.clone()),
            consume_key: consume_key.map(str::to_owned),
        };
        match self.0.write(work).await? {
            Done::Started(start) => Ok(start),
            _ => mismatch(),
        }
    }

    /// Records the end of an outbox job's attempt and what it queues.
    pub(crate) async fn finish_job(&self, finish: &JobFinish) -> Result<()> {
        match self
            .0
            .write(Work::FinishJob(Box::new(finish.clone())))
            .await?
        {
            Done::Finished => Ok(()),
            _ => mismatch(),
        }
    }

    /// Deletes a user's own push device and its queue.
    pub(crate) async fn delete_device(&self, org_id: &str, user_id: &str, id: &str) -> Result<()> {
        let work = Work::DeleteDevice {
            org_id: org_id.to_owned(),
            user_id: user_id.to_owned(),
            id: id.to_owned(),
        };
        match self.0.write(work).await? {
            Done::Finished => Ok(()),
            _ => mismatch(),
        }
    }
}

pub(crate) struct SqliteBatches {
    /// Used by one batch at a time (the group commit waits for each).
    conn: Arc<Mutex<Connection>>,
}

fn write(conn: &Connection, work: &Work, batch: &mut Batch) -> Result<Done> {
    match work {
        Work::Apply { org_id, changes } => {
            Ok(Done::Applied(write_changes(conn, org_id, changes, batch)?))
        }
        Work::StartUnlock {
            request,
            consume_key,
        } => Ok(Done::Started(write_start(
            conn,
            request,
            consume_key.as_deref(),
        )?)),
        Work::FinishJob(finish) => finish_in(conn, finish).map(|()| Done::Finished),
        Work::DeleteDevice {
            org_id,
            user_id,
            id,
        } => delete_own_device(conn, org_id, user_id, id).map(|()| Done::Finished),
    }
}

#[async_trait]
impl Batches for SqliteBatches {
    type Work = Work;
    type Done = Done;

    async fn write(&self, work: Vec<Work>) -> Result<Vec<Result<Done>>> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn
                .lock()
                .map_err(|_| StoreError::Other("the writer's connection is poisoned".into()))?;
            write_batch(&conn, &work)
        })
        .await
        .map_err(|e| StoreError::Other(Box::new(e)))?
    }
}

/// First as one run of writes; only if one of them fails, again with each in a savepoint
/// of its own.
fn write_batch(conn: &Connection, work: &[Work]) -> Result<Vec<Result<Done>>> {
    conn.execute_batch("BEGIN IMMEDIATE").map_err(db)?;
    let written = write_all(conn, work);
    let outcome = match written {
        Ok(Some(results)) => commit(conn).map(|()| results),
        Ok(None) => {
            rollback(conn);
            conn.execute_batch("BEGIN IMMEDIATE").map_err(db)?;
            write_each(conn, work).and_then(|results| commit(conn).map(|()| results))
        }
        Err(e) => Err(e),
    };
    if outcome.is_err() && !conn.is_autocommit() {
        rollback(conn);
    }
    outcome
}

/// Every write in one run; `None` when one failed (after several), so that the caller
/// writes them again one savepoint each.
fn write_all(conn: &Connection, work: &[Work]) -> Result<Option<Vec<Result<Done>>>> {
    let mut batch = Batch::default();
    let mut results = Vec::with_capacity(work.len());
    for w in work {
        match write(conn, w, &mut batch) {
            Ok(done) => results.push(Ok(done)),
            Err(e) if work.len() == 1 => {
                rollback(conn);
                return Ok(Some(vec![Err(e)]));
            }
            Err(_) => return Ok(None),
        }
    }
    finish(&batch, conn)?;
    Ok(Some(results))
}

fn write_each(conn: &Connection, work: &[Work]) -> Result<Vec<Result<Done>>> {
    let mut batch = Batch::default();
    let mut results = Vec::with_capacity(work.len());
    for w in work {
        conn.execute_batch("SAVEPOINT change").map_err(db)?;
        let before = batch.clone();
        let result = write(conn, w, &mut batch);
        if result.is_err() {
            batch = before;
            conn.execute_batch("ROLLBACK TO change").map_err(db)?;
        }
        conn.execute_batch("RELEASE change").map_err(db)?;
        results.push(result);
    }
    finish(&batch, conn)?;
    Ok(results)
}

fn commit(conn: &Connection) -> Result<()> {
    if conn.is_autocommit() {
        // A lone failed write was rolled back already.
        return Ok(());
    }
    conn.execute_batch("COMMIT").map_err(db)
}

fn rollback(conn: &Connection) {
    if let Err(e) = conn.execute_batch("ROLLBACK") {
        tracing::warn!(error = %e, "rolling back a failed batch");
    }
}
