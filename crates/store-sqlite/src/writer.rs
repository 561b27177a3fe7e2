//! Group commit on SQLite (`latchkey_store::group_commit`): every `apply` and every
//! unlock request's start go through one writer task, in `BEGIN IMMEDIATE` transactions
//! of up to `MAX_BATCH` writes. Each organization's log head is read once per transaction
//! and written back once, before the commit. If one write fails, the transaction is
//! rolled back and written again with each write in a savepoint of its own: the failing
//! one is rolled back alone and answered with its own error, the others commit together.

use async_trait::async_trait;
use latchkey_store::group_commit::{Batches, GroupCommit};
use latchkey_store::{ActivityRecord, Result, StoreError, UnlockRecord, UnlockStart, WriteSet};
use sqlx::{SqliteConnection, SqlitePool};

use crate::apply::{Batch, finish, write_changes};
use crate::db;
use crate::unlocks::write_start;

/// The most writes one transaction carries.
const MAX_BATCH: usize = 128;

/// A call's changes (`apply`) or the start of an unlock request.
pub(crate) enum Work {
    Apply {
        org_id: String,
        changes: Box<WriteSet>,
    },
    StartUnlock {
        request: Box<UnlockRecord>,
        consume_key: Option<String>,
    },
}

pub(crate) enum Done {
    Applied(Vec<ActivityRecord>),
    Started(UnlockStart),
}

/// The handle of the writer task.
#[derive(Debug, Clone)]
pub(crate) struct Writer(GroupCommit<SqliteBatches>);

impl Writer {
    pub(crate) fn start(pool: SqlitePool) -> Writer {
        Writer(GroupCommit::start(SqliteBatches { pool }, MAX_BATCH))
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
            Done::Started(_) => Err(StoreError::Other("the writer answered another call".into())),
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
            Done::Applied(_) => Err(StoreError::Other("the writer answered another call".into())),
        }
    }
}

pub(crate) struct SqliteBatches {
    pool: SqlitePool,
}

async fn write(conn: &mut SqliteConnection, work: &Work, batch: &mut Batch) -> Result<Done> {
    match work {
        Work::Apply { org_id, changes } => Ok(Done::Applied(
            write_changes(conn, org_id, changes, batch).await?,
        )),
        Work::StartUnlock {
            request,
            consume_key,
        } => Ok(Done::Started(
            write_start(conn, request, consume_key.as_deref()).await?,
        )),
    }
}

#[async_trait]
impl Batches for SqliteBatches {
    type Work = Work;
    type Done = Done;

    async fn write(&self, work: &[Work]) -> Result<Vec<Result<Done>>> {
        // First as one run of writes; only if one of them fails, again with each in a
        // savepoint of its own.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
        let mut batch = Batch::default();
        let mut results = Vec::with_capacity(work.len());
        for w in work {
            match write(&mut tx, w, &mut batch).await {
                Ok(done) => results.push(Ok(done)),
                Err(e) if work.len() == 1 => return Ok(vec![Err(e)]),
                Err(_) => break,
            }
        }
        if results.len() < work.len() {
            tx.rollback().await.map_err(db)?;
            return self.write_each(work).await;
        }
        finish(&batch, &mut tx).await?;
        tx.commit().await.map_err(db)?;
        Ok(results)
    }
}

impl SqliteBatches {
    async fn write_each(&self, work: &[Work]) -> Result<Vec<Result<Done>>> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
        let mut batch = Batch::default();
        let mut results = Vec::with_capacity(work.len());
        for w in work {
            sqlx::query("SAVEPOINT change")
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            let before = batch.clone();
            let result = write(&mut tx, w, &mut batch).await;
            if result.is_err() {
                batch = before;
                sqlx::query("ROLLBACK TO change")
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            }
            sqlx::query("RELEASE change")
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            results.push(result);
        }
        finish(&batch, &mut tx).await?;
        tx.commit().await.map_err(db)?;
        Ok(results)
    }
}
