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

use std::collections::HashMap;

use chrono::Utc;
use serde_json::value::RawValue;
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Executor, Postgres};
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
    fn written(&mut self, plan: Plan) -> Vec<Outcome> {
        self.head = plan.head_after;
        if self.versions.len() + plan.versions_after.len() > REMEMBERED_STREAMS {
            self.versions.clear();
        }
        self.versions.extend(plan.versions_after);
        plan.outcomes
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
    while let Some(first) = queue.recv().await {
        let mut size = first.events.len();
        let mut batch = vec![first];
        while size < MAX_BATCH_EVENTS {
            match queue.try_recv() {
                Ok(next) => {
                    size += next.events.len();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        let answers = commit_batch(&mut connection, &mut belief, batch).await;
        let head = belief.head.position;
        if !answers.is_empty() && committed.send(Committed { answers, head }).is_err() {
            return;
        }
    }
    // The runtime ends with this function: answer what is still waiting for a flush first.
    drop(committed);
    let _ = answering.await;
}

/// Commits the batch and returns the requests it has answers for; the
/// answers go out once the batch is durable. Requests that failed outright
/// are answered here.
async fn commit_batch(connection: &mut Dedicated, belief: &mut Belief, batch: Vec<Pending>) -> Vec<(Pending, Outcome)> {
    match commit(connection, belief, &batch).await {
        Ok(outcomes) => batch.into_iter().zip(outcomes).collect(),
        Err(e) if batch.len() > 1 => {
            // One request may have poisoned the statement (say, a payload
            // jsonb refuses). Retry each alone so the others still land.
            tracing::warn!(error = %e, size = batch.len(), "group append failed; retrying one by one");
            let mut answered = Vec::new();
            for pending in batch {
                match commit(connection, belief, std::slice::from_ref(&pending)).await {
                    Ok(mut outcomes) => answered.push((pending, outcomes.remove(0))),
                    Err(e) => {
                        let _ = pending.reply.send(Err(e.into()));
                    }
                }
            }
            answered
        }
        Err(e) => {
            if let Some(pending) = batch.into_iter().next() {
                let _ = pending.reply.send(Err(e.into()));
            }
            Vec::new()
        }
    }
}

async fn commit(
    connection: &mut Dedicated,
    belief: &mut Belief,
    batch: &[Pending],
) -> Result<Vec<Outcome>, sqlx::Error> {
    let result = commit_on(connection.get().await?, belief, batch).await;
    connection.check(result)
}

async fn commit_on(
    connection: &mut PgConnection,
    belief: &mut Belief,
    batch: &[Pending],
) -> Result<Vec<Outcome>, sqlx::Error> {
    let mut known = Known::predict(&belief.head, &belief.versions, batch);
    for _ in 0..OPTIMISTIC_ATTEMPTS {
        let planned = plan(batch, known, Utc::now());
        match append(&mut *connection, &planned).await {
            Ok(None) => return Ok(belief.written(planned)),
            Ok(Some(truth)) => known = truth,
            Err(e) if overtaken(&e) => {
                known = read_known(&mut *connection, "SELECT events_known($1, $2)", batch).await?
            }
            Err(e) => return Err(e),
        }
    }
    // Another process keeps appending between our attempts: read the truth
    // and write in one transaction, holding the lock from before the read.
    // READ COMMITTED whatever the server's default, so that the read after
    // the lock sees every append committed before it was granted.
    let mut tx = connection.begin_with("BEGIN ISOLATION LEVEL READ COMMITTED").await?;
    let truth = read_known(&mut *tx, "SELECT events_lock_and_read($1, $2)", batch).await?;
    let planned = plan(batch, truth, Utc::now());
    if append(&mut *tx, &planned).await?.is_some() {
        return Err(sqlx::Error::Protocol(
            "append_events refused a batch planned under the lock".into(),
        ));
    }
    tx.commit().await?;
    Ok(belief.written(planned))
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
async fn append<'e, E>(executor: E, p: &Plan<'_>) -> Result<Option<Known>, sqlx::Error>
where
    E: Executor<'e, Database = Postgres>,
{
    let r = &p.rows;
    let truth: Option<Value> = sqlx::query_scalar(
        "SELECT append_events($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                              $15, $16, $17, $18, $19, $20, $21, $22)",
    )
    .bind(p.assumed_head.position)
    .bind(&p.assumed_head.hash)
    .bind(&p.new_command_ids)
    .bind(&p.stream_ids)
    .bind(&p.assumed_versions)
    .bind(&p.checked)
    .bind(&r.position)
    .bind(&r.stream_id)
    .bind(&r.stream_version)
    .bind(&r.event_id)
    .bind(&r.event_type)
    .bind(&r.schema_version)
    .bind(&r.payload)
    .bind(&r.extra)
    .bind(&r.actor)
    .bind(&r.command_id)
    .bind(&r.correlation_id)
    .bind(&r.causation_id)
    .bind(&r.occurred_at)
    .bind(&r.recorded_at)
    .bind(&r.prev_hash)
    .bind(&r.hash)
    .fetch_one(executor)
    .await?;
    truth.map(Known::from_json).transpose().map_err(decode_error)
}
