//! The application layer. `UseCases` (one function per use case) is what
//! the API, the demo and importers call; below it `CommandHandler` runs a
//! decider: the stream's state (kept, or loaded) → decide → append, with
//! idempotency by command id and optimistic concurrency on the version.

mod cache;
mod feedback_keys;
mod fingerprint;
mod personal_data;
mod policy;
mod principal;
mod use_cases;

use cache::{AggregateCache, CACHED_STREAMS};
pub use feedback_keys::FeedbackKeys;
use fingerprint::InputFingerprint;
pub use personal_data::{Vault, VaultError};
pub use policy::reads::{may_read, read_reach, ReadOf};
pub use policy::{Denied, UseCase};
pub use principal::{Clock, Principal, Role};
pub use use_cases::*;

use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

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
    /// Who acts: authorised by the policy, recorded as every event's actor.
    pub principal: Principal,
    /// Business time: when the events occurred, and what "today" is for rules.
    pub clock: Clock,
    pub correlation_id: Option<Uuid>,
    pub causation_id: Option<Uuid>,
    /// When given, the append fails unless the stream is at this version.
    pub expected_version: Option<i64>,
}

impl CommandContext {
    pub fn new(command_id: Uuid, principal: impl Into<Principal>) -> Self {
        Self {
            command_id,
            principal: principal.into(),
            clock: Clock::System,
            correlation_id: None,
            causation_id: None,
            expected_version: None,
        }
    }
}

/// A command the policy let through, with the fingerprint of its input: all
/// the handler runs, so that no path skips either.
pub(crate) struct Admitted<'a> {
    pub(crate) ctx: &'a CommandContext,
    pub(crate) input: InputFingerprint,
}

impl Admitted<'_> {
    fn metadata(&self) -> EventMetadata {
        let ctx = self.ctx;
        EventMetadata {
            correlation_id: ctx.correlation_id.unwrap_or(ctx.command_id),
            causation_id: ctx.causation_id.unwrap_or(ctx.command_id),
            extra: self.input.extra(),
            ..EventMetadata::for_command(ctx.principal.subject.clone(), ctx.command_id)
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
    /// The policy does not let this principal run this use case on its target.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// The command id was first sent with another input; nothing was written.
    #[error("the command id {command_id} was already used with another input")]
    IdempotencyKeyReused { command_id: Uuid },
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
    Vault(#[from] VaultError),
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
    cache: Arc<AggregateCache>,
}

impl CommandHandler {
    pub fn new(store: EventStore) -> Self {
        Self {
            store,
            stripes: Arc::new((0..STRIPES).map(|_| Mutex::new(())).collect()),
            cache: Arc::new(AggregateCache::new(CACHED_STREAMS)),
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
    pub(crate) async fn execute<D: Decider>(
        &self,
        cmd: &Admitted<'_>,
        id: Uuid,
        command: D::Command,
    ) -> Result<Accepted, CommandError> {
        self.execute_with::<D, _, _>(cmd, id, || async { Ok(Ok(command)) })
            .await
    }

    /// Runs the command that `gather` builds against the aggregate `D` with
    /// id `id`. `gather` reads the facts the command needs from other
    /// aggregates (an employee's institution, a course not retired) behind
    /// this stream's turn, and may refuse.
    ///
    /// A repeated command id answers as it did the first time, even if
    /// deciding it again now would be refused (the employee has left since,
    /// the institution is "already registered"): the writer recognises the
    /// id of an accepted command and returns its first result, and only a
    /// refusal costs a look-up of the id. This is the one place that rule
    /// lives. Behind the stream's turn, so a retry racing its original in
    /// this process sees the original's result.
    pub(crate) async fn execute_with<D, F, Fut>(
        &self,
        cmd: &Admitted<'_>,
        id: Uuid,
        gather: F,
    ) -> Result<Accepted, CommandError>
    where
        D: Decider,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Result<D::Command, DomainError>, CommandError>>,
    {
        let stream_id = D::stream_id(id);
        let _turn = self.stripe(&stream_id).lock().await;
        let command = match gather().await? {
            Ok(command) => command,
            Err(refusal) => return self.first_result(cmd).await?.ok_or(refusal.into()),
        };
        let (state, version, fresh) = match self.cache.take::<D::State>(&stream_id) {
            Some((state, version)) => (state, version, false),
            None => {
                let (state, version) = self.catch_up::<D>(&stream_id, D::State::default(), 0).await?;
                (state, version, true)
            }
        };
        let (outcome, kept) = self
            .decide_and_append::<D>(cmd, &stream_id, &command, state, version, fresh)
            .await;
        match kept {
            Some((state, version)) => self.cache.keep(&stream_id, state, version),
            None => self.cache.forget(&stream_id),
        }
        outcome
    }

    /// The command's outcome, and the stream's state to keep for the next
    /// command (none when the outcome is unknown). `fresh` says the state was
    /// just read from the stream; a kept one may be behind another process,
    /// and is trusted for an append (the expected version catches it) but
    /// never for a refusal.
    async fn decide_and_append<D: Decider>(
        &self,
        cmd: &Admitted<'_>,
        stream_id: &str,
        command: &D::Command,
        mut state: D::State,
        mut version: i64,
        mut fresh: bool,
    ) -> (Result<Accepted, CommandError>, Option<(D::State, i64)>) {
        let ctx = cmd.ctx;
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Some(expected) = ctx.expected_version {
                // A kept version may be behind another process: only what
                // the stream holds now can refuse the expectation.
                if expected > version && !fresh {
                    match self.catch_up::<D>(stream_id, state, version).await {
                        Ok(caught_up) => (state, version) = caught_up,
                        Err(e) => return (Err(e), None),
                    }
                    fresh = true;
                }
                if expected != version {
                    let outcome = match self.first_result(cmd).await {
                        Ok(Some(first)) => Ok(first),
                        Ok(None) => Err(CommandError::Conflict {
                            expected,
                            actual: version,
                        }),
                        Err(e) => Err(e),
                    };
                    return (outcome, Some((state, version)));
                }
            }
            let events = match D::decide(command, &state) {
                Ok(events) => events,
                Err(_) if !fresh => {
                    match self.catch_up::<D>(stream_id, state, version).await {
                        Ok(caught_up) => (state, version) = caught_up,
                        Err(e) => return (Err(e), None),
                    }
                    fresh = true;
                    continue;
                }
                Err(refusal) => {
                    // The original may have been accepted (here or in another
                    // process): its result, not a refusal, is the answer.
                    let outcome = match self.first_result(cmd).await {
                        Ok(Some(first)) => Ok(first),
                        Ok(None) => Err(refusal.into()),
                        Err(e) => Err(e),
                    };
                    return (outcome, Some((state, version)));
                }
            };
            let occurred_at = ctx.clock.now();
            let new_events = events.iter().map(|e| new_event(e, occurred_at)).collect();
            match self
                .store
                .append(stream_id, ExpectedVersion::Exact(version), cmd.metadata(), new_events)
                .await
            {
                // The command id was seen: nothing new was written, and the
                // first result is the answer if the input was the same.
                Ok(result) if result.duplicate => {
                    let outcome = match self.first_result(cmd).await {
                        Ok(first) => Ok(first.unwrap_or_else(|| accepted(result))),
                        Err(e) => Err(e),
                    };
                    return (outcome, Some((state, version)));
                }
                Ok(result) => {
                    let state = events.iter().fold(state, |s, e| D::evolve(s, e));
                    let version = result.stream_version;
                    return (Ok(accepted(result)), Some((state, version)));
                }
                Err(AppendError::WrongExpectedVersion { actual, .. }) => {
                    if ctx.expected_version.is_some() {
                        let conflict = CommandError::Conflict {
                            expected: version,
                            actual,
                        };
                        return (Err(conflict), Some((state, version)));
                    }
                    if attempt > CONFLICT_RETRIES {
                        let contended = CommandError::Contended {
                            stream_id: stream_id.to_owned(),
                            attempts: attempt,
                        };
                        return (Err(contended), Some((state, version)));
                    }
                    let jitter = rand::random::<u64>() % (RETRY_JITTER_MICROS * u64::from(attempt));
                    tokio::time::sleep(std::time::Duration::from_micros(jitter)).await;
                    match self.catch_up::<D>(stream_id, state, version).await {
                        Ok(caught_up) => (state, version) = caught_up,
                        Err(e) => return (Err(e), None),
                    }
                    fresh = true;
                }
                Err(AppendError::Invalid(reason)) => {
                    return (Err(CommandError::Invalid(reason)), Some((state, version)))
                }
                Err(AppendError::Store(e)) => return (Err(e.into()), None),
            }
        }
    }

    /// What the command id's first use wrote, if it was accepted, and it
    /// was sent with this input.
    async fn first_result(&self, cmd: &Admitted<'_>) -> Result<Option<Accepted>, CommandError> {
        let command_id = cmd.ctx.command_id;
        match self.store.command_result(command_id).await? {
            Some((_, extra)) if cmd.input.differs_from(&extra) => {
                Err(CommandError::IdempotencyKeyReused { command_id })
            }
            first => Ok(first.map(|(result, _)| accepted(result))),
        }
    }

    /// Whether the aggregate `D` with this id has any event: the check a
    /// command makes on another aggregate it refers to.
    pub(crate) async fn exists<D: Decider>(&self, id: Uuid) -> Result<bool, CommandError> {
        Ok(self.store.stream_version(&D::stream_id(id)).await? > 0)
    }

    /// Whether any of these streams has an event.
    pub(crate) async fn any_exists(&self, stream_ids: &[String]) -> Result<bool, CommandError> {
        Ok(self.store.any_stream_exists(stream_ids).await?)
    }

    /// The aggregate's current state and version, for checks a command on
    /// another aggregate must make (an employee's institution, a course not
    /// retired): what this process kept of it, brought up to the head.
    pub async fn state<D: Decider>(&self, id: Uuid) -> Result<(D::State, i64), CommandError> {
        let stream_id = D::stream_id(id);
        let (state, version) = self
            .cache
            .copy::<D::State>(&stream_id)
            .unwrap_or_else(|| (D::State::default(), 0));
        let (state, version) = self.catch_up::<D>(&stream_id, state, version).await?;
        self.cache.keep(&stream_id, state.clone(), version);
        Ok((state, version))
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

/// The `metadata.extra` a use case records for `input`: its fingerprint,
/// for loaders that decide commands themselves and append the events in
/// bulk, so that their events carry what the API's would.
pub fn input_extra(use_case: UseCase, input: &impl serde::Serialize) -> Result<serde_json::Value, CommandError> {
    Ok(InputFingerprint::of(use_case, input)?.extra())
}

/// A domain event as the store takes it: a new id, its type and payload shape.
pub fn new_event<E: DomainEvent>(event: &E, occurred_at: chrono::DateTime<chrono::Utc>) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: event.event_type().to_owned(),
        schema_version: E::SCHEMA_VERSION,
        payload: event.to_payload(),
        occurred_at,
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
