//! A command id is an idempotency key: it names one request. A retry with
//! the same id and the same input answers with the first result; the same
//! id with another input is a client bug that the first result would hide,
//! so it is refused, as Stripe refuses a reused idempotency key.
//!
//! The fingerprint is a digest of the use case and its input as the use case
//! received it, kept in each event's `metadata.extra` under `input`. Personal
//! fields are left out of it (inputs mark them `#[serde(skip)]`): the events
//! outlive erasure, and a digest of a name can be guessed back.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::policy::UseCase;
use crate::CommandError;

/// The key of the fingerprint in `metadata.extra`.
const KEY: &str = "input";
/// 128 bits: a reused key whose other input matches by chance is not a risk
/// worth 32 more bytes in every event.
const BYTES: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InputFingerprint(String);

impl InputFingerprint {
    pub(crate) fn of(use_case: UseCase, input: &impl Serialize) -> Result<Self, CommandError> {
        let json = serde_json::to_vec(input)
            .map_err(|e| CommandError::Invalid(format!("the input cannot be fingerprinted: {e}")))?;
        let mut digest = Sha256::new();
        digest.update(use_case.name().as_bytes());
        digest.update([0]);
        digest.update(&json);
        Ok(Self(hex::encode(&digest.finalize()[..BYTES])))
    }

    /// The `metadata.extra` that records it.
    pub(crate) fn extra(&self) -> Value {
        serde_json::json!({ KEY: self.0 })
    }

    /// Whether the first command with this id, whose events carry `extra`,
    /// was sent with another input. Events from before fingerprints were
    /// kept match anything.
    pub(crate) fn differs_from(&self, extra: &Value) -> bool {
        extra
            .get(KEY)
            .and_then(Value::as_str)
            .is_some_and(|first| first != self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Input {
        id: u32,
        reason: &'static str,
    }

    fn of(use_case: UseCase, input: Input) -> InputFingerprint {
        InputFingerprint::of(use_case, &input).unwrap()
    }

    #[test]
    fn the_same_use_case_and_input_give_the_same_fingerprint() {
        let first = of(UseCase::CancelPlace, Input { id: 1, reason: "ill" });
        let again = of(UseCase::CancelPlace, Input { id: 1, reason: "ill" });
        assert!(!again.differs_from(&first.extra()));
    }

    #[test]
    fn another_input_or_another_use_case_differs() {
        let first = of(UseCase::CancelPlace, Input { id: 1, reason: "ill" }).extra();
        assert!(of(UseCase::CancelPlace, Input { id: 1, reason: "away" }).differs_from(&first));
        assert!(of(UseCase::RejectPlace, Input { id: 1, reason: "ill" }).differs_from(&first));
    }

    #[test]
    fn personal_fields_are_not_part_of_it() {
        let hire = |name: &str, email: &str| crate::HireEmployee {
            employee_id: None,
            institution_id: uuid::Uuid::nil(),
            name: name.into(),
            email: Some(email.into()),
            personal_code: None,
            job_groups: vec![],
            civil_servant: true,
            functions: vec![],
            hired_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
        };
        let first = InputFingerprint::of(UseCase::HireEmployee, &hire("Anna Bērziņa", "anna@vk.gov.lv")).unwrap();
        let json = serde_json::to_string(&hire("Anna Bērziņa", "anna@vk.gov.lv")).unwrap();
        assert!(!json.contains("Anna") && !json.contains("anna@"), "{json}");
        let other = InputFingerprint::of(UseCase::HireEmployee, &hire("Jānis Ozols", "janis@vk.gov.lv")).unwrap();
        assert!(!other.differs_from(&first.extra()));
    }

    #[test]
    fn events_without_a_fingerprint_match_any_input() {
        let fingerprint = of(UseCase::CancelPlace, Input { id: 1, reason: "ill" });
        assert!(!fingerprint.differs_from(&serde_json::json!({})));
    }
}
