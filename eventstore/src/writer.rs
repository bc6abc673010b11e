//! Group commit. Every append of the process goes through one task that takes
//! whatever requests are waiting, and commits them in one transaction under a
//! global advisory lock. The lock makes positions gap-free and ordered by
//! commit, which is what lets followers read "after my checkpoint" without
//! ever skipping a late commit; the grouping is what makes that affordable.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgPool, Postgres, Transaction};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::hash::{event_hash, HashInput, GENESIS_HASH};
use crate::model::{AppendResult, EventMetadata, ExpectedVersion, NewEvent};
use crate::{AppendError, NOTIFY_CHANNEL};

pub(crate) const QUEUE_CAPACITY: usize = 8192;
/// Large enough to amortise a commit over many requests, small enough to
/// keep one transaction's latency in the low milliseconds.
const MAX_BATCH_EVENTS: usize = 2000;
/// Taken by every appending transaction, in every process using the
/// database; the key is "prasme" in ASCII.
const WRITER_LOCK_KEY: i64 = 0x7072_6173_6d65;

pub(crate) struct Pending {
    pub stream_id: String,
    pub expected: ExpectedVersion,
    pub metadata: EventMetadata,
    pub events: Vec<NewEvent>,
    pub reply: oneshot::Sender<Result<AppendResult, AppendError>>,
}

type Outcome = Result<AppendResult, AppendError>;

pub(crate) async fn run(pool: PgPool, mut queue: mpsc::Receiver<Pending>) {
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
        commit_batch(&pool, batch).await;
    }
}

async fn commit_batch(pool: &PgPool, batch: Vec<Pending>) {
    match commit(pool, &batch).await {
        Ok(outcomes) => reply_all(batch, outcomes),
        Err(e) if batch.len() > 1 => {
            // One request may have poisoned the transaction (say, a payload
            // jsonb refuses). Retry each alone so the others still land.
            tracing::warn!(error = %e, size = batch.len(), "group append failed; retrying one by one");
            for pending in batch {
                let outcome = match commit(pool, std::slice::from_ref(&pending)).await {
                    Ok(mut outcomes) => outcomes.remove(0),
                    Err(e) => Err(e.into()),
                };
                let _ = pending.reply.send(outcome);
            }
        }
        Err(e) => {
            if let Some(pending) = batch.into_iter().next() {
                let _ = pending.reply.send(Err(e.into()));
            }
        }
    }
}

fn reply_all(batch: Vec<Pending>, outcomes: Vec<Outcome>) {
    for (pending, outcome) in batch.into_iter().zip(outcomes) {
        // The caller may have gone away (request cancelled); its events are
        // committed regardless, and a retry with the same command id finds them.
        let _ = pending.reply.send(outcome);
    }
}

/// Column vectors for one multi-row INSERT ... SELECT FROM UNNEST.
#[derive(Default)]
struct Rows {
    position: Vec<i64>,
    stream_id: Vec<String>,
    stream_version: Vec<i64>,
    event_id: Vec<Uuid>,
    event_type: Vec<String>,
    schema_version: Vec<i32>,
    payload: Vec<Value>,
    extra: Vec<Value>,
    actor: Vec<String>,
    command_id: Vec<Uuid>,
    correlation_id: Vec<Uuid>,
    causation_id: Vec<Uuid>,
    occurred_at: Vec<DateTime<Utc>>,
    recorded_at: Vec<DateTime<Utc>>,
    prev_hash: Vec<Vec<u8>>,
    hash: Vec<Vec<u8>>,
}

pub(crate) fn to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    // PostgreSQL keeps microseconds; hash exactly what it will store.
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

async fn commit(pool: &PgPool, batch: &[Pending]) -> Result<Vec<Outcome>, sqlx::Error> {
    // READ COMMITTED whatever the server's default: each statement after the
    // lock then takes a fresh snapshot that includes every append committed
    // by whoever held the lock before. (The lock gets a statement of its own:
    // if it fails, the transaction object exists and is rolled back, so the
    // connection does not go back to the pool inside an aborted transaction.)
    let mut tx = pool.begin_with("BEGIN ISOLATION LEVEL READ COMMITTED").await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(WRITER_LOCK_KEY)
        .execute(&mut *tx)
        .await?;
    let known = what_is_known(&mut tx, batch).await?;
    let (mut position, mut prev_hash) = known.head;
    let mut results = known.earlier;
    let mut versions = known.versions;
    let recorded_at = to_micros(Utc::now()).max(known.head_recorded_at);
    let mut rows = Rows::default();
    let mut outcomes = Vec::with_capacity(batch.len());

    for p in batch {
        if let Some(first) = results.get(&p.metadata.command_id) {
            outcomes.push(Ok(AppendResult {
                duplicate: true,
                ..first.clone()
            }));
            continue;
        }
        let actual = versions.get(&p.stream_id).copied().unwrap_or(0);
        if !p.expected.admits(actual) {
            outcomes.push(Err(AppendError::WrongExpectedVersion {
                expected: p.expected.describe(),
                actual,
            }));
            continue;
        }
        let first_position = position + 1;
        let mut version = actual;
        for e in &p.events {
            position += 1;
            version += 1;
            let occurred_at = to_micros(e.occurred_at);
            let hash = event_hash(
                &prev_hash,
                &HashInput {
                    position,
                    stream_id: &p.stream_id,
                    stream_version: version,
                    event_id: e.event_id,
                    event_type: &e.event_type,
                    schema_version: e.schema_version,
                    payload: &e.payload,
                    metadata: &p.metadata,
                    occurred_at,
                    recorded_at,
                },
            );
            rows.position.push(position);
            rows.stream_id.push(p.stream_id.clone());
            rows.stream_version.push(version);
            rows.event_id.push(e.event_id);
            rows.event_type.push(e.event_type.clone());
            rows.schema_version.push(e.schema_version);
            rows.payload.push(e.payload.clone());
            rows.extra.push(p.metadata.extra.clone());
            rows.actor.push(p.metadata.actor.clone());
            rows.command_id.push(p.metadata.command_id);
            rows.correlation_id.push(p.metadata.correlation_id);
            rows.causation_id.push(p.metadata.causation_id);
            rows.occurred_at.push(occurred_at);
            rows.recorded_at.push(recorded_at);
            rows.prev_hash.push(std::mem::replace(&mut prev_hash, hash.clone()));
            rows.hash.push(hash);
        }
        versions.insert(p.stream_id.clone(), version);
        let result = AppendResult {
            stream_id: p.stream_id.clone(),
            first_position,
            last_position: position,
            stream_version: version,
            duplicate: false,
        };
        results.insert(p.metadata.command_id, result.clone());
        outcomes.push(Ok(result));
    }

    if !rows.position.is_empty() {
        insert_rows(&mut tx, rows, position).await?;
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// What the batch must know, read in one round trip once the lock is held:
/// the head of the log, earlier results of its command ids, and the current
/// version of each stream it touches.
struct Known {
    head: (i64, Vec<u8>),
    /// Never go below it: a clock stepping back (or another process's clock
    /// running behind) must not make knowledge time run backwards along
    /// positions, so "recorded by T" stays a prefix of the log.
    head_recorded_at: DateTime<Utc>,
    earlier: HashMap<Uuid, AppendResult>,
    versions: HashMap<String, i64>,
}

async fn what_is_known(tx: &mut Transaction<'_, Postgres>, batch: &[Pending]) -> Result<Known, sqlx::Error> {
    let command_ids: Vec<Uuid> = batch.iter().map(|p| p.metadata.command_id).collect();
    let mut stream_ids: Vec<String> = batch.iter().map(|p| p.stream_id.clone()).collect();
    stream_ids.sort();
    stream_ids.dedup();
    // Lateral joins make one index probe per id: a plain `= ANY` may be
    // planned as a scan of the whole log once statistics lag behind its growth.
    type Row = (Option<i64>, Option<Vec<u8>>, Option<DateTime<Utc>>, Value, Value);
    let (head_position, head_hash, head_recorded_at, earlier, versions): Row = sqlx::query_as(
        "SELECT h.position, h.hash, h.recorded_at,
                COALESCE((SELECT json_agg(json_build_array(c.id, r.stream_id, r.first, r.last, r.version))
                            FROM unnest($1::uuid[]) AS c(id)
                           CROSS JOIN LATERAL (
                                 SELECT (array_agg(stream_id ORDER BY position))[1] AS stream_id,
                                        min(position) AS first, max(position) AS last,
                                        max(stream_version) AS version, count(*) AS n
                                   FROM events WHERE command_id = c.id) AS r
                           WHERE r.n > 0), '[]'::json),
                COALESCE((SELECT json_agg(json_build_array(s.id,
                                   (SELECT max(stream_version) FROM events e WHERE e.stream_id = s.id)))
                            FROM unnest($2::text[]) AS s(id)), '[]'::json)
           FROM (SELECT 1) AS one
           LEFT JOIN LATERAL (SELECT position, hash, recorded_at FROM events ORDER BY position DESC LIMIT 1) AS h ON true",
    )
    .bind(&command_ids)
    .bind(&stream_ids)
    .fetch_one(&mut **tx)
    .await?;
    let decode = |e: serde_json::Error| sqlx::Error::Decode(Box::new(e));
    let earlier: Vec<(Uuid, String, i64, i64, i64)> = serde_json::from_value(earlier).map_err(decode)?;
    let versions: Vec<(String, Option<i64>)> = serde_json::from_value(versions).map_err(decode)?;
    Ok(Known {
        head: (
            head_position.unwrap_or(0),
            head_hash.unwrap_or_else(|| GENESIS_HASH.to_vec()),
        ),
        head_recorded_at: head_recorded_at.unwrap_or(DateTime::<Utc>::MIN_UTC),
        earlier: earlier
            .into_iter()
            .map(|(command_id, stream_id, first, last, version)| {
                (
                    command_id,
                    AppendResult {
                        stream_id,
                        first_position: first,
                        last_position: last,
                        stream_version: version,
                        duplicate: true,
                    },
                )
            })
            .collect(),
        versions: versions.into_iter().map(|(s, v)| (s, v.unwrap_or(0))).collect(),
    })
}

/// Inserts the rows and queues the NOTIFY (delivered at commit) in one statement.
async fn insert_rows(tx: &mut Transaction<'_, Postgres>, r: Rows, head: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH inserted AS (
         INSERT INTO events (position, stream_id, stream_version, event_id, event_type,
                             schema_version, payload, metadata, actor, command_id,
                             correlation_id, causation_id, occurred_at, recorded_at,
                             prev_hash, hash)
         SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::uuid[], $5::text[],
                              $6::int[], $7::jsonb[], $8::jsonb[], $9::text[], $10::uuid[],
                              $11::uuid[], $12::uuid[], $13::timestamptz[], $14::timestamptz[],
                              $15::bytea[], $16::bytea[])
         RETURNING 1)
         SELECT pg_notify($17, $18) FROM (SELECT count(*) FROM inserted) AS n",
    )
    .bind(r.position)
    .bind(r.stream_id)
    .bind(r.stream_version)
    .bind(r.event_id)
    .bind(r.event_type)
    .bind(r.schema_version)
    .bind(r.payload)
    .bind(r.extra)
    .bind(r.actor)
    .bind(r.command_id)
    .bind(r.correlation_id)
    .bind(r.causation_id)
    .bind(r.occurred_at)
    .bind(r.recorded_at)
    .bind(r.prev_hash)
    .bind(r.hash)
    .bind(NOTIFY_CHANNEL)
    .bind(head.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
