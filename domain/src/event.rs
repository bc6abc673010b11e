//! How domain events become stored rows and back. The stored `event_type` is
//! the variant name; the payload is the variant's fields; `schema_version`
//! says which shape the payload has. A future shape change adds an upcast
//! from the old version here rather than rewriting stored rows.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use thiserror::Error;

pub const TAG: &str = "type";

pub trait DomainEvent: Serialize + DeserializeOwned + Sized {
    /// The payload shape written today.
    const SCHEMA_VERSION: i32 = 1;

    /// Every stored event type of this enum: one per variant, defined once
    /// with `domain_event!`.
    const EVENT_TYPES: &'static [&'static str];

    fn event_type(&self) -> &'static str;

    /// Whether a stored event type belongs to this enum.
    fn handles(event_type: &str) -> bool {
        Self::EVENT_TYPES.contains(&event_type)
    }

    fn to_payload(&self) -> Value {
        let mut v = serde_json::to_value(self).expect("domain events serialise to JSON");
        if let Value::Object(map) = &mut v {
            map.remove(TAG);
        }
        v
    }

    fn from_stored(event_type: &str, schema_version: i32, payload: &Value) -> Result<Self, EventDecodeError> {
        if schema_version != Self::SCHEMA_VERSION {
            return Err(EventDecodeError::UnknownSchemaVersion {
                event_type: event_type.to_owned(),
                schema_version,
            });
        }
        let Value::Object(fields) = payload else {
            return Err(EventDecodeError::Malformed {
                event_type: event_type.to_owned(),
                reason: "payload is not an object".into(),
            });
        };
        let mut tagged = fields.clone();
        tagged.insert(TAG.into(), Value::String(event_type.to_owned()));
        serde_json::from_value(Value::Object(tagged)).map_err(|e| EventDecodeError::Malformed {
            event_type: event_type.to_owned(),
            reason: e.to_string(),
        })
    }
}

/// Implements `DomainEvent` for an enum from the list of its variants. The
/// match it writes is exhaustive, so a variant left out of the list (and so
/// out of `EVENT_TYPES`, which projections filter by) does not compile.
#[macro_export]
macro_rules! domain_event {
    ($event:ident { $($variant:ident),+ $(,)? }) => {
        impl $crate::DomainEvent for $event {
            const EVENT_TYPES: &'static [&'static str] = &[$(stringify!($variant)),+];

            fn event_type(&self) -> &'static str {
                match self {
                    $($event::$variant { .. } => stringify!($variant)),+
                }
            }
        }
    };
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EventDecodeError {
    #[error("{event_type} has unknown schema version {schema_version}")]
    UnknownSchemaVersion { event_type: String, schema_version: i32 },
    #[error("{event_type} payload is malformed: {reason}")]
    Malformed { event_type: String, reason: String },
}
