use prasme_eventstore::{events_of_types_after, EventStore, RecordedEvent, StoreError};
use tokio::sync::mpsc;

use crate::{lock_checkpoint, save_checkpoint, Projection, ProjectionError};

/// Events applied at once by a rebuild.
pub const REBUILD_BATCH: i64 = 2000;

/// Batches read ahead of the one being applied.
const READ_AHEAD: usize = 2;

/// Rebuilds `projection` from position 0 in one transaction: readers keep
/// seeing the old read model until it commits, and a running runner waits on
/// the checkpoint lock, then continues from the rebuilt checkpoint.
/// It applies `batch` events at a time (`REBUILD_BATCH` normally; 1 to
/// check that batches change nothing). `progress(applied_position,
/// head_position)` is called after every batch.
///
/// The events are read on a connection of their own while the batch before
/// is applied (they never change once written, so reading them outside the
/// transaction reads the same), which keeps both PostgreSQL and the process
/// busy instead of each waiting on the other.
pub async fn rebuild(
    store: &EventStore,
    projection: &dyn Projection,
    batch: i64,
    mut progress: impl FnMut(i64, i64),
) -> Result<i64, ProjectionError> {
    let head = store.head_position().await?;
    let mut tx = store.pool().begin().await?;
    lock_checkpoint(&mut tx, projection.name()).await?;
    projection.reset(&mut tx).await?;
    save_checkpoint(&mut tx, projection.name(), 0).await?;
    let types: Vec<String> = projection.event_types().into_iter().map(str::to_owned).collect();
    let mut batches = read_ahead(store.clone(), types, batch.max(1));
    let mut rebuilding = projection.rebuilding();
    let mut position = 0;
    let mut applied: u64 = 0;
    while let Some(read) = batches.recv().await {
        let (events, through) = read?;
        position = through;
        if !events.is_empty() {
            rebuilding.apply(&mut tx, &events).await?;
        }
        applied += 1;
        if ANALYZE_AFTER.contains(&applied) {
            analyze_read_models(&mut tx).await?;
        }
        progress(position, head.max(position));
    }
    rebuilding.finish(&mut tx).await?;
    save_checkpoint(&mut tx, projection.name(), position).await?;
    tx.commit().await?;
    Ok(position)
}

/// The batches after which a rebuild gathers the planner's statistics of
/// the read models again. It refills them inside one transaction, which
/// autovacuum cannot see into: without this the planner keeps the
/// statistics of the emptied tables and, millions of rows later, scans
/// whole tables where an index would do (a scorecard batch took 15 s
/// instead of milliseconds at full scale).
const ANALYZE_AFTER: [u64; 4] = [4, 32, 256, 2048];

/// ANALYZE counts the rows this transaction wrote as live.
async fn analyze_read_models(tx: &mut sqlx::PgConnection) -> Result<(), ProjectionError> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'rm\\_%'",
    )
    .fetch_all(&mut *tx)
    .await?;
    if !tables.is_empty() {
        sqlx::query(&format!("ANALYZE {}", tables.join(", ")))
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

type Batch = Result<(Vec<RecordedEvent>, i64), StoreError>;

/// The log's events of `types` from the start, `batch` at a time, up to the
/// head as it is when the reader gets there. It stops at the first error
/// (sent on), or when the receiver is dropped.
fn read_ahead(store: EventStore, types: Vec<String>, batch: i64) -> mpsc::Receiver<Batch> {
    let (send, batches) = mpsc::channel(READ_AHEAD);
    tokio::spawn(async move {
        let mut conn = match store.pool().acquire().await {
            Ok(conn) => conn,
            Err(e) => {
                let _ = send.send(Err(e.into())).await;
                return;
            }
        };
        let mut position = 0;
        loop {
            match events_of_types_after(&mut conn, position, &types, batch).await {
                Ok((_, through)) if through == position => return,
                Ok((events, through)) => {
                    position = through;
                    if send.send(Ok((events, through))).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = send.send(Err(e)).await;
                    return;
                }
            }
        }
    });
    batches
}
