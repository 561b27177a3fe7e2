//! Group commit on PostgreSQL (`latchkey_store::group_commit`): every `apply` of this
//! server goes through one writer task, in transactions of up to `MAX_BATCH` calls. The
//! log heads of the organizations in a transaction are locked once, at its start and in
//! the order of their ids, and written back once, before the commit: an organization's
//! log is appended to by one transaction at a time across all servers, so the fewer
//! transactions the more unlocks. If one call's changes fail, the transaction is rolled
//! back and written again with each call in a savepoint of its own: the failing one is
//! rolled back alone and answered with its own error, the others commit together.

use std::collections::BTreeSet;

use async_trait::async_trait;
use latchkey_store::group_commit::{Batches, GroupCommit};
use latchkey_store::{ActivityRecord, Result, WriteSet};
use sqlx::{PgConnection, PgPool};

use crate::apply::{Batch, finish, lock_heads, write_changes};
use crate::db;

/// The most calls one transaction carries.
const MAX_BATCH: usize = 128;

/// One call's changes.
pub(crate) struct Apply {
    org_id: String,
    changes: Box<WriteSet>,
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
        let work = Apply {
            org_id: org_id.to_owned(),
            changes: Box::new(changes.clone()),
        };
        self.0.write(work).await
    }
}

pub(crate) struct PgBatches {
    pool: PgPool,
}

/// Begins the transaction and locks the log heads the batch will append to.
async fn begin(
    pool: &PgPool,
    work: &[Apply],
) -> Result<(sqlx::Transaction<'static, sqlx::Postgres>, Batch)> {
    let mut tx = pool.begin().await.map_err(db)?;
    let orgs: BTreeSet<&str> = work
        .iter()
        .filter(|w| !w.changes.activity.is_empty())
        .map(|w| w.org_id.as_str())
        .collect();
    let mut batch = Batch::default();
    lock_heads(&mut batch, &mut tx, &orgs).await?;
    Ok((tx, batch))
}

async fn write(
    conn: &mut PgConnection,
    w: &Apply,
    batch: &mut Batch,
) -> Result<Vec<ActivityRecord>> {
    write_changes(conn, &w.org_id, &w.changes, batch).await
}

#[async_trait]
impl Batches for PgBatches {
    type Work = Apply;
    type Done = Vec<ActivityRecord>;

    async fn write(&self, work: Vec<Apply>) -> Result<Vec<Result<Vec<ActivityRecord>>>> {
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
    async fn write_each(&self, work: &[Apply]) -> Result<Vec<Result<Vec<ActivityRecord>>>> {
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
