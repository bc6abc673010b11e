//! Drives projections: catch up from the checkpoint, then follow live. One
//! task per projection, so a slow or broken one holds back only itself.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use prasme_eventstore::{EventStore, Follower};
use sqlx::PgPool;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use prasme_eventstore::events_after;

use crate::{apply_batch, lock_checkpoint, notices, ChangeNotice, Projection, ProjectionError};

const BATCH: i64 = 500;
const RETRY_DELAY: Duration = Duration::from_secs(1);

pub struct ProjectionRunner {
    store: EventStore,
    projections: Vec<Arc<dyn Projection>>,
    poll: Duration,
}

/// A cheap handle on the running projections: how far they got, and what changed.
#[derive(Clone)]
pub struct Runner {
    position: watch::Receiver<i64>,
    changes: broadcast::Sender<ChangeNotice>,
    names: Arc<Vec<&'static str>>,
    positions: Arc<Mutex<Vec<i64>>>,
    pool: PgPool,
}

/// How far one projection is behind the head of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionLag {
    pub name: &'static str,
    pub checkpoint: i64,
    /// Events committed after the checkpoint (of any type: a projection's
    /// checkpoint moves past events it does not read).
    pub lag: i64,
}

/// The read models had not reached a position in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lagging {
    pub wanted: i64,
    pub reached: i64,
}

impl ProjectionRunner {
    pub fn new(store: EventStore, projections: Vec<Arc<dyn Projection>>) -> Self {
        Self {
            store,
            projections,
            poll: Duration::from_millis(500),
        }
    }

    /// The fallback poll interval when no notification arrives.
    pub fn poll_every(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// Starts one task per projection. They stop at a checkpoint (between
    /// batches) when `shutdown` turns true; await the handles to know they did.
    pub async fn start(
        self,
        shutdown: watch::Receiver<bool>,
    ) -> Result<(Runner, Vec<JoinHandle<()>>), ProjectionError> {
        let names: Vec<&'static str> = self.projections.iter().map(|p| p.name()).collect();
        let mut initial = Vec::with_capacity(names.len());
        for name in &names {
            initial.push(stored_checkpoint(self.store.pool(), name).await?);
        }
        let (position_tx, position) = watch::channel(initial.iter().copied().min().unwrap_or(0));
        let (changes, _) = broadcast::channel(1024);
        let runner = Runner {
            position,
            changes,
            names: Arc::new(names),
            positions: Arc::new(Mutex::new(initial.clone())),
            pool: self.store.pool().clone(),
        };
        let position_tx = Arc::new(position_tx);
        let wakeups = self.store.wakeups().await?;
        let tasks = self
            .projections
            .into_iter()
            .zip(initial)
            .enumerate()
            .map(|(index, (projection, checkpoint))| {
                let follower = wakeups.follow(checkpoint, self.poll).only(&projection.event_types());
                let worker = Worker {
                    store: self.store.clone(),
                    projection,
                    index,
                    runner: runner.clone(),
                    position_tx: position_tx.clone(),
                };
                tokio::spawn(worker.run(follower, checkpoint, shutdown.clone()))
            })
            .collect();
        Ok((runner, tasks))
    }
}

impl Runner {
    /// The position every projection has reached.
    pub fn position(&self) -> i64 {
        *self.position.borrow()
    }

    /// The position every projection has reached, to watch without holding
    /// the runner (whose handles keep its change broadcast open).
    pub fn position_watch(&self) -> watch::Receiver<i64> {
        self.position.clone()
    }

    /// Each projection's name and checkpoint.
    pub fn checkpoints(&self) -> Vec<(&'static str, i64)> {
        let positions = self.positions.lock().map(|p| p.clone()).unwrap_or_default();
        self.names.iter().copied().zip(positions).collect()
    }

    /// Each projection's distance from the head, as `/readyz` reports it.
    pub async fn lags(&self) -> Result<Vec<ProjectionLag>, ProjectionError> {
        let head = prasme_eventstore::head_position(&self.pool).await?;
        Ok(self
            .checkpoints()
            .into_iter()
            .map(|(name, checkpoint)| ProjectionLag {
                name,
                checkpoint,
                lag: (head - checkpoint).max(0),
            })
            .collect())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ChangeNotice> {
        self.changes.subscribe()
    }

    /// Waits until every projection has applied `position`, for read-your-writes.
    pub async fn wait_for(&self, position: i64, timeout: Duration) -> Result<(), Lagging> {
        self.wait_for_these(&self.names, position, timeout).await
    }

    /// Waits until the projections named have applied `position`: a query
    /// waits only for the read models it reads, not behind a slow other one.
    pub async fn wait_for_these(&self, names: &[&str], position: i64, timeout: Duration) -> Result<(), Lagging> {
        let mut rx = self.position.clone();
        // Every projection's progress is sent on the one channel; each send
        // wakes this to look at the ones it waits for.
        let reached = tokio::time::timeout(timeout, async {
            rx.wait_for(|_| self.slowest_of(names) >= position).await.is_ok()
        })
        .await
        .unwrap_or(false);
        if reached {
            Ok(())
        } else {
            Err(Lagging {
                wanted: position,
                reached: self.slowest_of(names),
            })
        }
    }

    /// The lowest position among the projections named (names it does not run are ignored).
    fn slowest_of(&self, names: &[&str]) -> i64 {
        let Ok(positions) = self.positions.lock() else { return 0 };
        self.names
            .iter()
            .zip(positions.iter())
            .filter(|(name, _)| names.contains(name))
            .map(|(_, p)| *p)
            .min()
            .unwrap_or_else(|| *self.position.borrow())
    }
}

async fn stored_checkpoint(pool: &PgPool, name: &str) -> Result<i64, sqlx::Error> {
    let p: Option<i64> = sqlx::query_scalar("SELECT position FROM projection_checkpoints WHERE name = $1")
        .bind(name)
        .fetch_optional(pool)
        .await?;
    Ok(p.unwrap_or(0))
}

struct Worker {
    store: EventStore,
    projection: Arc<dyn Projection>,
    index: usize,
    runner: Runner,
    position_tx: Arc<watch::Sender<i64>>,
}

enum Committed {
    Applied(i64),
    /// Another runner or a rebuild moved the checkpoint; continue from there.
    Moved(i64),
}

impl Worker {
    async fn run(self, mut follower: Follower, mut committed: i64, mut shutdown: watch::Receiver<bool>) {
        let name = self.projection.name();
        tracing::info!(projection = name, checkpoint = committed, "projection started");
        // How far it has read: past `committed` only over events it does not read.
        let mut seen = committed;
        while !*shutdown.borrow() {
            let batch = match follower.try_next_batch(BATCH).await {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::error!(projection = name, error = %e, "reading events failed; retrying");
                    if sleep_or_shutdown(RETRY_DELAY, &mut shutdown).await {
                        break;
                    }
                    continue;
                }
            };
            // Past the last event of its types, up to the head it saw.
            let through = follower.checkpoint();
            if batch.is_empty() {
                // None of its types since what it applied: its read model
                // is already as of `through`. Said at once, for
                // read-your-writes; stored with its next batch, so a
                // projection that has nothing to do writes nothing.
                if through > seen {
                    seen = through;
                    self.publish(through);
                    if gather(&mut shutdown).await {
                        break;
                    }
                    continue;
                }
                tokio::select! {
                    _ = follower.wait() => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            match self.commit(committed, &batch, through).await {
                Ok(Committed::Applied(position)) => {
                    (committed, seen) = (position, position);
                    self.publish(position);
                    self.announce(notices(self.projection.as_ref(), &batch));
                    // Caught up: let the next events gather rather than
                    // chase each group commit with a transaction of its own.
                    if batch.len() < BATCH as usize && gather(&mut shutdown).await {
                        break;
                    }
                }
                Ok(Committed::Moved(position)) => {
                    if position > committed {
                        // Another process's runner applied these; this
                        // process's subscribers must hear of them all the same.
                        if let Err(e) = self.announce_range(committed, position).await {
                            tracing::error!(projection = name, error = %e, "cannot announce changes applied elsewhere; retrying");
                            follower.seek(committed);
                            seen = committed;
                            if sleep_or_shutdown(RETRY_DELAY, &mut shutdown).await {
                                break;
                            }
                            continue;
                        }
                    }
                    (committed, seen) = (position, position);
                    follower.seek(position);
                    self.publish(position);
                }
                Err(e) => {
                    // Never skip: the same events are tried again until they apply.
                    tracing::error!(projection = name, error = %e, "projection failed; retrying");
                    follower.seek(committed);
                    seen = committed;
                    if sleep_or_shutdown(RETRY_DELAY, &mut shutdown).await {
                        break;
                    }
                }
            }
        }
        tracing::info!(
            projection = name,
            checkpoint = committed,
            "projection stopped at its checkpoint"
        );
    }

    async fn commit(
        &self,
        committed: i64,
        batch: &[prasme_eventstore::RecordedEvent],
        through: i64,
    ) -> Result<Committed, ProjectionError> {
        let mut tx = self.store.pool().begin().await?;
        let stored = lock_checkpoint(&mut tx, self.projection.name()).await?;
        if stored != committed {
            return Ok(Committed::Moved(stored));
        }
        apply_batch(&mut tx, self.projection.as_ref(), batch, through).await?;
        tx.commit().await?;
        Ok(Committed::Applied(through))
    }

    fn announce(&self, notices: Vec<ChangeNotice>) {
        for notice in notices {
            // No subscriber is not an error.
            let _ = self.runner.changes.send(notice);
        }
    }

    /// Announces the changes of the events in (`from`, `to`].
    async fn announce_range(&self, mut from: i64, to: i64) -> Result<(), ProjectionError> {
        while from < to {
            let events = events_after(self.store.pool(), from, BATCH.min(to - from)).await?;
            let Some(last) = events.last() else { break };
            from = last.position;
            self.announce(notices(self.projection.as_ref(), &events));
        }
        Ok(())
    }

    fn publish(&self, position: i64) {
        let min = match self.runner.positions.lock() {
            Ok(mut positions) => {
                positions[self.index] = position;
                positions.iter().copied().min().unwrap_or(position)
            }
            Err(_) => return,
        };
        self.position_tx.send_replace(min);
    }
}

/// How long a caught-up projection lets events gather before it reads
/// again. Under a burst every group commit wakes every projection; reading
/// at most this often per projection halves the database's work per
/// mutation (docs/benchmarks.md), for at most this much more lag.
const GATHER: Duration = Duration::from_millis(10);

/// Waits `GATHER`; true when shutdown was asked for meanwhile.
async fn gather(shutdown: &mut watch::Receiver<bool>) -> bool {
    sleep_or_shutdown(GATHER, shutdown).await
}

/// Sleeps; true when shutdown was asked for meanwhile.
async fn sleep_or_shutdown(delay: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(delay) => {}
        _ = shutdown.changed() => {}
    }
    *shutdown.borrow()
}
