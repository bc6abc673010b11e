//! Planning a batch: given what is known (or believed) about the log, decide
//! each request's outcome and compute the rows to write, with their
//! positions, stream versions and chained hashes. Pure, so that the same plan
//! can be checked and written by the database in one statement.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use uuid::Uuid;

use crate::hash::{event_hash, HashInput, GENESIS_HASH};
use crate::model::{AppendResult, ExpectedVersion};
use crate::request::{Outcome, Pending};
use crate::AppendError;

/// The newest event of the log, which a batch chains on to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Head {
    pub position: i64,
    pub hash: Vec<u8>,
    /// Never go below it: a clock stepping back (or another process's clock
    /// running behind) must not make knowledge time run backwards along
    /// positions, so "recorded by T" stays a prefix of the log.
    pub recorded_at: DateTime<Utc>,
}

impl Head {
    pub fn genesis() -> Self {
        Head {
            position: 0,
            hash: GENESIS_HASH.to_vec(),
            recorded_at: DateTime::<Utc>::MIN_UTC,
        }
    }
}

/// What a batch is planned on: read under the lock, returned by a failed
/// append, or predicted by the writer.
#[derive(Debug, Clone)]
pub(crate) struct Known {
    pub head: Head,
    /// Earlier results of command ids that have been appended before.
    pub earlier: HashMap<Uuid, AppendResult>,
    /// The current version of every stream the batch touches (0: no stream).
    pub versions: HashMap<String, i64>,
    /// The streams whose version above is only a guess, taken from what a
    /// caller expected; the others were written or read by the writer.
    pub guessed: HashSet<String>,
}

impl Known {
    /// Decodes `events_known(...)`.
    pub fn from_json(value: Value) -> Result<Self, serde_json::Error> {
        #[derive(Deserialize)]
        struct Raw {
            head: Option<(i64, String, i64)>,
            earlier: Vec<(Uuid, String, i64, i64, i64)>,
            versions: Vec<(String, i64)>,
        }
        let raw: Raw = serde_json::from_value(value)?;
        let head = match raw.head {
            None => Head::genesis(),
            Some((position, hash, micros)) => Head {
                position,
                hash: hex::decode(hash).map_err(serde::de::Error::custom)?,
                recorded_at: DateTime::from_timestamp_micros(micros)
                    .ok_or_else(|| serde::de::Error::custom("recorded_at out of range"))?,
            },
        };
        let earlier = raw
            .earlier
            .into_iter()
            .map(
                |(command_id, stream_id, first_position, last_position, stream_version)| {
                    let result = AppendResult {
                        stream_id,
                        first_position,
                        last_position,
                        stream_version,
                        duplicate: true,
                    };
                    (command_id, result)
                },
            )
            .collect();
        Ok(Known {
            head,
            earlier,
            versions: raw.versions.into_iter().collect(),
            guessed: HashSet::new(),
        })
    }

    /// The writer's prediction, without asking the database: the head it
    /// last wrote or saw, no command id seen before, and each stream at the
    /// version it last wrote or saw (`version_of`), or else (a guess) at the
    /// version the batch's first request for it expects. A wrong prediction
    /// costs one round trip: `append_events` refuses it and returns the
    /// truth, or its insert fails on the unique index.
    pub fn predict(head: &Head, version_of: impl Fn(&str) -> Option<i64>, batch: &[Pending]) -> Self {
        let mut predicted = HashMap::new();
        let mut guessed = HashSet::new();
        for p in batch {
            predicted
                .entry(p.stream_id.clone())
                .or_insert_with(|| match version_of(&p.stream_id) {
                    Some(known) => known,
                    None => {
                        guessed.insert(p.stream_id.clone());
                        match p.expected {
                            ExpectedVersion::Exact(v) => v,
                            ExpectedVersion::Any | ExpectedVersion::NoStream => 0,
                        }
                    }
                });
        }
        Known {
            head: head.clone(),
            earlier: HashMap::new(),
            versions: predicted,
            guessed,
        }
    }
}

/// Column vectors for one multi-row INSERT ... SELECT FROM UNNEST,
/// borrowing from the batch wherever they can: the writer builds them on
/// every append's path.
#[derive(Default)]
pub(crate) struct Rows<'a> {
    pub position: Vec<i64>,
    pub stream_id: Vec<&'a str>,
    pub stream_version: Vec<i64>,
    pub event_id: Vec<Uuid>,
    pub event_type: Vec<&'a str>,
    pub schema_version: Vec<i32>,
    /// The canonical JSON the caller prepared, sent as it is.
    pub payload: Vec<&'a RawValue>,
    pub extra: Vec<&'a RawValue>,
    pub actor: Vec<&'a str>,
    pub command_id: Vec<Uuid>,
    pub correlation_id: Vec<Uuid>,
    pub causation_id: Vec<Uuid>,
    pub occurred_at: Vec<DateTime<Utc>>,
    pub recorded_at: Vec<DateTime<Utc>>,
    pub prev_hash: Vec<Vec<u8>>,
    pub hash: Vec<Vec<u8>>,
}

/// A batch planned on some `Known`: valid exactly when that `Known` is true.
pub(crate) struct Plan<'a> {
    /// The assumptions `append_events` checks under the lock.
    pub assumed_head: Head,
    pub new_command_ids: Vec<Uuid>,
    pub stream_ids: Vec<String>,
    pub assumed_versions: Vec<i64>,
    /// Whether each stream's assumed version must be probed: where it is a
    /// guess, or where a request is refused on it. Elsewhere the writer
    /// knows the version exists, and the unique index refuses the insert if
    /// another writer has gone past it.
    pub checked: Vec<bool>,
    pub rows: Rows<'a>,
    pub outcomes: Vec<Outcome>,
    /// The log's head and the streams' versions once the plan is written.
    pub head_after: Head,
    pub versions_after: HashMap<String, i64>,
}

pub(crate) fn to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    // PostgreSQL keeps microseconds; hash exactly what it will store.
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// The streams a batch touches, each once, in order.
pub(crate) fn stream_ids(batch: &[Pending]) -> Vec<String> {
    let mut ids: Vec<String> = batch.iter().map(|p| p.stream_id.clone()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

pub(crate) fn plan<'a>(batch: &'a [Pending], known: Known, now: DateTime<Utc>) -> Plan<'a> {
    let Known {
        head,
        mut earlier,
        mut versions,
        guessed,
    } = known;
    let mut new_command_ids: Vec<Uuid> = batch
        .iter()
        .map(|p| p.metadata.command_id)
        .filter(|id| !earlier.contains_key(id))
        .collect();
    new_command_ids.sort_unstable();
    new_command_ids.dedup();
    let stream_ids = stream_ids(batch);
    let assumed_versions = stream_ids
        .iter()
        .map(|s| versions.get(s).copied().unwrap_or(0))
        .collect();
    let mut refused_on = HashSet::new();

    let recorded_at = to_micros(now).max(head.recorded_at);
    let mut position = head.position;
    let mut prev_hash = head.hash.clone();
    let mut rows = Rows::default();
    let mut outcomes = Vec::with_capacity(batch.len());
    for p in batch {
        if let Some(first) = earlier.get(&p.metadata.command_id) {
            outcomes.push(Ok(AppendResult {
                duplicate: true,
                ..first.clone()
            }));
            continue;
        }
        let actual = versions.get(&p.stream_id).copied().unwrap_or(0);
        if !p.expected.admits(actual) {
            refused_on.insert(p.stream_id.as_str());
            outcomes.push(Err(AppendError::WrongExpectedVersion {
                expected: p.expected.describe(),
                actual,
            }));
            continue;
        }
        let first_position = position + 1;
        let mut version = actual;
        for (e, canonical_payload) in p.events.iter().zip(p.canonical_payloads.iter().map(|c| &**c)) {
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
                    canonical_payload: canonical_payload.get(),
                    canonical_extra: p.canonical_extra.get(),
                    metadata: &p.metadata,
                    occurred_at,
                    recorded_at,
                },
            );
            rows.position.push(position);
            rows.stream_id.push(&p.stream_id);
            rows.stream_version.push(version);
            rows.event_id.push(e.event_id);
            rows.event_type.push(&e.event_type);
            rows.schema_version.push(e.schema_version);
            rows.payload.push(canonical_payload);
            rows.extra.push(&*p.canonical_extra);
            rows.actor.push(&p.metadata.actor);
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
        // A second request with the same command id in this batch is a duplicate of this one.
        earlier.insert(p.metadata.command_id, result.clone());
        outcomes.push(Ok(result));
    }
    let head_after = if rows.position.is_empty() {
        head.clone()
    } else {
        Head {
            position,
            hash: prev_hash,
            recorded_at,
        }
    };
    let checked = stream_ids
        .iter()
        .map(|s| guessed.contains(s) || refused_on.contains(s.as_str()))
        .collect();
    Plan {
        assumed_head: head,
        new_command_ids,
        stream_ids,
        assumed_versions,
        checked,
        rows,
        outcomes,
        head_after,
        versions_after: versions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::canonical_raw;
    use crate::model::{EventMetadata, NewEvent};
    use serde_json::json;
    use tokio::sync::oneshot;

    fn request(stream: &str, expected: ExpectedVersion, command_id: Uuid) -> Pending {
        let event = NewEvent {
            event_id: Uuid::now_v7(),
            event_type: "TestHappened".into(),
            schema_version: 1,
            payload: json!({ "n": 1 }),
            occurred_at: Utc::now(),
        };
        let metadata = EventMetadata::for_command("tester", command_id);
        Pending {
            stream_id: stream.into(),
            expected,
            canonical_payloads: vec![canonical_raw(&event.payload).unwrap()],
            canonical_extra: canonical_raw(&metadata.extra).unwrap(),
            metadata,
            events: vec![event],
            reply: oneshot::channel().0,
        }
    }

    fn known(head: Head, versions: &[(&str, i64)]) -> Known {
        Known {
            head,
            earlier: HashMap::new(),
            versions: versions.iter().map(|(s, v)| (s.to_string(), *v)).collect(),
            guessed: HashSet::new(),
        }
    }

    #[test]
    fn given_a_head_when_a_batch_is_planned_then_positions_versions_and_hashes_follow_on() {
        let head = Head {
            position: 7,
            hash: vec![9; 32],
            recorded_at: Utc::now(),
        };
        let batch = [
            request("a", ExpectedVersion::Exact(2), Uuid::now_v7()),
            request("b", ExpectedVersion::NoStream, Uuid::now_v7()),
            request("a", ExpectedVersion::Exact(3), Uuid::now_v7()),
        ];
        let planned = plan(&batch, known(head.clone(), &[("a", 2), ("b", 0)]), Utc::now());
        assert_eq!(planned.rows.position, vec![8, 9, 10]);
        assert_eq!(planned.rows.stream_version, vec![3, 1, 4]);
        assert_eq!(planned.rows.prev_hash[0], head.hash);
        assert_eq!(planned.rows.prev_hash[1], planned.rows.hash[0]);
        assert_eq!(planned.head_after.position, 10);
        assert_eq!(&planned.head_after.hash, planned.rows.hash.last().unwrap());
        assert!(planned.head_after.recorded_at >= head.recorded_at);
        assert_eq!(
            (planned.stream_ids.clone(), planned.assumed_versions.clone()),
            (vec!["a".into(), "b".into()], vec![2, 0])
        );
        assert!(planned.outcomes.iter().all(Result::is_ok));
    }

    #[test]
    fn given_a_stale_expectation_and_a_repeated_command_id_when_planned_then_only_they_write_nothing() {
        let repeated = Uuid::now_v7();
        let batch = [
            request("a", ExpectedVersion::Exact(5), repeated),
            request("a", ExpectedVersion::Exact(5), Uuid::now_v7()),
            request("b", ExpectedVersion::Exact(0), repeated),
        ];
        let planned = plan(&batch, known(Head::genesis(), &[("a", 5), ("b", 0)]), Utc::now());
        assert_eq!(planned.rows.position, vec![1]);
        match &planned.outcomes[1] {
            Err(AppendError::WrongExpectedVersion { actual, .. }) => assert_eq!(*actual, 6),
            other => panic!("expected a conflict, got {other:?}"),
        }
        let again = planned.outcomes[2].as_ref().unwrap();
        assert!(again.duplicate);
        assert_eq!((again.stream_id.as_str(), again.first_position), ("a", 1));
        assert_eq!(planned.new_command_ids.len(), 2);
    }

    #[test]
    fn given_a_belief_when_predicting_then_it_wins_over_what_callers_expect() {
        let believed: HashMap<String, i64> = [("a".to_string(), 4)].into();
        let batch = [
            request("a", ExpectedVersion::Exact(2), Uuid::now_v7()),
            request("b", ExpectedVersion::Exact(3), Uuid::now_v7()),
            request("c", ExpectedVersion::Any, Uuid::now_v7()),
        ];
        let predicted = Known::predict(&Head::genesis(), |s| believed.get(s).copied(), &batch);
        assert_eq!(predicted.versions["a"], 4);
        assert_eq!(predicted.versions["b"], 3);
        assert_eq!(predicted.versions["c"], 0);
        assert!(predicted.earlier.is_empty());
        let guessed: HashSet<String> = ["b".to_string(), "c".to_string()].into();
        assert_eq!(predicted.guessed, guessed);
    }

    #[test]
    fn given_known_and_guessed_versions_when_planned_then_only_guesses_and_refusals_are_probed() {
        let believed: HashMap<String, i64> = [("known".to_string(), 4), ("refused".to_string(), 2)].into();
        let batch = [
            request("known", ExpectedVersion::Exact(4), Uuid::now_v7()),
            request("guessed", ExpectedVersion::Exact(3), Uuid::now_v7()),
            request("refused", ExpectedVersion::Exact(7), Uuid::now_v7()),
        ];
        let planned = plan(
            &batch,
            Known::predict(&Head::genesis(), |s| believed.get(s).copied(), &batch),
            Utc::now(),
        );
        assert_eq!(planned.stream_ids, ["guessed", "known", "refused"]);
        assert_eq!(planned.checked, [true, false, true]);
        // What the database returns is the truth: nothing in it is probed again.
        let truth = known(Head::genesis(), &[("known", 4), ("guessed", 3), ("refused", 7)]);
        assert_eq!(plan(&batch, truth, Utc::now()).checked, [false, false, false]);
    }

    #[test]
    fn what_the_database_knows_is_decoded_from_its_json() {
        let value = json!({
            "head": [12, "ab".repeat(32), 1_700_000_000_000_000i64],
            "earlier": [["0191e6a2-7b1c-7c3e-8f00-000000000001", "s", 3, 4, 2]],
            "versions": [["s", 2], ["t", 0]],
        });
        let known = Known::from_json(value).unwrap();
        assert_eq!((known.head.position, known.head.hash.len()), (12, 32));
        assert_eq!(known.head.recorded_at.timestamp(), 1_700_000_000);
        assert_eq!(known.versions["t"], 0);
        let earlier = known.earlier.values().next().unwrap();
        assert_eq!(
            (earlier.first_position, earlier.last_position, earlier.stream_version),
            (3, 4, 2)
        );
        assert!(
            Known::from_json(json!({ "head": null, "earlier": [], "versions": [] }))
                .unwrap()
                .head
                == Head::genesis()
        );
    }
}
