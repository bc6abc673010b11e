use serde_json::Value;
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::types::Json;
use sqlx::{Executor, Postgres, Row};
use uuid::Uuid;

use crate::model::{AppendResult, EventMetadata, RecordedEvent};
use crate::{EventStore, StoreError};

pub(crate) const SELECT_EVENTS: &str =
    "SELECT position, stream_id, stream_version, event_id, event_type, schema_version,
        payload, metadata, actor, command_id, correlation_id, causation_id,
        occurred_at, recorded_at, prev_hash, hash
   FROM events";

pub(crate) fn decode(row: &PgRow) -> Result<RecordedEvent, sqlx::Error> {
    Ok(RecordedEvent {
        position: row.try_get("position")?,
        stream_id: row.try_get("stream_id")?,
        stream_version: row.try_get("stream_version")?,
        event_id: row.try_get("event_id")?,
        event_type: row.try_get("event_type")?,
        schema_version: row.try_get("schema_version")?,
        payload: row.try_get("payload")?,
        metadata: EventMetadata {
            actor: row.try_get("actor")?,
            command_id: row.try_get("command_id")?,
            correlation_id: row.try_get("correlation_id")?,
            causation_id: row.try_get("causation_id")?,
            extra: row.try_get("metadata")?,
        },
        occurred_at: row.try_get("occurred_at")?,
        recorded_at: row.try_get("recorded_at")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// The highest committed position, 0 for an empty store.
pub async fn head_position<'e, E>(executor: E) -> Result<i64, StoreError>
where
    E: Executor<'e, Database = Postgres>,
{
    let head: Option<i64> = sqlx::query_scalar("SELECT max(position) FROM events")
        .fetch_one(executor)
        .await?;
    Ok(head.unwrap_or(0))
}

/// Events with a position above `after`, in order, at most `limit` of them.
pub async fn events_after<'e, E>(executor: E, after: i64, limit: i64) -> Result<Vec<RecordedEvent>, StoreError>
where
    E: Executor<'e, Database = Postgres>,
{
    let sql = format!("{SELECT_EVENTS} WHERE position > $1 ORDER BY position LIMIT $2");
    let rows = sqlx::query(&sql).bind(after).bind(limit).fetch_all(executor).await?;
    Ok(rows.iter().map(decode).collect::<Result<_, _>>()?)
}

/// Events of `types` after `after`, in order, at most `limit` of them, and
/// the position the answer covers: every event of those types up to it is
/// in the answer, so a reader can move its checkpoint there even when none
/// was. The head is taken in the same statement, before the events;
/// positions are commit-ordered without gaps, so every event up to it is
/// visible. One round trip, however many of the head's events are of other types.
pub async fn events_of_types_after(
    conn: &mut PgConnection,
    after: i64,
    types: &[String],
    limit: i64,
) -> Result<(Vec<RecordedEvent>, i64), StoreError> {
    let sql = format!(
        "SELECT h.head, e.* FROM (SELECT greatest(coalesce(max(position), 0), $1) AS head FROM events) h
         LEFT JOIN LATERAL ({SELECT_EVENTS} WHERE position > $1 AND position <= h.head AND event_type = ANY($2)
                            ORDER BY position LIMIT $3) e ON true"
    );
    let rows = sqlx::query(&sql)
        .bind(after)
        .bind(types)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    let head: i64 = match rows.first() {
        Some(row) => row.try_get("head")?,
        None => after,
    };
    // With none of those types, the one row is the head and NULL columns.
    let mut events = Vec::with_capacity(rows.len());
    for row in &rows {
        if row.try_get::<Option<i64>, _>("position")?.is_some() {
            events.push(decode(row)?);
        }
    }
    let through = match events.last() {
        Some(last) if events.len() as i64 == limit => last.position,
        _ => head,
    };
    Ok((events, through))
}

impl EventStore {
    /// Events after the global position `after`, ascending; see `follow` to wait for more.
    pub async fn read_all(&self, after: i64, limit: i64) -> Result<Vec<RecordedEvent>, StoreError> {
        events_after(&self.pool, after, limit).await
    }

    /// The whole stream, oldest first.
    pub async fn read_stream(&self, stream_id: &str) -> Result<Vec<RecordedEvent>, StoreError> {
        self.read_stream_after(stream_id, 0).await
    }

    /// The stream's events after `version`, oldest first: what a reader that
    /// already holds the state at `version` is missing.
    pub async fn read_stream_after(&self, stream_id: &str, version: i64) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!("{SELECT_EVENTS} WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version");
        let rows = sqlx::query(&sql)
            .bind(stream_id)
            .bind(version)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(decode).collect::<Result<_, _>>()?)
    }

    /// The stream's current version, 0 when it does not exist.
    pub async fn stream_version(&self, stream_id: &str) -> Result<i64, StoreError> {
        let v: Option<i64> = sqlx::query_scalar("SELECT max(stream_version) FROM events WHERE stream_id = $1")
            .bind(stream_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(v.unwrap_or(0))
    }

    /// Whether any of these streams has an event.
    pub async fn any_stream_exists(&self, stream_ids: &[String]) -> Result<bool, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM events WHERE stream_id = ANY ($1))")
                .bind(stream_ids)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// The highest committed position, 0 for an empty store.
    pub async fn head_position(&self) -> Result<i64, StoreError> {
        head_position(&self.pool).await
    }

    /// The result of an earlier append of `command_id`, if there was one,
    /// and the `metadata.extra` of its first event.
    pub async fn command_result(&self, command_id: Uuid) -> Result<Option<(AppendResult, Value)>, StoreError> {
        let row: Option<(String, i64, i64, i64, Json<Value>)> = sqlx::query_as(
            "SELECT (array_agg(stream_id ORDER BY position))[1], min(position), max(position), max(stream_version),
                    (array_agg(metadata ORDER BY position))[1]
               FROM events WHERE command_id = $1 HAVING count(*) > 0",
        )
        .bind(command_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(stream_id, first, last, version, Json(extra))| {
            let result = AppendResult {
                stream_id,
                first_position: first,
                last_position: last,
                stream_version: version,
                duplicate: true,
            };
            (result, extra)
        }))
    }
}
