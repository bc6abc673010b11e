//! Answers appends only once they are durable.
//!
//! An appending transaction commits without waiting for its WAL to reach
//! disk (`synchronous_commit = off`, set by `append_events` for that
//! transaction alone), so the store's lock passes to the next batch as soon
//! as the commit is visible instead of after an fsync. Nobody is told "done"
//! before the flush, though: this task forces it and only then replies. The
//! flush is forced by committing a transaction that has an id: PostgreSQL
//! flushes the WAL up to that commit record, which lies after the records of
//! every batch committed before it, and one such flush serves every batch
//! that is waiting. Anything else that depends on an append (a later append,
//! a projection's checkpoint) commits after it in the WAL too, so it cannot
//! survive a crash that the append does not; docs/architecture.md has the
//! argument and its one window.

use futures::stream::{FuturesUnordered, StreamExt};
use sqlx::postgres::PgConnectOptions;
use tokio::sync::mpsc;

use crate::connection::Dedicated;

use crate::request::{Outcome, Pending};
use crate::{AppendError, StoreError, NOTIFY_CHANNEL};

/// A batch whose transaction has committed: each request's answer, and the
/// log's head position after it (announced once it is durable).
pub(crate) struct Committed {
    pub answers: Vec<(Pending, Outcome)>,
    pub head: i64,
}

/// Flushes under way at once. A batch that commits while a flush is under
/// way need not wait for it to end before its own starts; PostgreSQL joins
/// flushes that meet.
pub(crate) const FLUSHES: usize = 2;

pub(crate) async fn run(options: PgConnectOptions, mut committed: mpsc::UnboundedReceiver<Committed>) {
    let mut idle: Vec<Dedicated> = (0..FLUSHES).map(|_| Dedicated::new(options.clone())).collect();
    let mut under_way = FuturesUnordered::new();
    let mut open = true;
    loop {
        tokio::select! {
            first = committed.recv(), if open && !idle.is_empty() => {
                let Some(first) = first else {
                    open = false;
                    continue;
                };
                let mut waiting = vec![first];
                while let Ok(more) = committed.try_recv() {
                    waiting.push(more);
                }
                let head = waiting.iter().map(|c| c.head).max().unwrap_or_default();
                let Some(mut connection) = idle.pop() else { continue };
                under_way.push(async move {
                    let flushed = flush(&mut connection, head).await;
                    answer(waiting, flushed);
                    connection
                });
            }
            Some(connection) = under_way.next(), if !under_way.is_empty() => idle.push(connection),
            else => return,
        }
    }
}

fn answer(waiting: Vec<Committed>, flushed: Result<(), sqlx::Error>) {
    for (pending, outcome) in waiting.into_iter().flat_map(|c| c.answers) {
        let outcome = match &flushed {
            Ok(_) => outcome,
            // Committed but not known to be on disk: say so. A retry with
            // the same command id answers with the stored result if the
            // events survived, and appends them if they did not.
            Err(e) => Err(AppendError::Store(StoreError::NotKnownDurable(e.to_string()))),
        };
        // The caller may have gone away (request cancelled); its events are
        // committed regardless, and a retry with the same command id finds them.
        let _ = pending.reply.send(outcome);
    }
}

/// Commits a transaction with an id, which PostgreSQL makes durable, with
/// everything logged before it, before it answers; the same transaction
/// announces `head` to followers, so the NOTIFY goes out after the appends
/// committed (indeed once they are durable) and costs the appending backend,
/// which holds the store's lock, nothing.
async fn flush(connection: &mut Dedicated, head: i64) -> Result<(), sqlx::Error> {
    let result = sqlx::query("SELECT pg_notify($1, $2), pg_current_xact_id()")
        .bind(NOTIFY_CHANNEL)
        .bind(head.to_string())
        .execute(connection.get().await?)
        .await;
    connection.check(result).map(drop)
}
