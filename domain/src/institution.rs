//! The institution aggregate: registration, its remuneration (payroll) budget
//! per year, and the training money allocated against it. One stream per
//! institution, so allocations and their corrections are checked against
//! everything the institution has recorded.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::Cents;
use crate::reference::{FundingSource, InstitutionKind, Resor, StrategicPriority};
use crate::validate::{self, MAX_NAME_CHARS, MAX_REASON_CHARS};
use crate::{Decider, DomainError, ErrorCode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstitutionCommand {
    Register {
        institution_id: Uuid,
        name: String,
        kind: InstitutionKind,
        resor: Option<Resor>,
        /// Its remuneration budget also pays other institutions' staff, which
        /// exempts it from the 5 % rule (seed 000, annex 3 footnote).
        funds_other_institutions_staff: bool,
    },
    DeclareRemunerationBudget {
        year: i32,
        amount: Cents,
    },
    AllocateTrainingBudget {
        allocation_id: Uuid,
        year: i32,
        amount: Cents,
        funding_source: FundingSource,
        priority: Option<StrategicPriority>,
    },
    /// Replaces an allocation's amount, source and priority; an amount of 0
    /// withdraws it. The original allocation stays in history.
    CorrectTrainingAllocation {
        allocation_id: Uuid,
        amount: Cents,
        funding_source: FundingSource,
        priority: Option<StrategicPriority>,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum InstitutionEvent {
    InstitutionRegistered {
        institution_id: Uuid,
        name: String,
        kind: InstitutionKind,
        resor: Option<Resor>,
        funds_other_institutions_staff: bool,
    },
    /// A later declaration for the same year supersedes the earlier one.
    RemunerationBudgetDeclared {
        institution_id: Uuid,
        year: i32,
        amount_cents: Cents,
    },
    TrainingBudgetAllocated {
        institution_id: Uuid,
        allocation_id: Uuid,
        year: i32,
        amount_cents: Cents,
        funding_source: FundingSource,
        priority: Option<StrategicPriority>,
    },
    TrainingAllocationCorrected {
        institution_id: Uuid,
        allocation_id: Uuid,
        year: i32,
        previous_amount_cents: Cents,
        amount_cents: Cents,
        funding_source: FundingSource,
        priority: Option<StrategicPriority>,
        reason: String,
    },
}

crate::domain_event!(InstitutionEvent {
    InstitutionRegistered,
    RemunerationBudgetDeclared,
    TrainingBudgetAllocated,
    TrainingAllocationCorrected,
});

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub year: i32,
    pub amount: Cents,
    pub funding_source: FundingSource,
    pub priority: Option<StrategicPriority>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Institution {
    pub id: Option<Uuid>,
    pub kind: Option<InstitutionKind>,
    /// The resor it belongs to: the reach of a resor's coordinator over it
    /// and its staff.
    pub resor: Option<Resor>,
    pub remuneration: HashMap<i32, Cents>,
    pub allocations: HashMap<Uuid, Allocation>,
}

impl Institution {
    /// What is allocated for `year`, leaving out `except` (an allocation being corrected).
    fn allocated_in(&self, year: i32, except: Option<Uuid>) -> i128 {
        self.allocations
            .iter()
            .filter(|(id, a)| a.year == year && Some(**id) != except)
            .map(|(_, a)| i128::from(a.amount.0))
            .sum()
    }

    /// Keeps a year's total within `Cents::MAX`, so that no sum the read
    /// models keep can overflow.
    fn check_year_total(&self, year: i32, amount: Cents, except: Option<Uuid>) -> Result<(), DomainError> {
        if self.allocated_in(year, except) + i128::from(amount.0) > i128::from(Cents::MAX.0) {
            return Err(DomainError::on(
                "amountCents",
                ErrorCode::OutOfRange,
                format!("the year's allocations would exceed {} cents", Cents::MAX.0),
            ));
        }
        Ok(())
    }

    fn registered_id(&self) -> Result<Uuid, DomainError> {
        self.id.ok_or_else(|| {
            DomainError::on(
                "institutionId",
                ErrorCode::NotFound,
                "no institution is registered with this id",
            )
        })
    }
}

impl Decider for Institution {
    type Command = InstitutionCommand;
    type Event = InstitutionEvent;
    type State = Institution;

    fn stream_id(id: Uuid) -> String {
        format!("institution-{id}")
    }

    fn decide(command: &InstitutionCommand, state: &Institution) -> Result<Vec<InstitutionEvent>, DomainError> {
        use InstitutionCommand as C;
        use InstitutionEvent as E;
        match command {
            C::Register {
                institution_id,
                name,
                kind,
                resor,
                funds_other_institutions_staff,
            } => {
                if state.id.is_some() {
                    return Err(DomainError::on(
                        "institutionId",
                        ErrorCode::AlreadyExists,
                        "an institution with this id is already registered",
                    ));
                }
                let name = validate::text("name", name, MAX_NAME_CHARS)?;
                match (kind, resor) {
                    (InstitutionKind::State, None) => {
                        return Err(DomainError::on(
                            "resor",
                            ErrorCode::Required,
                            "a state institution belongs to a resor",
                        ))
                    }
                    (InstitutionKind::Municipal, Some(_)) => {
                        return Err(DomainError::on(
                            "resor",
                            ErrorCode::InvalidValue,
                            "a municipal institution belongs to no resor",
                        ))
                    }
                    _ => {}
                }
                Ok(vec![E::InstitutionRegistered {
                    institution_id: *institution_id,
                    name,
                    kind: *kind,
                    resor: *resor,
                    funds_other_institutions_staff: *funds_other_institutions_staff,
                }])
            }
            C::DeclareRemunerationBudget { year, amount } => {
                let institution_id = state.registered_id()?;
                Ok(vec![E::RemunerationBudgetDeclared {
                    institution_id,
                    year: validate::year("year", *year)?,
                    amount_cents: validate::positive_amount("amountCents", *amount)?,
                }])
            }
            C::AllocateTrainingBudget {
                allocation_id,
                year,
                amount,
                funding_source,
                priority,
            } => {
                let institution_id = state.registered_id()?;
                if state.allocations.contains_key(allocation_id) {
                    return Err(DomainError::on(
                        "allocationId",
                        ErrorCode::AlreadyExists,
                        "an allocation with this id exists",
                    ));
                }
                let year = validate::year("year", *year)?;
                let amount = validate::positive_amount("amountCents", *amount)?;
                state.check_year_total(year, amount, None)?;
                Ok(vec![E::TrainingBudgetAllocated {
                    institution_id,
                    allocation_id: *allocation_id,
                    year,
                    amount_cents: amount,
                    funding_source: *funding_source,
                    priority: *priority,
                }])
            }
            C::CorrectTrainingAllocation {
                allocation_id,
                amount,
                funding_source,
                priority,
                reason,
            } => {
                let institution_id = state.registered_id()?;
                let current = state.allocations.get(allocation_id).ok_or_else(|| {
                    DomainError::on(
                        "allocationId",
                        ErrorCode::NotFound,
                        "this institution has no allocation with this id",
                    )
                })?;
                let amount = validate::non_negative_amount("amountCents", *amount)?;
                state.check_year_total(current.year, amount, Some(*allocation_id))?;
                let reason = validate::text("reason", reason, MAX_REASON_CHARS)?;
                if current.amount == amount
                    && current.funding_source == *funding_source
                    && current.priority == *priority
                {
                    return Err(DomainError::new(
                        ErrorCode::NothingToChange,
                        None,
                        "the correction changes nothing",
                    ));
                }
                Ok(vec![E::TrainingAllocationCorrected {
                    institution_id,
                    allocation_id: *allocation_id,
                    year: current.year,
                    previous_amount_cents: current.amount,
                    amount_cents: amount,
                    funding_source: *funding_source,
                    priority: *priority,
                    reason,
                }])
            }
        }
    }

    fn evolve(mut state: Institution, event: &InstitutionEvent) -> Institution {
        match event {
            InstitutionEvent::InstitutionRegistered {
                institution_id,
                kind,
                resor,
                ..
            } => {
                state.id = Some(*institution_id);
                state.kind = Some(*kind);
                state.resor = *resor;
            }
            InstitutionEvent::RemunerationBudgetDeclared { year, amount_cents, .. } => {
                state.remuneration.insert(*year, *amount_cents);
            }
            InstitutionEvent::TrainingBudgetAllocated {
                allocation_id,
                year,
                amount_cents,
                funding_source,
                priority,
                ..
            }
            | InstitutionEvent::TrainingAllocationCorrected {
                allocation_id,
                year,
                amount_cents,
                funding_source,
                priority,
                ..
            } => {
                state.allocations.insert(
                    *allocation_id,
                    Allocation {
                        year: *year,
                        amount: *amount_cents,
                        funding_source: *funding_source,
                        priority: *priority,
                    },
                );
            }
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DomainEvent;
    use InstitutionCommand as C;
    use InstitutionEvent as E;

    fn id() -> Uuid {
        Uuid::from_u128(1)
    }

    fn alloc_id() -> Uuid {
        Uuid::from_u128(2)
    }

    fn registered() -> E {
        E::InstitutionRegistered {
            institution_id: id(),
            name: "Valsts ieņēmumu dienests".into(),
            kind: InstitutionKind::State,
            resor: Some(Resor::Fm),
            funds_other_institutions_staff: false,
        }
    }

    fn allocated(amount: i64) -> E {
        E::TrainingBudgetAllocated {
            institution_id: id(),
            allocation_id: alloc_id(),
            year: 2026,
            amount_cents: Cents(amount),
            funding_source: FundingSource::StateBudget,
            priority: None,
        }
    }

    fn given_when(given: &[E], when: C) -> Result<Vec<E>, DomainError> {
        Institution::decide(&when, &Institution::fold(given))
    }

    fn register(name: &str, kind: InstitutionKind, resor: Option<Resor>) -> C {
        C::Register {
            institution_id: id(),
            name: name.into(),
            kind,
            resor,
            funds_other_institutions_staff: false,
        }
    }

    fn allocate(year: i32, amount: i64) -> C {
        C::AllocateTrainingBudget {
            allocation_id: alloc_id(),
            year,
            amount: Cents(amount),
            funding_source: FundingSource::Esf,
            priority: Some(StrategicPriority::DigitalTransformation),
        }
    }

    fn correct(amount: i64, reason: &str) -> C {
        C::CorrectTrainingAllocation {
            allocation_id: alloc_id(),
            amount: Cents(amount),
            funding_source: FundingSource::StateBudget,
            priority: None,
            reason: reason.into(),
        }
    }

    fn field_of(r: Result<Vec<E>, DomainError>) -> (ErrorCode, Option<&'static str>) {
        let e = r.expect_err("command should be refused");
        (e.code, e.field)
    }

    #[test]
    fn registering_trims_the_name() {
        let then = given_when(
            &[],
            register("  Valsts ieņēmumu dienests ", InstitutionKind::State, Some(Resor::Fm)),
        );
        assert_eq!(then, Ok(vec![registered()]));
    }

    #[test]
    fn registering_twice_is_refused() {
        let then = given_when(
            &[registered()],
            register("Cits", InstitutionKind::State, Some(Resor::Fm)),
        );
        assert_eq!(field_of(then), (ErrorCode::AlreadyExists, Some("institutionId")));
    }

    #[test]
    fn names_must_be_present_short_and_printable() {
        let empty = given_when(&[], register("   ", InstitutionKind::State, Some(Resor::Fm)));
        assert_eq!(field_of(empty), (ErrorCode::Required, Some("name")));
        let long = given_when(&[], register(&"ā".repeat(201), InstitutionKind::State, Some(Resor::Fm)));
        assert_eq!(field_of(long), (ErrorCode::TooLong, Some("name")));
        let exactly_max = given_when(&[], register(&"ā".repeat(200), InstitutionKind::State, Some(Resor::Fm)));
        assert!(exactly_max.is_ok());
        let control = given_when(&[], register("a\u{0}b", InstitutionKind::State, Some(Resor::Fm)));
        assert_eq!(field_of(control), (ErrorCode::InvalidValue, Some("name")));
    }

    #[test]
    fn state_institutions_need_a_resor_and_municipal_ones_have_none() {
        let state = given_when(&[], register("X", InstitutionKind::State, None));
        assert_eq!(field_of(state), (ErrorCode::Required, Some("resor")));
        let municipal = given_when(&[], register("X", InstitutionKind::Municipal, Some(Resor::Varam)));
        assert_eq!(field_of(municipal), (ErrorCode::InvalidValue, Some("resor")));
        assert!(given_when(
            &[],
            register("Rīgas valstspilsētas pašvaldība", InstitutionKind::Municipal, None)
        )
        .is_ok());
    }

    #[test]
    fn allocating_before_registration_is_refused() {
        let then = given_when(&[], allocate(2026, 100));
        assert_eq!(field_of(then), (ErrorCode::NotFound, Some("institutionId")));
        let declare = given_when(
            &[],
            C::DeclareRemunerationBudget {
                year: 2026,
                amount: Cents(1),
            },
        );
        assert_eq!(field_of(declare), (ErrorCode::NotFound, Some("institutionId")));
    }

    #[test]
    fn amounts_must_be_positive_and_bounded() {
        for bad in [0, -1, Cents::MAX.0 + 1] {
            let then = given_when(&[registered()], allocate(2026, bad));
            assert_eq!(
                field_of(then),
                (ErrorCode::OutOfRange, Some("amountCents")),
                "amount {bad}"
            );
            let declare = given_when(
                &[registered()],
                C::DeclareRemunerationBudget {
                    year: 2026,
                    amount: Cents(bad),
                },
            );
            assert_eq!(field_of(declare), (ErrorCode::OutOfRange, Some("amountCents")));
        }
    }

    #[test]
    fn a_years_total_stays_within_the_maximum() {
        let full = E::TrainingBudgetAllocated {
            institution_id: id(),
            allocation_id: Uuid::from_u128(9),
            year: 2026,
            amount_cents: Cents(Cents::MAX.0 - 100),
            funding_source: FundingSource::Other,
            priority: None,
        };
        let g = [registered(), full];
        assert!(given_when(&g, allocate(2026, 100)).is_ok());
        assert_eq!(
            field_of(given_when(&g, allocate(2026, 101))),
            (ErrorCode::OutOfRange, Some("amountCents"))
        );
        assert!(
            given_when(&g, allocate(2027, 101)).is_ok(),
            "another year has its own total"
        );
    }

    #[test]
    fn years_outside_2021_to_2035_are_refused() {
        for bad in [2020, 2036] {
            assert_eq!(
                field_of(given_when(&[registered()], allocate(bad, 100))),
                (ErrorCode::OutOfRange, Some("year"))
            );
        }
        for good in [2021, 2035] {
            assert!(given_when(&[registered()], allocate(good, 100)).is_ok());
        }
    }

    #[test]
    fn allocation_records_source_and_priority() {
        let then = given_when(&[registered()], allocate(2027, 250_000));
        assert_eq!(
            then,
            Ok(vec![E::TrainingBudgetAllocated {
                institution_id: id(),
                allocation_id: alloc_id(),
                year: 2027,
                amount_cents: Cents(250_000),
                funding_source: FundingSource::Esf,
                priority: Some(StrategicPriority::DigitalTransformation),
            }])
        );
    }

    #[test]
    fn a_correction_is_a_new_event_that_remembers_the_old_amount() {
        let then = given_when(&[registered(), allocated(500)], correct(400, "invoice was lower"));
        assert_eq!(
            then,
            Ok(vec![E::TrainingAllocationCorrected {
                institution_id: id(),
                allocation_id: alloc_id(),
                year: 2026,
                previous_amount_cents: Cents(500),
                amount_cents: Cents(400),
                funding_source: FundingSource::StateBudget,
                priority: None,
                reason: "invoice was lower".into(),
            }])
        );
    }

    #[test]
    fn a_correction_needs_a_reason_a_known_allocation_and_a_change() {
        let g = [registered(), allocated(500)];
        assert_eq!(
            field_of(given_when(&g, correct(400, " "))),
            (ErrorCode::Required, Some("reason"))
        );
        assert_eq!(
            field_of(given_when(&[registered()], correct(400, "x"))),
            (ErrorCode::NotFound, Some("allocationId"))
        );
        assert_eq!(
            field_of(given_when(&g, correct(-1, "x"))),
            (ErrorCode::OutOfRange, Some("amountCents"))
        );
        assert_eq!(
            field_of(given_when(&g, correct(500, "x"))),
            (ErrorCode::NothingToChange, None)
        );
        assert!(
            given_when(&g, correct(0, "withdrawn")).is_ok(),
            "zero withdraws an allocation"
        );
    }

    #[test]
    fn the_state_remembers_the_resor_it_was_registered_in() {
        let state = Institution::fold(&[registered()]);
        assert_eq!((state.id, state.resor), (Some(id()), Some(Resor::Fm)));
        let municipal = Institution::fold(&[E::InstitutionRegistered {
            institution_id: id(),
            name: "Rīgas valstspilsētas pašvaldība".into(),
            kind: InstitutionKind::Municipal,
            resor: None,
            funds_other_institutions_staff: false,
        }]);
        assert_eq!(municipal.resor, None);
    }

    #[test]
    fn events_round_trip_through_their_stored_form() {
        let e = allocated(12_345);
        let payload = e.to_payload();
        assert!(payload.get("type").is_none(), "the type is stored in its own column");
        assert_eq!(payload["amountCents"], 12_345);
        assert_eq!(InstitutionEvent::from_stored(e.event_type(), 1, &payload), Ok(e));
        assert!(InstitutionEvent::from_stored("TrainingBudgetAllocated", 2, &payload).is_err());
    }
}
