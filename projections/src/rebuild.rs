use prasme_eventstore::{events_of_types_after, EventStore};

use crate::{apply_batch, lock_checkpoint, save_checkpoint, Projection, ProjectionError};

/// Events applied at once by a rebuild.
pub const REBUILD_BATCH: i64 = 2000;

/// Rebuilds `projection` from position 0 in one transaction: readers keep
/// seeing the old read model until it commits, and a running runner waits on
/// the checkpoint lock, then continues from the rebuilt checkpoint.
/// It applies `batch` events at a time (`REBUILD_BATCH` normally; 1 to
/// check that batches change nothing). `progress(applied_position,
/// head_position)` is called after every batch.
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
    let mut position = 0;
    loop {
        let (events, through) = events_of_types_after(&mut tx, position, &types, batch.max(1)).await?;
        if through == position {
            break;
        }
        position = through;
        apply_batch(&mut tx, projection, &events, through).await?;
        progress(position, head.max(position));
    }
    tx.commit().await?;
    Ok(position)
}
