use prasme_eventstore::{events_after, EventStore};

use crate::{apply_batch, lock_checkpoint, save_checkpoint, Projection, ProjectionError};

const BATCH: i64 = 2000;

/// Rebuilds `projection` from position 0 in one transaction: readers keep
/// seeing the old read model until it commits, and a running runner waits on
/// the checkpoint lock, then continues from the rebuilt checkpoint.
/// `progress(applied_position, head_position)` is called after every batch.
pub async fn rebuild(
    store: &EventStore,
    projection: &dyn Projection,
    mut progress: impl FnMut(i64, i64),
) -> Result<i64, ProjectionError> {
    let head = store.head_position().await?;
    let mut tx = store.pool().begin().await?;
    lock_checkpoint(&mut tx, projection.name()).await?;
    projection.reset(&mut tx).await?;
    save_checkpoint(&mut tx, projection.name(), 0).await?;
    let mut position = 0;
    loop {
        let batch = events_after(&mut *tx, position, BATCH).await?;
        let Some(last) = batch.last() else { break };
        position = last.position;
        apply_batch(&mut tx, projection, &batch).await?;
        progress(position, head.max(position));
    }
    tx.commit().await?;
    Ok(position)
}
