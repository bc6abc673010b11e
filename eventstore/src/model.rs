use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::AppendError;

/// The stream version an append expects to find. Versions start at 1; a
/// stream that does not exist is at version 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    Any,
    NoStream,
    Exact(i64),
}

impl ExpectedVersion {
    pub(crate) fn admits(self, actual: i64) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => actual == 0,
            ExpectedVersion::Exact(v) => v == actual,
        }
    }

    pub(crate) fn describe(self) -> String {
        match self {
            ExpectedVersion::Any => "any".into(),
            ExpectedVersion::NoStream => "no stream".into(),
            ExpectedVersion::Exact(v) => v.to_string(),
        }
    }
}

/// Who asked, and why: stored on every event of an append.
#[derive(Debug, Clone, PartialEq)]
pub struct EventMetadata {
    pub actor: String,
    pub command_id: Uuid,
    pub correlation_id: Uuid,
    pub causation_id: Uuid,
    /// Anything else worth keeping (client, reason codes); never personal data.
    pub extra: Value,
}

impl EventMetadata {
    /// Metadata for a command that starts a new conversation: it correlates
    /// with itself and was caused by itself.
    pub fn for_command(actor: impl Into<String>, command_id: Uuid) -> Self {
        Self {
            actor: actor.into(),
            command_id,
            correlation_id: command_id,
            causation_id: command_id,
            extra: Value::Object(Default::default()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: i32,
    pub payload: Value,
    /// Business time: when it happened in the world, which may be earlier
    /// than when it was recorded.
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    pub position: i64,
    pub stream_id: String,
    pub stream_version: i64,
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: i32,
    pub payload: Value,
    pub metadata: EventMetadata,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendResult {
    pub stream_id: String,
    pub first_position: i64,
    pub last_position: i64,
    /// The stream's version after the append.
    pub stream_version: i64,
    /// True when the command id had been appended before and nothing new was written.
    pub duplicate: bool,
}

pub(crate) fn validate_append(stream_id: &str, events: &[NewEvent]) -> Result<(), AppendError> {
    if stream_id.is_empty() || stream_id.len() > 200 {
        return Err(AppendError::Invalid("stream id must be 1 to 200 bytes".into()));
    }
    if events.is_empty() {
        return Err(AppendError::Invalid("an append needs at least one event".into()));
    }
    if events.len() > 1000 {
        return Err(AppendError::Invalid("an append holds at most 1000 events".into()));
    }
    if events.iter().any(|e| has_fraction(&e.payload)) {
        // jsonb rewrites some floats (1e16 comes back as 10000000000000000,
        // -0.0 as 0), which would break the hash chain on a faithful row.
        // Money is cents and scores are integers: only whole numbers are stored.
        return Err(AppendError::Invalid("event payloads hold whole numbers only".into()));
    }
    Ok(())
}

fn has_fraction(v: &Value) -> bool {
    match v {
        Value::Number(n) => !(n.is_i64() || n.is_u64()),
        Value::Array(items) => items.iter().any(has_fraction),
        Value::Object(map) => map.values().any(has_fraction),
        _ => false,
    }
}
