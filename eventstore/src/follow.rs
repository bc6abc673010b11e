//! Reading the log as it grows. A NOTIFY only wakes a follower early; it
//! always reads the table, and a poll interval covers lost notifications (a
//! dropped listener connection, a notification queue that overflowed).

use std::time::{Duration, Instant};

use sqlx::postgres::PgListener;
use sqlx::PgPool;

use crate::model::RecordedEvent;
use crate::read::{events_after, events_of_types_after};
use crate::{EventStore, StoreError, NOTIFY_CHANNEL};

/// After the listener fails, how long to poll before listening again.
const RELISTEN_AFTER: Duration = Duration::from_secs(5);

pub struct Follower {
    pool: PgPool,
    listener: Option<PgListener>,
    /// When the listener failed, to try again after `RELISTEN_AFTER`.
    listener_lost_at: Option<Instant>,
    checkpoint: i64,
    poll: Duration,
    /// Only events of these types, when set.
    types: Option<Vec<String>>,
}

impl EventStore {
    /// Follows the log from just after `checkpoint`.
    pub async fn follow(&self, checkpoint: i64, poll: Duration) -> Result<Follower, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(NOTIFY_CHANNEL).await?;
        Ok(Follower {
            pool: self.pool.clone(),
            listener: Some(listener),
            listener_lost_at: None,
            checkpoint,
            poll,
            types: None,
        })
    }
}

impl Follower {
    /// How far the follower has read: with a type filter, past the last
    /// event returned up to the head it saw.
    pub fn checkpoint(&self) -> i64 {
        self.checkpoint
    }

    /// Reads only events of these types; the store filters them, so a
    /// reader of a few types does not fetch the whole log.
    pub fn only(mut self, types: &[&str]) -> Self {
        self.types = Some(types.iter().map(|t| (*t).to_owned()).collect());
        self
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
        if let Some(types) = &self.types {
            let mut conn = self.pool.acquire().await?;
            let (batch, through) = events_of_types_after(&mut conn, self.checkpoint, types, limit).await?;
            self.checkpoint = through;
            return Ok(batch);
        }
        let batch = events_after(&self.pool, self.checkpoint, limit).await?;
        if let Some(last) = batch.last() {
            self.checkpoint = last.position;
        }
        Ok(batch)
    }

    /// Waits for a notification or the poll interval, whichever comes first.
    pub async fn wait(&mut self) {
        if self.listener.is_none() && self.listener_lost_at.is_some_and(|t| t.elapsed() >= RELISTEN_AFTER) {
            self.relisten().await;
        }
        let Some(listener) = self.listener.as_mut() else {
            tokio::time::sleep(self.poll).await;
            return;
        };
        match tokio::time::timeout(self.poll, listener.recv()).await {
            Ok(Ok(_)) | Err(_) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "event listener failed; polling until it is back");
                self.listener = None;
                self.listener_lost_at = Some(Instant::now());
            }
        }
    }

    async fn relisten(&mut self) {
        let listener = async {
            let mut l = PgListener::connect_with(&self.pool).await?;
            l.listen(NOTIFY_CHANNEL).await?;
            Ok::<_, sqlx::Error>(l)
        };
        match listener.await {
            Ok(l) => {
                tracing::info!("event listener is back");
                self.listener = Some(l);
                self.listener_lost_at = None;
            }
            Err(e) => {
                tracing::warn!(error = %e, "event listener still unavailable");
                self.listener_lost_at = Some(Instant::now());
            }
        }
    }
}
