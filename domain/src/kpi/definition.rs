//! An indicator's definition: data that one engine evaluates, never a
//! query of its own. An indicator has one or more series (1.4 #1 counts
//! employees *and* the institutions they represent; 1.1 #4 counts
//! institutions with a trust person *and* trust persons trained); its
//! target applies to the first series and its secondary target to the
//! second.
//!
//! A series counts distinct **subjects** (employees, institutions, resors,
//! or things such as offerings) that have a qualifying **fact**: a passed
//! completion, an attendance, an assessment, a talent review, a
//! designation to a function, an offering scheduled, a course catalogued,
//! or progress recorded against the indicator. `who` filters on where the
//! employee stood on the fact's business date. A **share** divides by a
//! population on a reference date (`shareOf`): employees who match `who`
//! then, registered institutions of a kind, or resors.

use serde::{Deserialize, Serialize};

use crate::course::CourseType;
use crate::employee::{EmployeeFunction, JobGroup};
use crate::kpi::career::Profile;
use crate::reference::InstitutionKind;

/// Whether and how an indicator is computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE", rename_all_fields = "camelCase")]
pub enum Computation {
    Computed {
        series: Vec<Series>,
    },
    /// What the ledger does not record, and why.
    NotComputable {
        reason: String,
    },
}

/// What a series counts distinct of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Unit {
    Employees,
    /// The employee's institution on the fact's date (or the record's).
    Institutions,
    /// The resor of the employee's institution on the fact's date.
    Resors,
    /// The fact's own thing: the offering, the course, the progress record.
    Things,
}

/// The kinds of facts the events carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FactKind {
    /// A passed completion (`CompletionRecorded`, until `CompletionRevoked`).
    Completion,
    /// Attended in full or in part (`AttendanceRecorded`; the latest
    /// recording of an employee on an offering counts).
    Attendance,
    /// `CompetencyAssessed`.
    Assessment,
    /// `TalentReviewed`: a placement on the development matrix.
    TalentReview,
    /// A function held from a date it was not held the day before.
    Designation,
    /// `OfferingScheduled`, until `OfferingCancelled`.
    OfferingScheduled,
    /// `CourseCatalogued`, with the tags of its latest revision.
    CourseCatalogued,
    /// Progress recorded against this indicator (`PlanProgressRecorded`,
    /// until withdrawn): a milestone reached, a material published, an
    /// institution joining, an activity held.
    Recorded,
}

/// Which people a fact counts for, by where they stood on its date.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Who {
    pub kind: Option<InstitutionKind>,
    pub civil_servant: Option<bool>,
    /// Any of these (none: any).
    #[serde(default)]
    pub job_groups: Vec<JobGroup>,
    /// Any of these (none: any).
    #[serde(default)]
    pub functions: Vec<EmployeeFunction>,
}

impl Who {
    pub fn matches(&self, profile: &Profile, kind: InstitutionKind) -> bool {
        self.kind.is_none_or(|k| k == kind)
            && self.civil_servant.is_none_or(|c| c == profile.role.civil_servant)
            && (self.job_groups.is_empty() || self.job_groups.iter().any(|g| profile.role.job_groups.contains(g)))
            && (self.functions.is_empty() || self.functions.iter().any(|f| profile.role.functions.contains(f)))
    }
}

/// Which courses' facts count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CourseFilter {
    /// Tagged with any of these measures (none: any course).
    #[serde(default)]
    pub measures: Vec<String>,
    /// Of any of these types (none: any).
    #[serde(default)]
    pub types: Vec<CourseType>,
    /// Only completions whose knowledge test was passed.
    #[serde(default)]
    pub knowledge_test_passed: bool,
}

/// A course as the engine sees it: its latest revision's tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CourseTags {
    pub measures: Vec<String>,
    pub course_type: CourseType,
    pub knowledge_test: bool,
}

impl CourseFilter {
    fn matches(&self, course: &CourseTags, knowledge_test_passed: Option<bool>) -> bool {
        (self.measures.is_empty() || self.measures.iter().any(|m| course.measures.contains(m)))
            && (self.types.is_empty() || self.types.contains(&course.course_type))
            && (!self.knowledge_test_passed || knowledge_test_passed == Some(true))
    }
}

/// What a share divides by, on its reference date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Denominator {
    /// Employees who match the series' `who` on the reference date; only
    /// they count in the numerator, with a fact on or before it.
    Employees,
    /// Registered state institutions (1.1 #4: every state institution).
    StateInstitutions,
    /// Resors with a registered institution (1.5 #2: every resor).
    Resors,
}

/// One counted series of an indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Series {
    /// What the number is, for people: "employees trained".
    pub label_en: String,
    pub unit: Unit,
    pub fact: FactKind,
    #[serde(default)]
    pub course: CourseFilter,
    #[serde(default)]
    pub who: Who,
    pub share_of: Option<Denominator>,
}

/// One fact, as the engine matches it, and keeps it to place it again
/// when the person's history changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fact {
    pub kind: FactKind,
    /// The course, for completions, attendances, offerings and courses.
    pub course: Option<CourseTags>,
    pub knowledge_test_passed: Option<bool>,
    /// The function a designation is to.
    pub designated: Option<EmployeeFunction>,
}

impl Series {
    /// Whether the fact counts for this series, for a person standing as
    /// `person` on its date (none for facts about no person). For an
    /// employee share, `who` is the population's, matched on the
    /// reference date by the caller, not here.
    pub fn counts(&self, fact: &Fact, person: Option<(&Profile, InstitutionKind)>) -> bool {
        if fact.kind != self.fact {
            return false;
        }
        if let Some(course) = &fact.course {
            if !self.course.matches(course, fact.knowledge_test_passed) {
                return false;
            }
        }
        if let Some(function) = fact.designated {
            if !self.who.functions.contains(&function) {
                return false;
            }
        }
        if self.share_of == Some(Denominator::Employees) {
            return true;
        }
        match person {
            Some((profile, kind)) => self.who.matches(profile, kind),
            None => self.who == Who::default(),
        }
    }

    /// Whether the series is a share of employees on a reference date.
    pub fn is_employee_share(&self) -> bool {
        self.share_of == Some(Denominator::Employees)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kpi::career::Role;
    use uuid::Uuid;

    fn profile(groups: Vec<JobGroup>, civil_servant: bool, functions: Vec<EmployeeFunction>) -> Profile {
        Profile {
            institution_id: Uuid::nil(),
            role: Role {
                job_groups: groups,
                civil_servant,
                functions,
            },
        }
    }

    fn integrity_test_series() -> Series {
        serde_json::from_str(
            r#"{"labelEn":"civil servants","unit":"EMPLOYEES","fact":"COMPLETION",
                "course":{"measures":["1.1"],"types":["MANDATORY"],"knowledgeTestPassed":true},
                "who":{"civilServant":true},"shareOf":null}"#,
        )
        .unwrap()
    }

    #[test]
    fn given_a_mandatory_integrity_course_with_test_passed_when_a_civil_servant_completes_then_it_counts() {
        let course = CourseTags {
            measures: vec!["1.1".into()],
            course_type: CourseType::Mandatory,
            knowledge_test: true,
        };
        let fact = Fact {
            kind: FactKind::Completion,
            course: Some(course.clone()),
            knowledge_test_passed: Some(true),
            designated: None,
        };
        let s = integrity_test_series();
        let civil = profile(vec![], true, vec![]);
        assert!(s.counts(&fact, Some((&civil, InstitutionKind::State))));
        let employee = profile(vec![], false, vec![]);
        assert!(
            !s.counts(&fact, Some((&employee, InstitutionKind::State))),
            "not a civil servant"
        );
        let failed = Fact {
            knowledge_test_passed: Some(false),
            ..fact.clone()
        };
        assert!(
            !s.counts(&failed, Some((&civil, InstitutionKind::State))),
            "test failed"
        );
        let other = CourseTags {
            measures: vec!["1.2".into()],
            ..course.clone()
        };
        let elsewhere = Fact {
            course: Some(other),
            ..fact
        };
        assert!(
            !s.counts(&elsewhere, Some((&civil, InstitutionKind::State))),
            "another measure"
        );
    }

    #[test]
    fn given_a_municipal_filter_when_a_state_employee_attends_then_it_does_not_count() {
        let s = Series {
            label_en: "municipal employees".into(),
            unit: Unit::Employees,
            fact: FactKind::Attendance,
            course: CourseFilter::default(),
            who: Who {
                kind: Some(InstitutionKind::Municipal),
                ..Who::default()
            },
            share_of: None,
        };
        let course = CourseTags {
            measures: vec!["1.4".into()],
            course_type: CourseType::Corporate,
            knowledge_test: false,
        };
        let fact = Fact {
            kind: FactKind::Attendance,
            course: Some(course.clone()),
            knowledge_test_passed: None,
            designated: None,
        };
        let p = profile(vec![], false, vec![]);
        assert!(!s.counts(&fact, Some((&p, InstitutionKind::State))));
        assert!(s.counts(&fact, Some((&p, InstitutionKind::Municipal))));
    }

    #[test]
    fn given_a_designation_series_when_another_function_is_designated_then_it_does_not_count() {
        let s = Series {
            label_en: "trust persons".into(),
            unit: Unit::Institutions,
            fact: FactKind::Designation,
            course: CourseFilter::default(),
            who: Who {
                functions: vec![EmployeeFunction::EthicsTrustPerson],
                ..Who::default()
            },
            share_of: Some(Denominator::StateInstitutions),
        };
        let p = profile(
            vec![],
            false,
            vec![EmployeeFunction::Mentor, EmployeeFunction::EthicsTrustPerson],
        );
        let fact = |f| Fact {
            kind: FactKind::Designation,
            course: None,
            knowledge_test_passed: None,
            designated: Some(f),
        };
        assert!(s.counts(
            &fact(EmployeeFunction::EthicsTrustPerson),
            Some((&p, InstitutionKind::State))
        ));
        assert!(!s.counts(&fact(EmployeeFunction::Mentor), Some((&p, InstitutionKind::State))));
    }
}
