//! Group commit, the same for every store: one writer task takes the writes waiting at
//! that moment (up to a bound) and hands them to the store, which writes them in one
//! transaction; each caller is answered once that transaction is committed. Under load a
//! commit carries many callers' writes; alone, a write commits at once.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use latchkey_core::secret::Digest32;
use tokio::sync::{mpsc, oneshot};

use crate::{Result, StoreError};

/// How a store writes a batch.
#[async_trait]
pub trait Batches: Send + Sync + 'static {
    type Work: Send + Sync + 'static;
    type Done: Send + 'static;

    /// Writes `batch` in one transaction: one answer per write (a write that fails is
    /// rolled back alone), or an error when nothing was committed.
    async fn write(&self, batch: Vec<Self::Work>) -> Result<Vec<Result<Self::Done>>>;
}

type Pending<B> = (
    <B as Batches>::Work,
    oneshot::Sender<Result<<B as Batches>::Done>>,
);

/// The handle of a writer task; the task ends when every handle is dropped.
pub struct GroupCommit<B: Batches> {
    queue: mpsc::UnboundedSender<Pending<B>>,
}

impl<B: Batches> Clone for GroupCommit<B> {
    fn clone(&self) -> Self {
        GroupCommit {
            queue: self.queue.clone(),
        }
    }
}

impl<B: Batches> std::fmt::Debug for GroupCommit<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GroupCommit")
    }
}

impl<B: Batches> GroupCommit<B> {
    /// Starts the writer task; a transaction carries at most `max_batch` writes.
    pub fn start(batches: B, max_batch: usize) -> GroupCommit<B> {
        let (queue, mut waiting) = mpsc::unbounded_channel::<Pending<B>>();
        let batches = Arc::new(batches);
        tokio::spawn(async move {
            let mut pending = Vec::with_capacity(max_batch);
            while waiting.recv_many(&mut pending, max_batch).await > 0 {
                let (work, answers): (Vec<_>, Vec<_>) = pending.drain(..).unzip();
                let count = work.len();
                // A task of its own per batch: should a write panic, its callers get an
                // error and the writer goes on.
                let store = batches.clone();
                let written = tokio::spawn(async move { store.write(work).await }).await;
                let results = match written {
                    Ok(Ok(results)) => results,
                    Ok(Err(e)) if count == 1 => vec![Err(e)],
                    Ok(Err(e)) => every(count, &e.to_string()),
                    Err(e) => every(count, &format!("the database writer failed: {e}")),
                };
                for (answer, result) in answers.into_iter().zip(results) {
                    let _ = answer.send(result);
                }
            }
        });
        GroupCommit { queue }
    }

    /// Writes `work` in the next transaction; answers once it is committed.
    pub async fn write(&self, work: B::Work) -> Result<B::Done> {
        let stopped = || StoreError::Other("the database writer has stopped".into());
        let (answer, answered) = oneshot::channel();
        self.queue.send((work, answer)).map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

/// The same error for each of `count` writes.
fn every<T>(count: usize, message: &str) -> Vec<Result<T>> {
    (0..count)
        .map(|_| Err(StoreError::Other(message.to_owned().into())))
        .collect()
}

/// What one transaction knows of the organizations it touched: each one's log head as
/// the transaction leaves it (written back once, before the commit), and whether anyone
/// listens to its activity.
#[derive(Debug, Default, Clone)]
pub struct Heads {
    pub heads: HashMap<String, (i64, Digest32)>,
    pub listened: HashMap<String, bool>,
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tokio::sync::Semaphore;

    use super::*;

    /// Records each batch's writes; the first batch waits for `go`; a write of 0 panics.
    struct Recorder {
        batches: Recorded,
        go: Arc<Semaphore>,
    }

    #[async_trait]
    impl Batches for Recorder {
        type Work = u32;
        type Done = u32;

        async fn write(&self, batch: Vec<u32>) -> Result<Vec<Result<u32>>> {
            let first = self.batches.lock().unwrap().is_empty();
            self.batches.lock().unwrap().push(batch.clone());
            if first {
                let _ = self.go.acquire().await;
            }
            assert!(!batch.contains(&0), "a write the store cannot take");
            Ok(batch.iter().map(|w| Ok(w * 10)).collect())
        }
    }

    type Recorded = Arc<Mutex<Vec<Vec<u32>>>>;

    fn writer() -> (GroupCommit<Recorder>, Recorded, Arc<Semaphore>) {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let go = Arc::new(Semaphore::new(0));
        let writer = GroupCommit::start(
            Recorder {
                batches: batches.clone(),
                go: go.clone(),
            },
            128,
        );
        (writer, batches, go)
    }

    #[tokio::test]
    async fn writes_waiting_together_share_one_batch() {
        let (writer, batches, go) = writer();
        let first = tokio::spawn({
            let writer = writer.clone();
            async move { writer.write(1).await }
        });
        while batches.lock().unwrap().is_empty() {
            tokio::task::yield_now().await;
        }
        let rest: Vec<_> = (2..=50)
            .map(|n| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.write(n).await })
            })
            .collect();
        tokio::task::yield_now().await;
        go.add_permits(1);
        assert_eq!(first.await.unwrap().unwrap(), 10);
        for (n, answer) in (2..=50).zip(rest) {
            assert_eq!(answer.await.unwrap().unwrap(), n * 10);
        }
        let sizes: Vec<usize> = batches.lock().unwrap().iter().map(Vec::len).collect();
        assert_eq!(sizes, [1, 49], "the 49 that waited went in one transaction");
    }

    #[tokio::test]
    async fn a_batch_that_panics_fails_its_callers_and_the_writer_goes_on() {
        let (writer, _, go) = writer();
        go.add_permits(1);
        assert_eq!(writer.write(7).await.unwrap(), 70);
        let failed = writer.write(0).await.unwrap_err();
        assert!(failed.to_string().contains("writer failed"), "{failed}");
        assert_eq!(writer.write(8).await.unwrap(), 80);
    }
}
