//! Group commit. Every `apply` and every unlock request's start go to one writer task,
//! which takes what is waiting at that moment (up to `MAX_BATCH`) and writes it in one
//! transaction. Each organization's log head is read once per transaction and written
//! back once, before the commit. If one change fails, the transaction is rolled back and
//! written again with each change in a savepoint of its own: the failing one is rolled
//! back alone and answered with its own error, the others commit together. Each caller is
//! answered after the commit, so its activity entries are stored before its response.
//! Under load, one commit carries many callers' changes; alone, a change commits at once,
//! without waiting for company.

use latchkey_store::{ActivityRecord, Result, StoreError, UnlockRecord, UnlockStart, WriteSet};
use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::apply::{Batch, write_changes};
use crate::db;
use crate::unlocks::write_start;

/// The most changes one transaction carries.
const MAX_BATCH: usize = 128;

/// What a caller waits for: a call's changes (`apply`) or the start of an unlock request.
enum Work {
    Apply {
        org_id: String,
        changes: Box<WriteSet>,
    },
    StartUnlock {
        request: Box<UnlockRecord>,
        consume_key: Option<String>,
    },
}

enum Done {
    Applied(Vec<ActivityRecord>),
    Started(UnlockStart),
}

struct Pending {
    work: Work,
    answer: oneshot::Sender<Result<Done>>,
}

/// The handle of the writer task; the task ends when every handle is dropped.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    queue: mpsc::UnboundedSender<Pending>,
}

impl Writer {
    pub(crate) fn start(pool: SqlitePool) -> Writer {
        let (queue, mut waiting) = mpsc::unbounded_channel::<Pending>();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while waiting.recv_many(&mut batch, MAX_BATCH).await > 0 {
                commit(&pool, &mut batch).await;
            }
        });
        Writer { queue }
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
        match self.run(work).await? {
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
        match self.run(work).await? {
            Done::Started(start) => Ok(start),
            Done::Applied(_) => Err(StoreError::Other("the writer answered another call".into())),
        }
    }

    async fn run(&self, work: Work) -> Result<Done> {
        let stopped = || StoreError::Other("the database writer has stopped".into());
        let (answer, answered) = oneshot::channel();
        self.queue
            .send(Pending { work, answer })
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
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

/// Commits `batch` (emptied) and answers each of its callers.
async fn commit(pool: &SqlitePool, batch: &mut Vec<Pending>) {
    let results = match write_all(pool, batch).await {
        Ok(results) => results,
        Err(e) if batch.len() == 1 => vec![Err(e)],
        Err(e) => {
            let message = e.to_string();
            batch
                .iter()
                .map(|_| Err(StoreError::Other(message.clone().into())))
                .collect()
        }
    };
    for (pending, result) in batch.drain(..).zip(results) {
        let _ = pending.answer.send(result);
    }
}

async fn write_all(pool: &SqlitePool, pending: &[Pending]) -> Result<Vec<Result<Done>>> {
    // First as one run of writes; only if one of them fails, again with each in a
    // savepoint of its own, so the failure is rolled back alone.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
    let mut batch = Batch::default();
    let mut results = Vec::with_capacity(pending.len());
    for p in pending {
        match write(&mut tx, &p.work, &mut batch).await {
            Ok(done) => results.push(Ok(done)),
            Err(e) if pending.len() == 1 => return Ok(vec![Err(e)]),
            Err(_) => break,
        }
    }
    if results.len() < pending.len() {
        tx.rollback().await.map_err(db)?;
        return write_each(pool, pending).await;
    }
    batch.finish(&mut tx).await?;
    tx.commit().await.map_err(db)?;
    Ok(results)
}

async fn write_each(pool: &SqlitePool, pending: &[Pending]) -> Result<Vec<Result<Done>>> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
    let mut batch = Batch::default();
    let mut results = Vec::with_capacity(pending.len());
    for p in pending {
        sqlx::query("SAVEPOINT change")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let before = batch.clone();
        let result = write(&mut tx, &p.work, &mut batch).await;
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
    batch.finish(&mut tx).await?;
    tx.commit().await.map_err(db)?;
    Ok(results)
}
