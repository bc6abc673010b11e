//! The PostgreSQL event store: one append-only `events` table, appends grouped
//! into one transaction per batch under a global lock (gap-free positions in
//! commit order), optimistic concurrency per stream, idempotent commands, a
//! hash chain for tamper evidence and NOTIFY wake-ups for followers.

mod connection;
mod durability;
mod error;
mod follow;
mod hash;
mod metrics;
mod model;
mod pipeline;
mod plan;
mod read;
mod request;
mod schema;
mod verify;
mod writer;

pub use error::{database_unavailable, AppendError, StoreError};
pub use follow::{Follower, Wakeups};
pub use hash::{canonical_json, event_hash, GENESIS_HASH};
pub use model::{AppendResult, EventMetadata, ExpectedVersion, NewEvent, RecordedEvent};
pub use read::{events_after, events_of_types_after, head_position};
pub use schema::{connect, migrate, migrations_applied, pool_share, MIGRATOR};
pub use verify::{verify_chain, ChainBreak, VerifyReport};

use hash::canonical_raw;
use request::Pending;
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

/// Connections the writer opens beside any pool: one to append (sqlx), the
/// pipelined one (tokio-postgres), and those that force WAL flushes. A
/// process's connection budget must leave room for them.
pub const WRITER_CONNECTIONS: u32 = 2 + durability::FLUSHES as u32;

/// The channel on which every committed append is announced. Followers treat
/// it as a wake-up only; they always read the table to learn what is new.
pub const NOTIFY_CHANNEL: &str = "prasme_events";

/// Cloneable handle to the store. All appends of a process go through one
/// writer task that commits them in groups.
#[derive(Clone)]
pub struct EventStore {
    pool: PgPool,
    writer: mpsc::Sender<Pending>,
}

impl EventStore {
    /// Starts the writer on a thread of its own, with connections of its own
    /// to the database of `pool`: one to append, two to force WAL flushes.
    ///
    /// Every append waits for the writer, so its latency is everyone's: on a
    /// runtime of its own it is woken the moment PostgreSQL answers, not when
    /// a busy worker of the application's runtime next polls for I/O.
    pub fn new(pool: PgPool) -> Self {
        let (tx, rx) = mpsc::channel(writer::QUEUE_CAPACITY);
        let options = (*pool.connect_options()).clone();
        let started = std::thread::Builder::new().name("prasme-writer".into()).spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            match runtime {
                Ok(runtime) => runtime.block_on(writer::run(options, rx)),
                // Dropping `rx` makes every append fail with WriterStopped.
                Err(e) => tracing::error!(error = %e, "cannot start the event store writer"),
            }
        });
        if let Err(e) = started {
            tracing::error!(error = %e, "cannot start the event store writer thread");
        }
        Self { pool, writer: tx }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Appends `events` to one stream if its version is `expected`.
    ///
    /// When `metadata.command_id` was already appended, nothing is written
    /// and the first append's result is returned with `duplicate = true`.
    pub async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        metadata: EventMetadata,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, AppendError> {
        self.queue(stream_id, expected, metadata, events).await?.outcome().await
    }

    /// Queues an append for the writer and returns once it is queued, with
    /// its answer to come. Appends that one task queues one after another
    /// are written in that order (positions follow it), without waiting for
    /// each other's commits: what a bulk load needs to be both fast and
    /// reproducible.
    pub async fn queue(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        metadata: EventMetadata,
        events: Vec<NewEvent>,
    ) -> Result<QueuedAppend, AppendError> {
        model::validate_append(stream_id, &events)?;
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            stream_id: stream_id.to_owned(),
            expected,
            canonical_payloads: events
                .iter()
                .map(|e| canonical_raw(&e.payload))
                .collect::<Result<_, _>>()
                .map_err(unencodable)?,
            canonical_extra: canonical_raw(&metadata.extra).map_err(unencodable)?,
            metadata,
            events,
            reply,
        };
        self.writer
            .send(pending)
            .await
            .map_err(|_| AppendError::Store(StoreError::WriterStopped))?;
        Ok(QueuedAppend(answer))
    }
}

/// An append the writer has queued: its answer comes once it is durable.
pub struct QueuedAppend(oneshot::Receiver<request::Outcome>);

impl QueuedAppend {
    pub async fn outcome(self) -> Result<AppendResult, AppendError> {
        self.0
            .await
            .map_err(|_| AppendError::Store(StoreError::WriterStopped))?
    }
}

/// Canonical JSON always reads back; this only turns the impossible into a
/// typed error rather than a panic.
fn unencodable(e: serde_json::Error) -> AppendError {
    AppendError::Invalid(format!("the event cannot be encoded as JSON: {e}"))
}
