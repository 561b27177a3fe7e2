//! Group commit on PostgreSQL (`latchkey_store::group_commit`): every `apply` and every
//! unlock request's start of this server go through one writer task, in transactions of up to `MAX_BATCH` calls. The
//! log heads of the organizations in a transaction are locked once, at its start and in
//! the order of their ids, and written back once, before the commit: an organization's
//! log is appended to by one transaction at a time across all servers, so the fewer
//! transactions the more unlocks. If one call's changes fail, the transaction is rolled
//! back and written again with each call in a savepoint of its own: the failing one is
//! rolled back alone and answered with its own error, the others commit together.

use std::collections::BTreeSet;

use async_trait::async_trait;
use latchkey_store::group_commit::{Batches, GroupCommit};
use latchkey_store::{ActivityRecord, Result, StoreError, UnlockRecord, UnlockStart, WriteSet};
use sqlx::{PgConnection, PgPool};

use crate::apply::{Batch, finish, lock_heads, write_changes};
use crate::db;
use crate::unlocks::write_start;

/// The most calls one transaction carries.
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
pub(crate) struct Writer(GroupCommit<PgBatches>);

impl Writer {
    pub(crate) fn start(pool: PgPool) -> Writer {
        Writer(GroupCommit::start(PgBatches { pool }, MAX_BATCH))
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

    /// Stores a new unlock request (consuming its one-time key) in the next group commit,
    /// so that starts share their commits (and fsyncs) like every other write.
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

pub(crate) struct PgBatches {
    pool: PgPool,
}

/// Begins the transaction and locks the log heads the batch will append to.
async fn begin(
    pool: &PgPool,
    work: &[Work],
) -> Result<(sqlx::Transaction<'static, sqlx::Postgres>, Batch)> {
    let mut tx = pool.begin().await.map_err(db)?;
    let orgs: BTreeSet<&str> = work
        .iter()
        .filter_map(|w| match w {
            Work::Apply { org_id, changes } if !changes.activity.is_empty() => {
                Some(org_id.as_str())
            }
            _ => None,
        })
        .collect();
    let mut batch = Batch::default();
    lock_heads(&mut batch, &mut tx, &orgs).await?;
    Ok((tx, batch))
}

async fn write(conn: &mut PgConnection, work: &Work, batch: &mut Batch) -> Result<Done> {
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
impl Batches for PgBatches {
    type Work = Work;
    type Done = Done;

    async fn write(&self, work: Vec<Work>) -> Result<Vec<Result<Done>>> {
        let work = work.as_slice();
        let (mut tx, mut batch) = begin(&self.pool, work).await?;
        let mut results = Vec::with_capacity(work.len());
        for w in work {
            match write(&mut tx, w, &mut batch).await {
                Ok(sealed) => results.push(Ok(sealed)),
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

impl PgBatches {
    async fn write_each(&self, work: &[Work]) -> Result<Vec<Result<Done>>> {
        let (mut tx, mut batch) = begin(&self.pool, work).await?;
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
                sqlx::query("ROLLBACK TO SAVEPOINT change")
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            }
            sqlx::query("RELEASE SAVEPOINT change")
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
