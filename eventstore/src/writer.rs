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
//! While a batch is being written, the writer gathers the next one, plans
//! it on the belief that the batch under way lands as planned, and sends it
//! at once on the same connection (`pipeline`), so that the appending
//! backend, which every append waits for, finds its next statement waiting
//! when it has answered. If the batch under way does not land as planned,
//! the head check of the one behind it refuses it too (its head does not
//! match), and both are written again through sqlx, the careful way.

use std::collections::{HashMap, VecDeque};

use chrono::Utc;
use serde_json::Value;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgConnection};
use sqlx::types::Json;
use sqlx::{Arguments, Connection, Executor, Postgres};
use tokio::sync::mpsc;
use tokio_postgres::error::SqlState;

use crate::connection::Dedicated;
use crate::durability::{self, Committed};
use crate::pipeline::{self, Encoded, Pipeline, Reply};
use crate::plan::{plan, stream_ids, Head, Known, Plan};
use crate::request::{Outcome, Pending};

pub(crate) const QUEUE_CAPACITY: usize = 8192;
/// Large enough to amortise a commit over many requests, small enough to
/// keep one transaction's latency in the low milliseconds.
const MAX_BATCH_EVENTS: usize = 2000;
/// Batches sent behind the one being written. With one, the store went from
/// 78–85 % to 86–93 % of what one backend does with plain inserts; with two,
/// 64 writers split into three smaller groups and every batch pays its fixed
/// costs for fewer appends, which measured slower (docs/benchmarks.md).
const SENT_BEHIND: usize = 1;
/// Appends planned without holding the lock before the writer plans within
/// the locked transaction instead, which cannot be overtaken. Two: the first
/// on the writer's belief, the second on the truth the first returned.
const OPTIMISTIC_ATTEMPTS: usize = 2;

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

/// A plan encoded as sqlx arguments, for the careful path (`commit_planned`).
struct Prepared {
    arguments: PgArguments,
    effects: Effects,
}

fn prepare(planned: Plan<'_>) -> Result<Prepared, sqlx::Error> {
    let arguments = encode(&planned).map_err(sqlx::Error::Encode)?;
    Ok(Prepared {
        arguments,
        effects: Effects::of(planned),
    })
}

impl Effects {
    fn of(planned: Plan<'_>) -> Self {
        Effects {
            outcomes: planned.outcomes,
            head_after: planned.head_after,
            versions_after: planned.versions_after,
        }
    }
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
    a.add(r.payload.iter().map(|v| Json(*v)).collect::<Vec<_>>())?;
    a.add(r.extra.iter().map(|v| Json(*v)).collect::<Vec<_>>())?;
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

/// A batch sent down the pipeline, with what it does if it lands as planned.
struct Sent {
    batch: Vec<Pending>,
    effects: Effects,
    reply: Reply,
}

/// Plans `batch` on `known` and sends it behind whatever is under way. A
/// batch that cannot be sent comes back, to be written the careful way.
async fn send(pipeline: &mut Pipeline, batch: Vec<Pending>, known: Known) -> Result<Sent, Vec<Pending>> {
    crate::metrics::APPEND_BATCH.observe(batch.len() as f64);
    let planned = plan(&batch, known, Utc::now());
    let Ok(encoded) = Encoded::of(&planned) else {
        // The careful path meets the same encoding error and answers it.
        return Err(batch);
    };
    let effects = Effects::of(planned);
    match pipeline.send(encoded).await {
        Ok(reply) => Ok(Sent { batch, effects, reply }),
        Err(e) => {
            tracing::warn!(error = %e, "cannot send on the writer's appending connection");
            Err(batch)
        }
    }
}

/// The requests gathered while a batch is written.
struct Ahead {
    batch: Vec<Pending>,
    events: usize,
}

impl Ahead {
    fn new() -> Self {
        Ahead {
            batch: Vec::new(),
            events: 0,
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
}

/// What the writer predicts for `batch` once the batch being written (with
/// `effects`) and those sent behind it have landed.
fn predict_behind(effects: &Effects, behind: &VecDeque<Sent>, belief: &Belief, batch: &[Pending]) -> Known {
    let newest = behind.back().map_or(effects, |sent| &sent.effects);
    let version_of = |s: &str| {
        behind
            .iter()
            .rev()
            .map(|sent| &sent.effects)
            .chain(std::iter::once(effects))
            .find_map(|e| e.versions_after.get(s))
            .or_else(|| belief.versions.get(s))
            .copied()
    };
    Known::predict(&newest.head_after, version_of, batch)
}

pub(crate) async fn run(options: PgConnectOptions, mut queue: mpsc::Receiver<Pending>) {
    let (committed, durable) = mpsc::unbounded_channel();
    let answering = tokio::spawn(durability::run(options.clone(), durable));
    let mut pipeline = Pipeline::new(&options);
    let mut connection = Dedicated::new(options);
    let mut belief = Belief {
        head: Head::genesis(),
        versions: HashMap::new(),
    };
    let mut ahead = Ahead::new();
    // Sent behind the batch whose answer is awaited, oldest first.
    let mut behind: VecDeque<Sent> = VecDeque::new();
    // The size of the batch answered last: its requests come back while the
    // one behind it is written. The next batch goes out once three quarters
    // of them are back: waiting for all of them left the backend idle when
    // one or two were late, going sooner makes smaller batches.
    // (Before any batch has been answered: never; a quarter of usize's range so that `* 3` cannot overflow.)
    let mut returning = usize::MAX / 4;
    let mut open = true;
    let answer = |answers: Vec<(Pending, Outcome)>, head: i64| {
        answers.is_empty() || committed.send(Committed { answers, head }).is_ok()
    };
    loop {
        let current = match behind.pop_front() {
            Some(sent) => sent,
            None => {
                if ahead.batch.is_empty() {
                    if !open {
                        break;
                    }
                    match queue.recv().await {
                        Some(first) => ahead.push(first),
                        None => break,
                    }
                }
                ahead.take_queued(&mut queue);
                let batch = ahead.take_batch();
                let known = belief.predict(&batch);
                match send(&mut pipeline, batch, known).await {
                    Ok(sent) => sent,
                    Err(batch) => {
                        returning = batch.len();
                        let answers = write_again(&mut connection, &mut belief, batch, None).await;
                        if !answer(answers, belief.head.position) {
                            return;
                        }
                        continue;
                    }
                }
            }
        };
        let Sent {
            batch,
            effects,
            mut reply,
        } = current;
        // While it is written, gather more, plan it on the belief that
        // everything sent lands as planned, and send it behind.
        let written = loop {
            tokio::select! {
                biased;
                written = &mut reply => break written,
                request = queue.recv(), if open && behind.len() < SENT_BEHIND && !ahead.full() => match request {
                    Some(request) => {
                        ahead.push(request);
                        if ahead.batch.len() * 4 >= returning * 3 {
                            ahead.take_queued(&mut queue);
                            let gathered = ahead.take_batch();
                            let known = predict_behind(&effects, &behind, &belief, &gathered);
                            match send(&mut pipeline, gathered, known).await {
                                Ok(sent) => behind.push_back(sent),
                                Err(gathered) => ahead.batch = gathered,
                            }
                        }
                    }
                    None => open = false,
                },
            }
        };
        returning = batch.len();
        if let Ok(None) = written {
            let answers = batch.into_iter().zip(belief.written(effects)).collect();
            if !answer(answers, belief.head.position) {
                return;
            }
            continue;
        }
        if let Err(e) = &written {
            // A refusal or an overtaking writer is expected now and then; an
            // error that keeps coming back would silently send every batch
            // the slow way.
            if e.code() != Some(&SqlState::UNIQUE_VIOLATION) {
                tracing::warn!(error = %e, "a pipelined append failed; writing it again through sqlx");
            }
        }
        // Nothing of `batch` was written. What was sent behind it was planned
        // on it landing, so head checks refuse it too, unless `batch` had no
        // rows; either way those answers are on the connection first.
        let mut again = vec![(batch, truth_of(written))];
        for sent in behind.drain(..) {
            match sent.reply.await {
                Ok(None) => {
                    let answers = sent.batch.into_iter().zip(belief.written(sent.effects)).collect();
                    if !answer(answers, belief.head.position) {
                        return;
                    }
                }
                failed => again.push((sent.batch, truth_of(failed))),
            }
        }
        for (batch, truth) in again {
            let answers = write_again(&mut connection, &mut belief, batch, truth).await;
            if !answer(answers, belief.head.position) {
                return;
            }
        }
    }
    // The runtime ends with this function: answer what is still waiting for a flush first.
    drop(committed);
    let _ = answering.await;
}

/// Writes a batch that did not land as first planned, through sqlx: planned
/// on the truth its refusal returned if it has one (else on what the writer
/// believes), then on the truth the database returns, then under the lock.
/// A truth that another batch has overtaken since is refused like any stale
/// plan and costs one round trip.
async fn write_again(
    connection: &mut Dedicated,
    belief: &mut Belief,
    batch: Vec<Pending>,
    truth: Option<Known>,
) -> Vec<(Pending, Outcome)> {
    let known = truth.unwrap_or_else(|| belief.predict(&batch));
    match commit_planned(connection, known, &batch).await {
        Ok(effects) => batch.into_iter().zip(belief.written(effects)).collect(),
        Err(e) => answer_alone(connection, belief, batch, e).await,
    }
}

/// The truth a refused pipelined append returned, if that is how it failed.
fn truth_of(written: Result<Option<Value>, pipeline::Error>) -> Option<Known> {
    match written {
        Ok(Some(truth)) => Known::from_json(truth).ok(),
        _ => None,
    }
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
        let alone = std::slice::from_ref(&pending);
        match commit_planned(connection, belief.predict(alone), alone).await {
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
async fn commit_planned(connection: &mut Dedicated, known: Known, batch: &[Pending]) -> Result<Effects, sqlx::Error> {
    let first = prepare(plan(batch, known, Utc::now()))?;
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
