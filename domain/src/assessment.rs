//! An employee's competence record (issue 20, measures 3.1, 3.2 and 4.1):
//! competency assessments against a framework version, and talent reviews
//! on the 3×3 development matrix. One stream per employee, so each
//! assessment is ordered against the others of the same person.
//!
//! Every event carries where the employee stood on its business date
//! (institution, resor, job groups) and the level their job groups
//! required, so that the indicators count it without joining history.

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::competency::Competency;
use crate::employee::{JobGroup, Standing};
use crate::reference::Resor;
use crate::validate::{self, MAX_REASON_CHARS};
use crate::{Decider, DomainError, ErrorCode};

/// How a level was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AssessmentMethod {
    SelfAssessment,
    Manager,
    AssessmentCentre,
    KnowledgeTest,
    /// The result of a closed 360-degree feedback cycle.
    Feedback360,
}

/// One axis of the 3×3 development matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MatrixRating {
    Low,
    Medium,
    High,
}

/// A level of one framework competency, as an assessment states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub assessment_id: Uuid,
    pub framework_id: Uuid,
    pub framework_version: u32,
    /// The competency as the framework version defines it, checked by
    /// `Framework::assessable`: the level is on its scale.
    pub competency: Competency,
    pub level: u8,
    pub method: AssessmentMethod,
    /// The cycle whose result this is; required for `Feedback360` and for
    /// no other method.
    pub feedback_cycle_id: Option<Uuid>,
    /// Who assessed: the signed-in employee, none for a system import.
    pub assessor_id: Option<Uuid>,
    pub assessed_on: NaiveDate,
    pub evidence_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompetenceCommand {
    Assess {
        employee_id: Uuid,
        /// Where the employee stood on `assessed_on`.
        standing: Standing,
        assessment: Assessment,
        /// Business "today": no assessment is dated after it.
        today: NaiveDate,
    },
    ReviewTalent {
        employee_id: Uuid,
        review_id: Uuid,
        standing: Standing,
        performance: MatrixRating,
        potential: MatrixRating,
        reviewer_id: Option<Uuid>,
        reviewed_on: NaiveDate,
        today: NaiveDate,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum CompetenceEvent {
    /// A later assessment (by business date) of the same competency
    /// supersedes this one in the current profile; both stay in history.
    CompetencyAssessed {
        assessment_id: Uuid,
        employee_id: Uuid,
        institution_id: Uuid,
        resor: Option<Resor>,
        job_groups: Vec<JobGroup>,
        framework_id: Uuid,
        framework_version: u32,
        competency: String,
        level: u8,
        /// The highest level the employee's job groups required on that
        /// version; none when none of them has a requirement.
        required_level: Option<u8>,
        method: AssessmentMethod,
        feedback_cycle_id: Option<Uuid>,
        assessor_id: Option<Uuid>,
        assessed_on: NaiveDate,
        evidence_note: Option<String>,
    },
    /// A placement on the 3×3 matrix of performance and potential.
    TalentReviewed {
        review_id: Uuid,
        employee_id: Uuid,
        institution_id: Uuid,
        resor: Option<Resor>,
        job_groups: Vec<JobGroup>,
        performance: MatrixRating,
        potential: MatrixRating,
        reviewer_id: Option<Uuid>,
        reviewed_on: NaiveDate,
    },
}

crate::domain_event!(CompetenceEvent {
    CompetencyAssessed,
    TalentReviewed,
});

/// The ids an employee's record has used: an assessment or review id names
/// one fact, so a second use with other content is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompetenceRecord {
    pub ids: HashSet<Uuid>,
}

/// The highest level any of these job groups requires.
pub fn required_level(competency: &Competency, job_groups: &[JobGroup]) -> Option<u8> {
    competency
        .required
        .iter()
        .filter(|r| job_groups.contains(&r.job_group))
        .map(|r| r.level)
        .max()
}

/// How many levels short of the requirement a current level is: 0 when it
/// meets or exceeds it, none when either is unknown. What the profile and
/// the institution's gap report both count.
pub fn shortfall(required: Option<u8>, current: Option<u8>) -> Option<u8> {
    Some(required?.saturating_sub(current?))
}

fn not_after_today(field: &'static str, date: NaiveDate, today: NaiveDate) -> Result<NaiveDate, DomainError> {
    if date > today {
        return Err(DomainError::on(
            field,
            ErrorCode::OutOfRange,
            format!("{date} is in the future"),
        ));
    }
    Ok(date)
}

impl CompetenceRecord {
    fn fresh(&self, field: &'static str, id: Uuid) -> Result<Uuid, DomainError> {
        if self.ids.contains(&id) {
            return Err(DomainError::on(
                field,
                ErrorCode::AlreadyExists,
                "this employee's record already has this id",
            ));
        }
        Ok(id)
    }
}

/// Who may state which method: a self-assessment is the employee's own and
/// nobody else's, and the employee's own word is a self-assessment,
/// whatever method it names. A 360 result comes from a cycle only.
fn method_fits(employee_id: Uuid, a: &Assessment) -> Result<(), DomainError> {
    let by_themself = a.assessor_id == Some(employee_id);
    match a.method {
        AssessmentMethod::SelfAssessment if a.assessor_id.is_some() && !by_themself => Err(DomainError::on(
            "method",
            ErrorCode::InvalidValue,
            "a self-assessment is made by the employee themself",
        )),
        AssessmentMethod::SelfAssessment => Ok(()),
        _ if by_themself => Err(DomainError::on(
            "method",
            ErrorCode::InvalidValue,
            "an employee's assessment of themself is a SELF_ASSESSMENT",
        )),
        AssessmentMethod::Feedback360 if a.feedback_cycle_id.is_none() => Err(DomainError::on(
            "method",
            ErrorCode::InvalidValue,
            "a 360 feedback result is recorded from a closed feedback cycle",
        )),
        AssessmentMethod::Feedback360 => Ok(()),
        _ if a.feedback_cycle_id.is_some() => Err(DomainError::on(
            "method",
            ErrorCode::InvalidValue,
            "only a FEEDBACK_360 assessment comes from a feedback cycle",
        )),
        _ => Ok(()),
    }
}

impl Decider for CompetenceRecord {
    type Command = CompetenceCommand;
    type Event = CompetenceEvent;
    type State = CompetenceRecord;

    fn stream_id(id: Uuid) -> String {
        format!("employee-competence-{id}")
    }

    fn decide(command: &CompetenceCommand, state: &CompetenceRecord) -> Result<Vec<CompetenceEvent>, DomainError> {
        match command {
            CompetenceCommand::Assess {
                employee_id,
                standing,
                assessment: a,
                today,
            } => {
                method_fits(*employee_id, a)?;
                let level = a.competency.level("level", a.level)?;
                Ok(vec![CompetenceEvent::CompetencyAssessed {
                    assessment_id: state.fresh("assessmentId", a.assessment_id)?,
                    employee_id: *employee_id,
                    institution_id: standing.institution_id,
                    resor: standing.resor,
                    job_groups: standing.job_groups.clone(),
                    framework_id: a.framework_id,
                    framework_version: a.framework_version,
                    competency: a.competency.code.clone(),
                    level,
                    required_level: required_level(&a.competency, &standing.job_groups),
                    method: a.method,
                    feedback_cycle_id: a.feedback_cycle_id,
                    assessor_id: a.assessor_id,
                    assessed_on: not_after_today("assessedOn", a.assessed_on, *today)?,
                    evidence_note: a
                        .evidence_note
                        .as_deref()
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .map(|n| validate::text("evidenceNote", n, MAX_REASON_CHARS))
                        .transpose()?,
                }])
            }
            CompetenceCommand::ReviewTalent {
                employee_id,
                review_id,
                standing,
                performance,
                potential,
                reviewer_id,
                reviewed_on,
                today,
            } => {
                if *reviewer_id == Some(*employee_id) {
                    return Err(DomainError::on(
                        "employeeId",
                        ErrorCode::InvalidValue,
                        "a talent review is made by someone other than the employee",
                    ));
                }
                Ok(vec![CompetenceEvent::TalentReviewed {
                    review_id: state.fresh("reviewId", *review_id)?,
                    employee_id: *employee_id,
                    institution_id: standing.institution_id,
                    resor: standing.resor,
                    job_groups: standing.job_groups.clone(),
                    performance: *performance,
                    potential: *potential,
                    reviewer_id: *reviewer_id,
                    reviewed_on: not_after_today("reviewedOn", *reviewed_on, *today)?,
                }])
            }
        }
    }

    fn evolve(mut state: CompetenceRecord, event: &CompetenceEvent) -> CompetenceRecord {
        match event {
            CompetenceEvent::CompetencyAssessed { assessment_id: id, .. }
            | CompetenceEvent::TalentReviewed { review_id: id, .. } => {
                state.ids.insert(*id);
            }
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::competency::{Level, RequiredLevel};
    use crate::DomainEvent;

    const EMPLOYEE: Uuid = Uuid::from_u128(1);
    const MANAGER: Uuid = Uuid::from_u128(2);

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn competency() -> Competency {
        Competency {
            code: "3.1".into(),
            name: "Leading change".into(),
            levels: (1..=4)
                .map(|n| Level {
                    number: n,
                    name: format!("Level {n}"),
                    description: "…".into(),
                    band: None,
                })
                .collect(),
            required: vec![
                RequiredLevel {
                    job_group: JobGroup::MiddleOrLowerManager,
                    level: 3,
                },
                RequiredLevel {
                    job_group: JobGroup::TopManager,
                    level: 4,
                },
            ],
        }
    }

    fn standing() -> Standing {
        Standing {
            institution_id: Uuid::from_u128(10),
            resor: Some(Resor::Fm),
            job_groups: vec![JobGroup::MiddleOrLowerManager, JobGroup::TopManager],
        }
    }

    fn assessment(method: AssessmentMethod, assessor: Option<Uuid>) -> Assessment {
        Assessment {
            assessment_id: Uuid::from_u128(100),
            framework_id: Uuid::from_u128(50),
            framework_version: 2,
            competency: competency(),
            level: 3,
            method,
            feedback_cycle_id: None,
            assessor_id: assessor,
            assessed_on: date("2026-03-01"),
            evidence_note: Some("  led the merger of two departments ".into()),
        }
    }

    fn assess(a: Assessment) -> CompetenceCommand {
        CompetenceCommand::Assess {
            employee_id: EMPLOYEE,
            standing: standing(),
            assessment: a,
            today: date("2026-12-07"),
        }
    }

    fn when(given: &[CompetenceEvent], command: CompetenceCommand) -> Result<Vec<CompetenceEvent>, DomainError> {
        CompetenceRecord::decide(&command, &CompetenceRecord::fold(given))
    }

    fn refusal(r: Result<Vec<CompetenceEvent>, DomainError>) -> (ErrorCode, Option<&'static str>) {
        let e = r.expect_err("refused");
        (e.code, e.field)
    }

    #[test]
    fn an_assessment_carries_the_standing_and_the_highest_required_level_of_its_date() {
        let events = when(&[], assess(assessment(AssessmentMethod::Manager, Some(MANAGER)))).unwrap();
        let [CompetenceEvent::CompetencyAssessed {
            institution_id,
            resor,
            job_groups,
            required_level,
            level,
            evidence_note,
            ..
        }] = &events[..]
        else {
            panic!("{events:?}")
        };
        assert_eq!((*institution_id, *resor), (Uuid::from_u128(10), Some(Resor::Fm)));
        assert_eq!(job_groups.len(), 2);
        assert_eq!((*level, *required_level), (3, Some(4)));
        assert_eq!(evidence_note.as_deref(), Some("led the merger of two departments"));
    }

    #[test]
    fn a_level_off_the_scale_and_a_future_date_are_refused() {
        let mut high = assessment(AssessmentMethod::Manager, Some(MANAGER));
        high.level = 5;
        assert_eq!(refusal(when(&[], assess(high))), (ErrorCode::OutOfRange, Some("level")));
        let mut later = assessment(AssessmentMethod::Manager, Some(MANAGER));
        later.assessed_on = date("2026-12-08");
        assert_eq!(
            refusal(when(&[], assess(later))),
            (ErrorCode::OutOfRange, Some("assessedOn"))
        );
    }

    #[test]
    fn a_self_assessment_is_the_employees_own_and_their_own_word_is_nothing_else() {
        let by_manager = assessment(AssessmentMethod::SelfAssessment, Some(MANAGER));
        assert_eq!(
            refusal(when(&[], assess(by_manager))),
            (ErrorCode::InvalidValue, Some("method"))
        );
        let own_as_manager = assessment(AssessmentMethod::Manager, Some(EMPLOYEE));
        assert_eq!(
            refusal(when(&[], assess(own_as_manager))),
            (ErrorCode::InvalidValue, Some("method"))
        );
        assert!(when(
            &[],
            assess(assessment(AssessmentMethod::SelfAssessment, Some(EMPLOYEE)))
        )
        .is_ok());
        // An import by the system names no assessor.
        assert!(when(&[], assess(assessment(AssessmentMethod::SelfAssessment, None))).is_ok());
    }

    #[test]
    fn a_360_result_comes_from_a_cycle_and_only_a_360_result_does() {
        let without_cycle = assessment(AssessmentMethod::Feedback360, Some(MANAGER));
        assert_eq!(
            refusal(when(&[], assess(without_cycle))),
            (ErrorCode::InvalidValue, Some("method"))
        );
        let mut from_cycle = assessment(AssessmentMethod::Feedback360, None);
        from_cycle.feedback_cycle_id = Some(Uuid::from_u128(9));
        assert!(when(&[], assess(from_cycle.clone())).is_ok());
        from_cycle.method = AssessmentMethod::KnowledgeTest;
        assert_eq!(
            refusal(when(&[], assess(from_cycle))),
            (ErrorCode::InvalidValue, Some("method"))
        );
    }

    #[test]
    fn an_id_names_one_fact_of_the_record() {
        let first = when(&[], assess(assessment(AssessmentMethod::Manager, Some(MANAGER)))).unwrap();
        assert_eq!(
            refusal(when(
                &first,
                assess(assessment(AssessmentMethod::Manager, Some(MANAGER)))
            )),
            (ErrorCode::AlreadyExists, Some("assessmentId"))
        );
    }

    #[test]
    fn a_talent_review_is_someone_elses_and_not_in_the_future() {
        let review = |reviewer, on| CompetenceCommand::ReviewTalent {
            employee_id: EMPLOYEE,
            review_id: Uuid::from_u128(200),
            standing: standing(),
            performance: MatrixRating::High,
            potential: MatrixRating::Medium,
            reviewer_id: reviewer,
            reviewed_on: date(on),
            today: date("2026-12-07"),
        };
        assert_eq!(
            refusal(when(&[], review(Some(EMPLOYEE), "2026-06-01"))),
            (ErrorCode::InvalidValue, Some("employeeId"))
        );
        assert_eq!(
            refusal(when(&[], review(Some(MANAGER), "2027-01-01"))),
            (ErrorCode::OutOfRange, Some("reviewedOn"))
        );
        let events = when(&[], review(Some(MANAGER), "2026-06-01")).unwrap();
        assert!(matches!(
            events[..],
            [CompetenceEvent::TalentReviewed {
                performance: MatrixRating::High,
                potential: MatrixRating::Medium,
                ..
            }]
        ));
    }

    #[test]
    fn a_shortfall_counts_the_levels_missing_and_nothing_beyond_the_requirement() {
        assert_eq!(shortfall(Some(4), Some(2)), Some(2));
        assert_eq!(shortfall(Some(3), Some(5)), Some(0));
        assert_eq!(shortfall(None, Some(5)), None);
        assert_eq!(shortfall(Some(3), None), None);
    }

    #[test]
    fn events_round_trip_through_their_stored_form() {
        let events = when(
            &[],
            assess(assessment(AssessmentMethod::AssessmentCentre, Some(MANAGER))),
        )
        .unwrap();
        let payload = events[0].to_payload();
        assert_eq!(payload["method"], "ASSESSMENT_CENTRE");
        assert_eq!(payload["jobGroups"][1], "TOP_MANAGER");
        let back =
            CompetenceEvent::from_stored(events[0].event_type(), CompetenceEvent::SCHEMA_VERSION, &payload).unwrap();
        assert_eq!(back, events[0]);
    }
}
