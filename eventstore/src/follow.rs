//! Reading the log as it grows. A NOTIFY only wakes a follower early; it
//! always reads the table, and a poll interval covers lost notifications (a
//! dropped listener connection, a notification queue that overflowed).

use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;

use crate::model::RecordedEvent;
use crate::read::events_after;
use crate::{EventStore, StoreError, NOTIFY_CHANNEL};

pub struct Follower {
    pool: PgPool,
    listener: Option<PgListener>,
    checkpoint: i64,
    poll: Duration,
}

impl EventStore {
    /// Follows the log from just after `checkpoint`.
    pub async fn follow(&self, checkpoint: i64, poll: Duration) -> Result<Follower, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(NOTIFY_CHANNEL).await?;
        Ok(Follower {
            pool: self.pool.clone(),
            listener: Some(listener),
            checkpoint,
            poll,
        })
    }
}

impl Follower {
    pub fn checkpoint(&self) -> i64 {
        self.checkpoint
    }

    /// Moves the checkpoint, for a reader that read past it by other means.
    pub fn seek(&mut self, checkpoint: i64) {
        self.checkpoint = checkpoint;
    }

    /// The next events after the checkpoint, waiting until there is at least one.
    pub async fn next_batch(&mut self, limit: i64) -> Result<Vec<RecordedEvent>, StoreError> {
        loop {
            let batch = self.try_next_batch(limit).await?;
            if !batch.is_empty() {
                return Ok(batch);
            }
            self.wait().await;
        }
    }

    /// The next events after the checkpoint, possibly none, without waiting.
    pub async fn try_next_batch(&mut self, limit: i64) -> Result<Vec<RecordedEvent>, StoreError> {
        let batch = events_after(&self.pool, self.checkpoint, limit).await?;
        if let Some(last) = batch.last() {
            self.checkpoint = last.position;
        }
        Ok(batch)
    }

    /// Waits for a notification or the poll interval, whichever comes first.
    pub async fn wait(&mut self) {
        let Some(listener) = self.listener.as_mut() else {
            tokio::time::sleep(self.poll).await;
            return;
        };
        match tokio::time::timeout(self.poll, listener.recv()).await {
            Ok(Ok(_)) | Err(_) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "event listener failed; following by polling only");
                self.listener = None;
            }
        }
    }
}
