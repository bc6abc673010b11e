//! `prasme bench`: append throughput of the event store against the
//! ceiling of plain multi-row INSERTs on the same server, in one run.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use prasme_eventstore::{
    events_after, AppendError, EventMetadata, EventStore, ExpectedVersion, NewEvent, RecordedEvent, StoreError,
};
use serde_json::json;
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
pub struct BenchConfig {
    /// Each round runs every scenario in a fresh database.
    pub rounds: usize,
    pub writers: usize,
    pub appends_per_writer: usize,
    pub hot_streams: usize,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub events: u64,
    pub conflicts: u64,
    pub elapsed: Duration,
}

impl Scenario {
    pub fn per_second(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64()
    }
}

#[derive(Debug, Clone)]
pub struct BenchReport {
    pub distinct: Scenario,
    pub hot: Scenario,
    /// What the server absorbs: the target's denominator.
    pub ceiling: Scenario,
    /// What one backend absorbs. The store writes its batches through one
    /// backend at a time (the price of its global order), so this is the
    /// bound it works against; shown for reference, not as the target.
    pub one_backend: Scenario,
}

impl BenchReport {
    fn scenarios(&self) -> [&Scenario; 4] {
        [&self.distinct, &self.hot, &self.ceiling, &self.one_backend]
    }

    /// The target's ratio: distinct-stream appends against the ceiling.
    pub fn of_ceiling(&self) -> f64 {
        self.distinct.per_second() / self.ceiling.per_second()
    }

    pub fn of_one_backend(&self) -> f64 {
        self.distinct.per_second() / self.one_backend.per_second()
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// One row per scenario, one column per round (events/s), and the median;
/// then the ratios, round by round. The ceiling moves by tens of per cent
/// between runs on a shared machine, so each round measures the store and
/// its ceiling back to back, and the ratio is read as the median of the
/// rounds' ratios.
pub fn to_markdown(config: &BenchConfig, rounds: &[BenchReport]) -> String {
    let mut out = String::from("| scenario |");
    for r in 1..=rounds.len() {
        out.push_str(&format!(" round {r} |"));
    }
    out.push_str(" median |\n|---|");
    out.push_str(&"---|".repeat(rounds.len() + 1));
    out.push('\n');
    let Some(first) = rounds.first() else {
        return out;
    };
    for (i, scenario) in first.scenarios().iter().enumerate() {
        out.push_str(&format!("| {} |", scenario.name));
        let rates: Vec<f64> = rounds.iter().map(|r| r.scenarios()[i].per_second()).collect();
        for rate in &rates {
            out.push_str(&format!(" {rate:.0} |"));
        }
        out.push_str(&format!(" {:.0} |\n", median(rates)));
    }
    let percent = |f: fn(&BenchReport) -> f64| {
        let each: Vec<String> = rounds.iter().map(|r| format!("{:.0} %", f(r) * 100.0)).collect();
        let middle = median(rounds.iter().map(f).collect());
        format!("{} (median {:.0} %)", each.join(", "), middle * 100.0)
    };
    let conflicts: Vec<String> = rounds.iter().map(|r| r.hot.conflicts.to_string()).collect();
    out.push_str(&format!(
        "\n{} writers, {} appends each ({} events a scenario); hot streams: {}, conflicts retried: {}.\n\
         Store / ceiling, round by round: {}.\n\
         Store / one backend's plain inserts: {}.\n",
        config.writers,
        config.appends_per_writer,
        first.distinct.events,
        config.hot_streams,
        conflicts.join(", "),
        percent(BenchReport::of_ceiling),
        percent(BenchReport::of_one_backend),
    ));
    out
}

fn event(i: u64) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "TrainingBudgetAllocated".into(),
        schema_version: 1,
        payload: json!({
            "institutionId": Uuid::now_v7(),
            "allocationId": Uuid::now_v7(),
            "year": 2026,
            "amountCents": 100_000 + i,
            "fundingSource": "STATE_BUDGET",
            "priority": null
        }),
        occurred_at: Utc::now(),
    }
}

/// Runs one round of the scenarios against the (empty, migrated) database `pool`.
pub async fn run(pool: PgPool, config: BenchConfig) -> Result<BenchReport, AppendError> {
    let store = EventStore::new(pool.clone());
    let distinct = appends(&store, config, "64 writers, distinct streams", |w, _| {
        format!("bench-distinct-{w}")
    })
    .await?;
    let one_backend = plain_inserts(&pool, distinct.events, 1).await?;
    let ceiling = plain_inserts(&pool, distinct.events, 8).await?;
    let hot_streams = config.hot_streams.max(1);
    let hot_name = format!("{} writers, {hot_streams} hot streams", config.writers);
    let hot = appends(&store, config, &hot_name, move |w, _| {
        format!("bench-hot-{}", w % hot_streams)
    })
    .await?;
    Ok(BenchReport {
        distinct,
        hot,
        ceiling,
        one_backend,
    })
}

/// Starts each timed scenario from a fresh checkpoint, so that none of them
/// pays for a checkpoint that the scenario before it brought on. Needs
/// superuser (or `pg_checkpoint`); without it the bench runs as it is.
async fn settle(pool: &PgPool) {
    if let Err(e) = sqlx::query("CHECKPOINT").execute(pool).await {
        tracing::warn!(error = %e, "cannot CHECKPOINT before a scenario; figures may be noisier");
    }
}

pub(crate) async fn appends(
    store: &EventStore,
    config: BenchConfig,
    name: &str,
    stream_of: impl Fn(usize, usize) -> String + Send + Sync + Copy + 'static,
) -> Result<Scenario, AppendError> {
    let conflicts = Arc::new(AtomicU64::new(0));
    settle(store.pool()).await;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for writer in 0..config.writers {
        let store = store.clone();
        let conflicts = conflicts.clone();
        tasks.push(tokio::spawn(async move {
            let mut version = 0;
            for i in 0..config.appends_per_writer {
                let stream = stream_of(writer, i);
                loop {
                    let meta = EventMetadata::for_command("bench", Uuid::now_v7());
                    match store
                        .append(&stream, ExpectedVersion::Exact(version), meta, vec![event(i as u64)])
                        .await
                    {
                        Ok(r) => {
                            version = r.stream_version;
                            break;
                        }
                        Err(AppendError::WrongExpectedVersion { actual, .. }) => {
                            conflicts.fetch_add(1, Ordering::Relaxed);
                            version = actual;
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            Ok(())
        }));
    }
    for t in tasks {
        t.await.map_err(|e| AppendError::Invalid(e.to_string()))??;
    }
    Ok(Scenario {
        name: name.to_owned(),
        events: (config.writers * config.appends_per_writer) as u64,
        conflicts: conflicts.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    })
}

/// The rows the distinct-stream scenario stored (positions 1 to `rows`),
/// inserted again, 100 to an INSERT, from `connections` connections of their own into a
/// copy of the events table with the same columns, constraints and indexes,
/// but no trigger, no lock and no version or idempotency checks. The rows are
/// read before the clock starts; building each statement's column arrays is
/// timed, as it is for the store.
async fn plain_inserts(pool: &PgPool, rows: u64, connections: usize) -> Result<Scenario, StoreError> {
    sqlx::query("CREATE TABLE bench_ceiling (LIKE events INCLUDING ALL)")
        .execute(pool)
        .await?;
    let stored = events_after(pool, 0, rows as i64).await?;
    let chunks: Vec<Vec<RecordedEvent>> = stored.chunks(100).map(<[RecordedEvent]>::to_vec).collect();
    let chunks = Arc::new(chunks);
    let mut opened = Vec::with_capacity(connections);
    for _ in 0..connections {
        opened.push(PgConnection::connect_with(&pool.connect_options()).await?);
    }
    let next = Arc::new(AtomicUsize::new(0));
    settle(pool).await;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for mut connection in opened {
        let chunks = chunks.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            while let Some(chunk) = chunks.get(next.fetch_add(1, Ordering::Relaxed)) {
                insert_plainly(&mut connection, chunk).await?;
            }
            connection.close().await
        }));
    }
    for t in tasks {
        t.await.map_err(|e| sqlx::Error::Protocol(e.to_string()))??;
    }
    let elapsed = started.elapsed();
    sqlx::query("DROP TABLE bench_ceiling").execute(pool).await?;
    Ok(Scenario {
        name: match connections {
            1 => "one backend: the same rows, plain 100-row INSERTs, 1 connection".into(),
            n => format!("ceiling: the same rows, plain 100-row INSERTs, {n} connections"),
        },
        events: stored.len() as u64,
        conflicts: 0,
        elapsed,
    })
}

async fn insert_plainly(connection: &mut PgConnection, rows: &[RecordedEvent]) -> Result<(), sqlx::Error> {
    fn column<T>(rows: &[RecordedEvent], f: impl Fn(&RecordedEvent) -> T) -> Vec<T> {
        rows.iter().map(f).collect()
    }
    sqlx::query(
        "INSERT INTO bench_ceiling (position, stream_id, stream_version, event_id, event_type,
                 schema_version, payload, metadata, actor, command_id, correlation_id, causation_id,
                 occurred_at, recorded_at, prev_hash, hash)
         SELECT UNNEST($1::bigint[]), UNNEST($2::text[]), UNNEST($3::bigint[]), UNNEST($4::uuid[]),
                UNNEST($5::text[]), UNNEST($6::int[]), UNNEST($7::jsonb[]), UNNEST($8::jsonb[]),
                UNNEST($9::text[]), UNNEST($10::uuid[]), UNNEST($11::uuid[]), UNNEST($12::uuid[]),
                UNNEST($13::timestamptz[]), UNNEST($14::timestamptz[]), UNNEST($15::bytea[]),
                UNNEST($16::bytea[])",
    )
    .bind(column(rows, |e| e.position))
    .bind(column(rows, |e| e.stream_id.clone()))
    .bind(column(rows, |e| e.stream_version))
    .bind(column(rows, |e| e.event_id))
    .bind(column(rows, |e| e.event_type.clone()))
    .bind(column(rows, |e| e.schema_version))
    .bind(column(rows, |e| e.payload.clone()))
    .bind(column(rows, |e| e.metadata.extra.clone()))
    .bind(column(rows, |e| e.metadata.actor.clone()))
    .bind(column(rows, |e| e.metadata.command_id))
    .bind(column(rows, |e| e.metadata.correlation_id))
    .bind(column(rows, |e| e.metadata.causation_id))
    .bind(column(rows, |e| e.occurred_at))
    .bind(column(rows, |e| e.recorded_at))
    .bind(column(rows, |e| e.prev_hash.clone()))
    .bind(column(rows, |e| e.hash.clone()))
    .execute(connection)
    .await?;
    Ok(())
}
