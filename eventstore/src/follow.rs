//! Reading the log as it grows. A NOTIFY only wakes a follower early; it
//! always reads the table, and a poll interval covers lost notifications (a
//! dropped listener connection, a notification queue that overflowed).

use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::watch;

use crate::model::RecordedEvent;
use crate::read::{events_after, events_of_types_after};
use crate::{EventStore, StoreError, NOTIFY_CHANNEL};

/// After the listener fails, how long to poll before listening again.
const RELISTEN_AFTER: Duration = Duration::from_secs(5);

/// The log's wake-ups for every follower of one process, over one LISTEN
/// connection: a listener per follower would hold a pooled connection each
/// for good, and a small pool would have none left for requests.
#[derive(Clone)]
pub struct Wakeups {
    pool: PgPool,
    /// Counts notifications; a follower waits for it to change.
    heard: watch::Receiver<u64>,
}

pub struct Follower {
    pool: PgPool,
    heard: watch::Receiver<u64>,
    checkpoint: i64,
    poll: Duration,
    /// Only events of these types, when set.
    types: Option<Vec<String>>,
}

impl EventStore {
    /// Listens for appends on one connection until every follower made
    /// from the answer is gone.
    pub async fn wakeups(&self) -> Result<Wakeups, StoreError> {
        let listener = listen(&self.pool).await?;
        let (tell, heard) = watch::channel(0);
        tokio::spawn(keep_listening(self.pool.clone(), listener, tell));
        Ok(Wakeups {
            pool: self.pool.clone(),
            heard,
        })
    }

    /// Follows the log from just after `checkpoint`, on wake-ups of its own.
    pub async fn follow(&self, checkpoint: i64, poll: Duration) -> Result<Follower, StoreError> {
        Ok(self.wakeups().await?.follow(checkpoint, poll))
    }
}

impl Wakeups {
    /// A follower from just after `checkpoint`, woken by these wake-ups.
    pub fn follow(&self, checkpoint: i64, poll: Duration) -> Follower {
        Follower {
            pool: self.pool.clone(),
            heard: self.heard.clone(),
            checkpoint,
            poll,
            types: None,
        }
    }
}

async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(NOTIFY_CHANNEL).await?;
    Ok(listener)
}

/// Turns each notification into a wake-up. When the connection fails,
/// followers poll, and it listens again after `RELISTEN_AFTER`.
async fn keep_listening(pool: PgPool, listener: PgListener, tell: watch::Sender<u64>) {
    let mut listener = Some(listener);
    loop {
        let Some(l) = listener.as_mut() else {
            tokio::select! {
                _ = tokio::time::sleep(RELISTEN_AFTER) => {}
                _ = tell.closed() => return,
            }
            match listen(&pool).await {
                Ok(l) => {
                    tracing::info!("event listener is back");
                    listener = Some(l);
                    // Appends while it was gone were not heard: look now.
                    tell.send_modify(|n| *n += 1);
                }
                Err(e) => tracing::warn!(error = %e, "event listener still unavailable"),
            }
            continue;
        };
        tokio::select! {
            heard = l.recv() => match heard {
                Ok(_) => tell.send_modify(|n| *n += 1),
                Err(e) => {
                    tracing::warn!(error = %e, "event listener failed; polling until it is back");
                    listener = None;
                }
            },
            _ = tell.closed() => return,
        }
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
        match tokio::time::timeout(self.poll, self.heard.changed()).await {
            Ok(Ok(())) | Err(_) => {}
            // The listening task is gone: polling still finds every event.
            Ok(Err(_)) => tokio::time::sleep(self.poll).await,
        }
    }
}
