//! Security facts: what the policy refused, kept in the same tamper-evident
//! log as everything else. No aggregate decides on them, so they have no
//! commands; they go to one stream per UTC day, so a day's refusals can be
//! read in one go and no stream grows without end.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum SecurityEvent {
    /// The policy refused a command. It names what was asked for, never
    /// what the target's records hold, nor whether the target exists.
    AccessDenied {
        /// The caller's subject: an employee id or a service name.
        actor: String,
        /// The roles the caller held, as tokens name them.
        roles: Vec<String>,
        use_case: String,
        /// `institution`, `employee`, `course` or `offering`: the aggregate
        /// whose stream the command would have written.
        target_kind: String,
        target_id: Uuid,
        /// The refused command's id (the event's own metadata has a fresh
        /// one, so that the refusal can never answer for the command).
        command_id: Uuid,
    },
}

crate::domain_event!(SecurityEvent { AccessDenied });

/// The stream of the refusals of one UTC day: `security-2026-03-02`.
pub fn stream_id(day: NaiveDate) -> String {
    format!("security-{}", day.format("%Y-%m-%d"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DomainEvent;

    #[test]
    fn a_refusal_round_trips_through_its_stored_form() {
        let e = SecurityEvent::AccessDenied {
            actor: "0190a0e0-0000-7000-8000-000000000001".into(),
            roles: vec!["INSTITUTION_HR".into()],
            use_case: "TransferEmployee".into(),
            target_kind: "employee".into(),
            target_id: Uuid::from_u128(7),
            command_id: Uuid::from_u128(8),
        };
        let payload = e.to_payload();
        assert_eq!(payload["useCase"], "TransferEmployee");
        assert_eq!(payload["targetKind"], "employee");
        assert_eq!(SecurityEvent::from_stored(e.event_type(), 1, &payload), Ok(e));
    }

    #[test]
    fn one_stream_per_utc_day() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        assert_eq!(stream_id(day), "security-2026-03-02");
    }
}
