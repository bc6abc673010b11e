//! The hash chain. Each event's hash covers its predecessor's hash and every
//! stored field, so altering, removing or reordering any row breaks the chain
//! from that row on.

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::model::EventMetadata;

pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// The fields that are hashed, borrowed from either a new or a stored event.
/// The payload and `metadata.extra` come as their `canonical_json`, which
/// the appending caller computes before its append joins the writer's
/// queue: the writer, which every append waits for, then only feeds bytes.
pub struct HashInput<'a> {
    pub position: i64,
    pub stream_id: &'a str,
    pub stream_version: i64,
    pub event_id: uuid::Uuid,
    pub event_type: &'a str,
    pub schema_version: i32,
    pub canonical_payload: &'a str,
    pub canonical_extra: &'a str,
    pub metadata: &'a EventMetadata,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

pub fn event_hash(prev_hash: &[u8], e: &HashInput<'_>) -> Vec<u8> {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        // Length-prefixed so that no two different field splits hash alike.
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(prev_hash);
    field(&e.position.to_be_bytes());
    field(e.stream_id.as_bytes());
    field(&e.stream_version.to_be_bytes());
    field(e.event_id.as_bytes());
    field(e.event_type.as_bytes());
    field(&e.schema_version.to_be_bytes());
    field(e.canonical_payload.as_bytes());
    field(e.canonical_extra.as_bytes());
    field(e.metadata.actor.as_bytes());
    field(e.metadata.command_id.as_bytes());
    field(e.metadata.correlation_id.as_bytes());
    field(e.metadata.causation_id.as_bytes());
    field(&e.occurred_at.timestamp_micros().to_be_bytes());
    field(&e.recorded_at.timestamp_micros().to_be_bytes());
    h.finalize().to_vec()
}

/// `canonical_json`, ready to be sent to PostgreSQL as it is.
pub(crate) fn canonical_raw(v: &Value) -> Result<Box<RawValue>, serde_json::Error> {
    RawValue::from_string(canonical_json(v))
}

/// JSON with object keys sorted at every level and no insignificant white
/// space, so that a payload hashes the same after a round trip through jsonb
/// (which reorders keys) whatever serde_json features are enabled.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let a = json!({"b": 1, "a": {"z": [1, {"y": 2, "x": 3}], "c": "s"}});
        assert_eq!(canonical_json(&a), r#"{"a":{"c":"s","z":[1,{"x":3,"y":2}]},"b":1}"#);
    }
}
