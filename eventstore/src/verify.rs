//! Recomputes the hash chain over the whole log.

use sqlx::PgPool;

use crate::hash::{canonical_json, event_hash, HashInput, GENESIS_HASH};
use crate::read::events_after;
use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub position: i64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub events_checked: i64,
    pub head_position: i64,
    pub first_break: Option<ChainBreak>,
}

pub async fn verify_chain(pool: &PgPool, mut progress: impl FnMut(i64)) -> Result<VerifyReport, StoreError> {
    const PAGE: i64 = 5000;
    let mut prev_hash = GENESIS_HASH.to_vec();
    let mut expected_position = 1;
    let mut checked = 0;
    loop {
        let page = events_after(pool, expected_position - 1, PAGE).await?;
        if page.is_empty() {
            break;
        }
        for e in &page {
            let broken = |reason: String| ChainBreak {
                position: e.position,
                reason,
            };
            let fault = if e.position != expected_position {
                Some(ChainBreak {
                    position: expected_position,
                    reason: format!("position {expected_position} is missing; next is {}", e.position),
                })
            } else if e.prev_hash != prev_hash {
                Some(broken("prev_hash does not match the previous event's hash".into()))
            } else {
                let computed = event_hash(
                    &prev_hash,
                    &HashInput {
                        position: e.position,
                        stream_id: &e.stream_id,
                        stream_version: e.stream_version,
                        event_id: e.event_id,
                        event_type: &e.event_type,
                        schema_version: e.schema_version,
                        canonical_payload: &canonical_json(&e.payload),
                        canonical_extra: &canonical_json(&e.metadata.extra),
                        metadata: &e.metadata,
                        occurred_at: e.occurred_at,
                        recorded_at: e.recorded_at,
                    },
                );
                (computed != e.hash).then(|| broken("content does not match its hash: the row was altered".into()))
            };
            if let Some(first_break) = fault {
                return Ok(VerifyReport {
                    events_checked: checked,
                    head_position: e.position,
                    first_break: Some(first_break),
                });
            }
            prev_hash = e.hash.clone();
            expected_position += 1;
            checked += 1;
        }
        progress(checked);
    }
    Ok(VerifyReport {
        events_checked: checked,
        head_position: expected_position - 1,
        first_break: None,
    })
}
