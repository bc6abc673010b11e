//! Command handling: load the stream → decide → append, with idempotency by
//! command id and optimistic concurrency on the stream version.

mod personal_data;

pub use personal_data::{Vault, VaultError};

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use prasme_domain::{Decider, DomainError, DomainEvent, EventDecodeError};
use prasme_eventstore::{AppendError, EventMetadata, EventStore, ExpectedVersion, NewEvent, StoreError};
use thiserror::Error;
use tokio::sync::Mutex;
use uuid::Uuid;

/// How often a command without an expected version is re-decided when
/// another process moved its stream in between. Each retry reads only the
/// events it missed, and waits a random moment first so that two processes
/// busy on one stream fall out of step instead of colliding again.
const CONFLICT_RETRIES: u32 = 50;
/// The longest wait before a retry, in microseconds; it grows with each attempt.
const RETRY_JITTER_MICROS: u64 = 200;

/// Everything about a command that is not its content.
#[derive(Debug, Clone)]
pub struct CommandContext {
    pub command_id: Uuid,
    pub actor: String,
    pub correlation_id: Option<Uuid>,
    pub causation_id: Option<Uuid>,
    /// When given, the append fails unless the stream is at this version.
    pub expected_version: Option<i64>,
    /// Business time; defaults to now.
    pub occurred_at: Option<DateTime<Utc>>,
}

impl CommandContext {
    pub fn new(command_id: Uuid, actor: impl Into<String>) -> Self {
        Self {
            command_id,
            actor: actor.into(),
            correlation_id: None,
            causation_id: None,
            expected_version: None,
            occurred_at: None,
        }
    }

    fn metadata(&self) -> EventMetadata {
        EventMetadata {
            correlation_id: self.correlation_id.unwrap_or(self.command_id),
            causation_id: self.causation_id.unwrap_or(self.command_id),
            ..EventMetadata::for_command(self.actor.clone(), self.command_id)
        }
    }
}

/// What an accepted command wrote (or wrote the first time it was sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub stream_id: String,
    /// The global position of the last event written.
    pub position: i64,
    pub stream_version: i64,
    pub duplicate: bool,
}

#[derive(Debug, Error)]
pub enum CommandError {
    #[error(transparent)]
    Rejected(#[from] DomainError),
    #[error("wrong expected version: expected {expected}, actual {actual}")]
    Conflict { expected: i64, actual: i64 },
    /// Without an expected version, other writers kept moving the stream
    /// through every retry. Nothing was written; sending it again is safe.
    #[error("the stream {stream_id} changed under each of {attempts} attempts")]
    Contended { stream_id: String, attempts: u32 },
    /// The decision cannot be stored as it is (say, it produced no events).
    #[error("invalid append: {0}")]
    Invalid(String),
    #[error("stored event cannot be read: {0}")]
    Decode(#[from] EventDecodeError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Commands on one stream queue behind a lock in this process instead of
/// racing to conflict; striped so the lock table stays small. Conflicts then
/// only come from other processes, and the retries absorb them.
const STRIPES: usize = 256;

#[derive(Clone)]
pub struct CommandHandler {
    store: EventStore,
    stripes: Arc<Vec<Mutex<()>>>,
}

impl CommandHandler {
    pub fn new(store: EventStore) -> Self {
        Self {
            store,
            stripes: Arc::new((0..STRIPES).map(|_| Mutex::new(())).collect()),
        }
    }

    fn stripe(&self, stream_id: &str) -> &Mutex<()> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        stream_id.hash(&mut hasher);
        &self.stripes[(hasher.finish() % STRIPES as u64) as usize]
    }

    pub fn store(&self) -> &EventStore {
        &self.store
    }

    /// Runs `command` against the aggregate `D` with id `id`.
    pub async fn execute<D: Decider>(
        &self,
        ctx: &CommandContext,
        id: Uuid,
        command: &D::Command,
    ) -> Result<Accepted, CommandError> {
        let stream_id = D::stream_id(id);
        let _turn = self.stripe(&stream_id).lock().await;
        // A repeated command must answer as it did the first time, even if
        // deciding it again now would be refused (say, "already registered").
        // Checked behind the stream's turn, so a retry racing its original in
        // this process sees the original's result.
        if let Some(first) = self.store.command_result(ctx.command_id).await? {
            return Ok(accepted(first));
        }
        let (mut state, mut version) = self.load::<D>(&stream_id).await?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Some(expected) = ctx.expected_version {
                if expected != version {
                    return Err(CommandError::Conflict {
                        expected,
                        actual: version,
                    });
                }
            }
            let events = match D::decide(command, &state) {
                Ok(events) => events,
                Err(refusal) => {
                    // The original may have landed from another process
                    // meanwhile: its result, not a refusal, is the answer.
                    if let Some(first) = self.store.command_result(ctx.command_id).await? {
                        return Ok(accepted(first));
                    }
                    return Err(refusal.into());
                }
            };
            let occurred_at = ctx.occurred_at.unwrap_or_else(Utc::now);
            let new_events = events
                .iter()
                .map(|e| NewEvent {
                    event_id: Uuid::now_v7(),
                    event_type: e.event_type().to_owned(),
                    schema_version: D::Event::SCHEMA_VERSION,
                    payload: e.to_payload(),
                    occurred_at,
                })
                .collect();
            match self
                .store
                .append(&stream_id, ExpectedVersion::Exact(version), ctx.metadata(), new_events)
                .await
            {
                Ok(result) => return Ok(accepted(result)),
                Err(AppendError::WrongExpectedVersion { actual, .. }) => {
                    if ctx.expected_version.is_some() {
                        return Err(CommandError::Conflict {
                            expected: version,
                            actual,
                        });
                    }
                    if attempt > CONFLICT_RETRIES {
                        return Err(CommandError::Contended {
                            stream_id,
                            attempts: attempt,
                        });
                    }
                    let jitter = rand::random::<u64>() % (RETRY_JITTER_MICROS * u64::from(attempt));
                    tokio::time::sleep(std::time::Duration::from_micros(jitter)).await;
                    (state, version) = self.catch_up::<D>(&stream_id, state, version).await?;
                }
                Err(AppendError::Invalid(reason)) => return Err(CommandError::Invalid(reason)),
                Err(AppendError::Store(e)) => return Err(e.into()),
            }
        }
    }

    /// Whether the aggregate `D` with this id has any event: the check a
    /// command makes on another aggregate it refers to.
    pub async fn exists<D: Decider>(&self, id: Uuid) -> Result<bool, CommandError> {
        Ok(self.store.stream_version(&D::stream_id(id)).await? > 0)
    }

    /// The aggregate's current state and version, for checks a command on
    /// another aggregate must make (an employee's institution, a course not retired).
    pub async fn state<D: Decider>(&self, id: Uuid) -> Result<(D::State, i64), CommandError> {
        self.load::<D>(&D::stream_id(id)).await
    }

    async fn load<D: Decider>(&self, stream_id: &str) -> Result<(D::State, i64), CommandError> {
        self.catch_up::<D>(stream_id, D::State::default(), 0).await
    }

    /// `state` at `version`, brought up to the stream's head.
    async fn catch_up<D: Decider>(
        &self,
        stream_id: &str,
        state: D::State,
        version: i64,
    ) -> Result<(D::State, i64), CommandError> {
        let stored = self.store.read_stream_after(stream_id, version).await?;
        let head = stored.last().map_or(version, |e| e.stream_version);
        let mut state = state;
        for e in &stored {
            state = D::evolve(
                state,
                &D::Event::from_stored(&e.event_type, e.schema_version, &e.payload)?,
            );
        }
        Ok((state, head))
    }
}

fn accepted(r: prasme_eventstore::AppendResult) -> Accepted {
    Accepted {
        stream_id: r.stream_id,
        position: r.last_position,
        stream_version: r.stream_version,
        duplicate: r.duplicate,
    }
}
