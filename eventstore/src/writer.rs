//! Group commit. Every append of the process goes through one task that takes
//! whatever requests are waiting and writes them as one batch under the
//! store's global lock. The lock makes positions gap-free and ordered by
//! commit, which is what lets followers read "after my checkpoint" without
//! ever skipping a late commit; the grouping is what makes that affordable.
//!
//! A batch costs one round trip when the writer's belief about the log is
//! right: it plans the batch on that belief and `append_events` checks the
//! belief under the lock before writing. When the belief is wrong (another
//! process appended, a stream was further on than its caller expected, a
//! command id was seen before), nothing is written and the truth comes back.
//!
//! While a batch is being written, the writer gathers the next one and plans
//! it on the belief that the batch under way lands as planned, so that the
//! appending backend, which every append waits for, gets its next statement
//! as soon as it has answered, not after the writer has hashed and encoded
//! it. If the batch under way does not land as planned, that plan is thrown
//! away (and were it sent anyway, `append_events` would refuse it: its head
//! would not match).

use std::collections::HashMap;

use chrono::Utc;
use serde_json::value::RawValue;
use serde_json::Value;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgConnection};
use sqlx::{Arguments, Connection, Executor, Postgres};
use tokio::sync::{mpsc, oneshot};

use crate::connection::Dedicated;
use crate::durability::{self, Committed};
use crate::model::{AppendResult, EventMetadata, ExpectedVersion, NewEvent};
use crate::plan::{plan, stream_ids, Head, Known, Outcome, Plan};
use crate::AppendError;

pub(crate) const QUEUE_CAPACITY: usize = 8192;
/// Large enough to amortise a commit over many requests, small enough to
/// keep one transaction's latency in the low milliseconds.
const MAX_BATCH_EVENTS: usize = 2000;
/// Appends planned without holding the lock before the writer plans within
/// the locked transaction instead, which cannot be overtaken. Two: the first
/// on the writer's belief, the second on the truth the first returned.
const OPTIMISTIC_ATTEMPTS: usize = 2;

pub(crate) struct Pending {
    pub stream_id: String,
    pub expected: ExpectedVersion,
    pub metadata: EventMetadata,
    pub events: Vec<NewEvent>,
    /// `canonical_json` of each event's payload and of `metadata.extra`,
    /// for the hash chain: computed by the caller, off the writer's path.
    pub canonical_payloads: Vec<Box<RawValue>>,
    pub canonical_extra: Box<RawValue>,
    pub reply: oneshot::Sender<Result<AppendResult, AppendError>>,
}

/// Streams whose versions the writer remembers. Beyond that it forgets them
/// all and goes by what callers expect until it writes or reads them again.
const REMEMBERED_STREAMS: usize = 100_000;

/// What the writer believes about the log between batches: the head of its
/// last successful write and the versions of the streams it wrote or read
/// lately. Each version did exist; whether it is still the newest, the
/// database decides when a batch adds to it.
struct Belief {
    head: Head,
    versions: HashMap<String, i64>,
}

impl Belief {
    fn predict(&self, batch: &[Pending]) -> Known {
        Known::predict(&self.head, |s| self.versions.get(s).copied(), batch)
    }

    fn written(&mut self, effects: Effects) -> Vec<Outcome> {
        self.head = effects.head_after;
        if self.versions.len() + effects.versions_after.len() > REMEMBERED_STREAMS {
            self.versions.clear();
        }
        self.versions.extend(effects.versions_after);
        effects.outcomes
    }
}

/// What a plan does once written: each request's answer, and the head and
/// versions the writer then believes.
struct Effects {
    outcomes: Vec<Outcome>,
    head_after: Head,
    versions_after: HashMap<String, i64>,
}

/// A plan encoded as `append_events`' arguments. It owns its data, so it can
/// be made while the batch before it is still being written.
struct Prepared {
    arguments: PgArguments,
    effects: Effects,
}

fn prepare(planned: Plan<'_>) -> Result<Prepared, sqlx::Error> {
    let arguments = encode(&planned).map_err(sqlx::Error::Encode)?;
    Ok(Prepared {
        arguments,
        effects: Effects {
            outcomes: planned.outcomes,
            head_after: planned.head_after,
            versions_after: planned.versions_after,
        },
    })
}

fn encode(p: &Plan<'_>) -> Result<PgArguments, BoxDynError> {
    let r = &p.rows;
    let mut a = PgArguments::default();
    a.add(p.assumed_head.position)?;
    a.add(&p.assumed_head.hash)?;
    a.add(&p.new_command_ids)?;
    a.add(&p.stream_ids)?;
    a.add(&p.assumed_versions)?;
    a.add(&p.checked)?;
    a.add(&r.position)?;
    a.add(&r.stream_id)?;
    a.add(&r.stream_version)?;
    a.add(&r.event_id)?;
    a.add(&r.event_type)?;
    a.add(&r.schema_version)?;
    a.add(&r.payload)?;
    a.add(&r.extra)?;
    a.add(&r.actor)?;
    a.add(&r.command_id)?;
    a.add(&r.correlation_id)?;
    a.add(&r.causation_id)?;
    a.add(&r.occurred_at)?;
    a.add(&r.recorded_at)?;
    a.add(&r.prev_hash)?;
    a.add(&r.hash)?;
    Ok(a)
}

/// The batch gathered while the one before it was written, and its plan if
/// it was made, which holds only if that batch landed as it was planned.
struct Ahead {
    batch: Vec<Pending>,
    events: usize,
    prepared: Option<Prepared>,
}

impl Ahead {
    fn new() -> Self {
        Ahead {
            batch: Vec::new(),
            events: 0,
            prepared: None,
        }
    }

    fn push(&mut self, pending: Pending) {
        self.events += pending.events.len();
        self.batch.push(pending);
    }

    fn full(&self) -> bool {
        self.events >= MAX_BATCH_EVENTS
    }

    /// Takes whatever is already queued, up to the batch limit.
    fn take_queued(&mut self, queue: &mut mpsc::Receiver<Pending>) {
        while !self.full() {
            match queue.try_recv() {
                Ok(next) => self.push(next),
                Err(_) => break,
            }
        }
    }

    fn take_batch(&mut self) -> Vec<Pending> {
        self.events = 0;
        std::mem::take(&mut self.batch)
    }

    /// Plans the gathered batch on the log as it will be once the batch
    /// under way, with `effects`, has landed.
    fn plan_after(&mut self, effects: &Effects, belief: &Belief) {
        let version_of = |s: &str| {
            effects
                .versions_after
                .get(s)
                .or_else(|| belief.versions.get(s))
                .copied()
        };
        let known = Known::predict(&effects.head_after, version_of, &self.batch);
        // An encoding error here is met again, and answered, when the batch is planned anew.
        self.prepared = prepare(plan(&self.batch, known, Utc::now())).ok();
    }
}

pub(crate) async fn run(options: PgConnectOptions, mut queue: mpsc::Receiver<Pending>) {
    let (committed, durable) = mpsc::unbounded_channel();
    let answering = tokio::spawn(durability::run(options.clone(), durable));
    let mut connection = Dedicated::new(options);
    let mut belief = Belief {
        head: Head::genesis(),
        versions: HashMap::new(),
    };
    let mut ahead = Ahead::new();
    // The requests of the batch before the one under way: answered once it
    // is durable, they are the ones that come back while it is written.
    let mut returning = usize::MAX;
    let mut open = true;
    loop {
        if ahead.batch.is_empty() {
            if !open {
                break;
            }
            match queue.recv().await {
                Some(first) => ahead.push(first),
                None => break,
            }
        }
        let prepared = ahead.prepared.take();
        if prepared.is_none() {
            ahead.take_queued(&mut queue);
        }
        let batch = ahead.take_batch();
        let first = match prepared {
            Some(p) => Ok(p),
            None => prepare(plan(&batch, belief.predict(&batch), Utc::now())),
        };
        let result = match first {
            Ok(Prepared { arguments, effects }) => {
                let writing = commit(&mut connection, &batch, arguments);
                tokio::pin!(writing);
                let written = loop {
                    tokio::select! {
                        biased;
                        written = &mut writing => break written,
                        next = queue.recv(), if open && ahead.prepared.is_none() && !ahead.full() => match next {
                            Some(next) => {
                                ahead.push(next);
                                if ahead.batch.len() >= returning {
                                    ahead.take_queued(&mut queue);
                                    ahead.plan_after(&effects, &belief);
                                }
                            }
                            None => open = false,
                        },
                    }
                };
                if !matches!(written, Ok(None)) {
                    // The plan made ahead assumed this batch would land as first planned.
                    ahead.prepared = None;
                }
                written.map(|again| again.unwrap_or(effects))
            }
            Err(e) => Err(e),
        };
        returning = batch.len();
        let answers = match result {
            Ok(effects) => batch.into_iter().zip(belief.written(effects)).collect(),
            Err(e) => answer_alone(&mut connection, &mut belief, batch, e).await,
        };
        let head = belief.head.position;
        if !answers.is_empty() && committed.send(Committed { answers, head }).is_err() {
            return;
        }
    }
    // The runtime ends with this function: answer what is still waiting for a flush first.
    drop(committed);
    let _ = answering.await;
}

/// The batch failed as a whole (say, a payload jsonb refuses): one request
/// may have poisoned the statement, so each is tried alone, and the others
/// still land. Returns the requests it has answers for; those that failed
/// are answered here.
async fn answer_alone(
    connection: &mut Dedicated,
    belief: &mut Belief,
    batch: Vec<Pending>,
    error: sqlx::Error,
) -> Vec<(Pending, Outcome)> {
    if batch.len() == 1 {
        if let Some(pending) = batch.into_iter().next() {
            let _ = pending.reply.send(Err(error.into()));
        }
        return Vec::new();
    }
    tracing::warn!(error = %error, size = batch.len(), "group append failed; retrying one by one");
    let mut answered = Vec::new();
    for pending in batch {
        match commit_planned(connection, belief, std::slice::from_ref(&pending)).await {
            Ok(effects) => {
                let outcome = belief.written(effects).remove(0);
                answered.push((pending, outcome));
            }
            Err(e) => {
                let _ = pending.reply.send(Err(e.into()));
            }
        }
    }
    answered
}

/// Writes the batch: with `first`, the arguments of its first plan, if that
/// plan's assumptions hold (then it returns `None`: the first plan's effects
/// stand), else as planned on the truth (and returns that plan's effects).
async fn commit(
    connection: &mut Dedicated,
    batch: &[Pending],
    first: PgArguments,
) -> Result<Option<Effects>, sqlx::Error> {
    let result = commit_on(connection.get().await?, batch, first).await;
    connection.check(result)
}

/// `commit` for a plan made now on the writer's belief.
async fn commit_planned(
    connection: &mut Dedicated,
    belief: &Belief,
    batch: &[Pending],
) -> Result<Effects, sqlx::Error> {
    let first = prepare(plan(batch, belief.predict(batch), Utc::now()))?;
    Ok(commit(connection, batch, first.arguments)
        .await?
        .unwrap_or(first.effects))
}

async fn commit_on(
    connection: &mut PgConnection,
    batch: &[Pending],
    first: PgArguments,
) -> Result<Option<Effects>, sqlx::Error> {
    let mut arguments = first;
    // None while the first plan is the one being tried.
    let mut effects = None;
    for tried in 1..=OPTIMISTIC_ATTEMPTS {
        let known = match append(&mut *connection, arguments).await {
            Ok(None) => return Ok(effects),
            Ok(Some(truth)) => truth,
            Err(e) if overtaken(&e) => read_known(&mut *connection, "SELECT events_known($1, $2)", batch).await?,
            Err(e) => return Err(e),
        };
        if tried == OPTIMISTIC_ATTEMPTS {
            break;
        }
        let again = prepare(plan(batch, known, Utc::now()))?;
        arguments = again.arguments;
        effects = Some(again.effects);
    }
    // Another process keeps appending between our attempts: read the truth
    // and write in one transaction, holding the lock from before the read.
    // READ COMMITTED whatever the server's default, so that the read after
    // the lock sees every append committed before it was granted.
    let mut tx = connection.begin_with("BEGIN ISOLATION LEVEL READ COMMITTED").await?;
    let truth = read_known(&mut *tx, "SELECT events_lock_and_read($1, $2)", batch).await?;
    let locked = prepare(plan(batch, truth, Utc::now()))?;
    if append(&mut *tx, locked.arguments).await?.is_some() {
        return Err(sqlx::Error::Protocol(
            "append_events refused a batch planned under the lock".into(),
        ));
    }
    tx.commit().await?;
    Ok(Some(locked.effects))
}

/// The insert met a row that another writer appended after the writer last
/// looked: a newer version of a stream it believed it knew (or, once planned
/// again on the truth, an event id a caller reused, which then fails as an
/// error). Nothing was written.
fn overtaken(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("23505"))
}

/// What the log says about the batch's command ids and streams, from
/// `events_known` or `events_lock_and_read`.
async fn read_known<'e, E>(executor: E, sql: &'static str, batch: &[Pending]) -> Result<Known, sqlx::Error>
where
    E: Executor<'e, Database = Postgres>,
{
    let command_ids: Vec<uuid::Uuid> = batch.iter().map(|p| p.metadata.command_id).collect();
    let truth: Value = sqlx::query_scalar(sql)
        .bind(command_ids)
        .bind(stream_ids(batch))
        .fetch_one(executor)
        .await?;
    Known::from_json(truth).map_err(decode_error)
}

fn decode_error(e: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

/// Writes the plan if its assumptions hold; otherwise writes nothing and
/// returns what is true. One statement: in autocommit it is its own
/// transaction. (Followers are notified by the flush that follows.)
async fn append<'e, E>(executor: E, arguments: PgArguments) -> Result<Option<Known>, sqlx::Error>
where
    E: Executor<'e, Database = Postgres>,
{
    let truth: Option<Value> = sqlx::query_scalar_with(
        "SELECT append_events($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                              $15, $16, $17, $18, $19, $20, $21, $22)",
        arguments,
    )
    .fetch_one(executor)
    .await?;
    truth.map(Known::from_json).transpose().map_err(decode_error)
}
