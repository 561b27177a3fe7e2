//! Group commit, the same for every store: one writer task takes the writes waiting at
//! that moment (up to a bound) and hands them to the store, which writes them in one
//! transaction; each caller is answered once that transaction is committed. Under load a
//! commit carries many callers' writes; alone, a write commits at once.

use std::collections::HashMap;

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
    async fn write(&self, batch: &[Self::Work]) -> Result<Vec<Result<Self::Done>>>;
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
        tokio::spawn(async move {
            let mut pending = Vec::with_capacity(max_batch);
            while waiting.recv_many(&mut pending, max_batch).await > 0 {
                let (work, answers): (Vec<_>, Vec<_>) = pending.drain(..).unzip();
                let results = match batches.write(&work).await {
                    Ok(results) => results,
                    Err(e) if work.len() == 1 => vec![Err(e)],
                    Err(e) => {
                        let message = e.to_string();
                        work.iter()
                            .map(|_| Err(StoreError::Other(message.clone().into())))
                            .collect()
                    }
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

/// What one transaction knows of the organizations it touched: each one's log head as
/// the transaction leaves it (written back once, before the commit), and whether anyone
/// listens to its activity.
#[derive(Debug, Default, Clone)]
pub struct Heads {
    pub heads: HashMap<String, (i64, Digest32)>,
    pub listened: HashMap<String, bool>,
}
