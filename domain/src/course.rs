//! The course catalogue: multi-level (public administration/VAS, resor,
//! institution, professional group; seed 003), each course tagged with the
//! plan's priority and measures (seed 000, annex 2).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::reference::{Resor, StrategicPriority};
use crate::validate::{self, MAX_NAME_CHARS, MAX_REASON_CHARS};
use crate::{Decider, DomainError, ErrorCode};

/// Who publishes the course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "level", rename_all = "SCREAMING_SNAKE_CASE", rename_all_fields = "camelCase")]
pub enum CourseOwner {
    /// The School of Public Administration, for the whole administration.
    PublicAdministration,
    Resor {
        resor: Resor,
    },
    /// The institution's existence is checked by the caller.
    Institution {
        institution_id: Uuid,
    },
    ProfessionalGroup {
        group: String,
    },
}

/// The level of the multi-level catalogue, as a client names it before the
/// part that level needs is known to be there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OwnerLevel {
    PublicAdministration,
    Resor,
    Institution,
    ProfessionalGroup,
}

/// The owner as a client writes it: a level, and the part that level needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerParts {
    pub level: OwnerLevel,
    pub resor: Option<Resor>,
    pub institution_id: Option<Uuid>,
    pub group: Option<String>,
}

impl CourseOwner {
    /// The owner the parts name: each level needs its own part (a resor, an
    /// institution, a group) and ignores the others. Fields are named as a
    /// client writes them (`owner.resor`).
    pub fn from_parts(parts: OwnerParts) -> Result<CourseOwner, DomainError> {
        let missing = |field: &'static str, what: &str| {
            DomainError::on(field, ErrorCode::Required, format!("this owner level needs {what}"))
        };
        match parts.level {
            OwnerLevel::PublicAdministration => Ok(CourseOwner::PublicAdministration),
            OwnerLevel::Resor => parts
                .resor
                .map(|resor| CourseOwner::Resor { resor })
                .ok_or_else(|| missing("owner.resor", "a resor")),
            OwnerLevel::Institution => parts
                .institution_id
                .map(|institution_id| CourseOwner::Institution { institution_id })
                .ok_or_else(|| missing("owner.institutionId", "an institution")),
            OwnerLevel::ProfessionalGroup => parts
                .group
                .map(|group| CourseOwner::ProfessionalGroup { group })
                .ok_or_else(|| missing("owner.group", "a professional group")),
        }
    }

    /// The owner as its level and the one part that level has.
    pub fn parts(&self) -> OwnerParts {
        let mut parts = OwnerParts {
            level: OwnerLevel::PublicAdministration,
            resor: None,
            institution_id: None,
            group: None,
        };
        match self {
            CourseOwner::PublicAdministration => {}
            CourseOwner::Resor { resor } => (parts.level, parts.resor) = (OwnerLevel::Resor, Some(*resor)),
            CourseOwner::Institution { institution_id } => {
                (parts.level, parts.institution_id) = (OwnerLevel::Institution, Some(*institution_id))
            }
            CourseOwner::ProfessionalGroup { group } => {
                (parts.level, parts.group) = (OwnerLevel::ProfessionalGroup, Some(group.clone()))
            }
        }
        parts
    }

    /// The institution whose existence the caller must check.
    pub fn institution(&self) -> Option<Uuid> {
        match self {
            CourseOwner::Institution { institution_id } => Some(*institution_id),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CourseType {
    Corporate,
    Specialised,
    ELearning,
    Blended,
    Onboarding,
    Mandatory,
}

/// The measures of annex 2, per priority: 1.1–1.7, 2.1–2.4, 3.1–3.4, 4.1–4.3, 5.1–5.5.
pub const MEASURES: [(StrategicPriority, u8); 5] = [
    (StrategicPriority::Integrity, 7),
    (StrategicPriority::InnovationAndCoCreation, 4),
    (StrategicPriority::LeadershipAndChange, 4),
    (StrategicPriority::DigitalTransformation, 3),
    (StrategicPriority::Professionalisation, 5),
];

/// A course's description: everything `catalogue` sets and `revise` replaces.
/// A client writes the owner as `OwnerParts`; the use case makes it a
/// `CourseOwner` (`with_owner`) once its parts and its institution check out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CourseDescription<Owner = CourseOwner> {
    pub title: String,
    pub owner: Owner,
    pub priority: StrategicPriority,
    /// Measure numbers such as "1.1", all of `priority`.
    pub measures: Vec<String>,
    pub course_type: CourseType,
    pub knowledge_test: bool,
    pub duration_minutes: i32,
    /// ISO 639-1, e.g. "lv".
    pub language: String,
    pub competencies: Vec<String>,
    /// The framework competencies the course develops, and to which level:
    /// a passed completion is evidence of them in the learner's profile.
    /// Absent from descriptions written before frameworks existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub develops: Vec<DevelopedCompetency>,
}

/// A framework competency a course develops, and the level it develops it to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DevelopedCompetency {
    pub framework_id: Uuid,
    /// The competency's code in the framework's newest version.
    pub competency: String,
    pub level: u8,
}

/// The most framework competencies one course may name.
pub const MAX_DEVELOPED: usize = 20;

impl<Owner> CourseDescription<Owner> {
    /// The same description with another owner.
    pub fn with_owner<Other>(self, owner: Other) -> CourseDescription<Other> {
        CourseDescription {
            title: self.title,
            owner,
            priority: self.priority,
            measures: self.measures,
            course_type: self.course_type,
            knowledge_test: self.knowledge_test,
            duration_minutes: self.duration_minutes,
            language: self.language,
            competencies: self.competencies,
            develops: self.develops,
        }
    }
}

impl CourseDescription {
    fn validated(&self) -> Result<Self, DomainError> {
        let title = validate::text("title", &self.title, MAX_NAME_CHARS)?;
        let owner = match &self.owner {
            CourseOwner::ProfessionalGroup { group } => CourseOwner::ProfessionalGroup {
                group: validate::text("owner.group", group, MAX_NAME_CHARS)?,
            },
            other => other.clone(),
        };
        let (_, count) = MEASURES
            .iter()
            .find(|(p, _)| *p == self.priority)
            .copied()
            .unwrap_or((self.priority, 0));
        let mut measures = Vec::new();
        for m in &self.measures {
            let m = m.trim();
            let parsed = m
                .split_once('.')
                .and_then(|(p, n)| Some((p.parse::<u8>().ok()?, n.parse::<u8>().ok()?)))
                .filter(|(p, n)| *p == self.priority.number() && (1..=count).contains(n));
            let Some((p, n)) = parsed else {
                return Err(DomainError::on(
                    "measures",
                    ErrorCode::InvalidValue,
                    format!(
                        "{m:?} is not a measure of priority {} (1 to {count})",
                        self.priority.number()
                    ),
                ));
            };
            // Canonical form, so "4.01" and "4.1" are one measure to the filters.
            measures.push(format!("{p}.{n}"));
        }
        measures.sort();
        measures.dedup();
        if !(1..=60 * 1000).contains(&self.duration_minutes) {
            return Err(DomainError::on(
                "durationMinutes",
                ErrorCode::OutOfRange,
                "a course lasts 1 to 60 000 minutes",
            ));
        }
        let language = self.language.trim().to_lowercase();
        if language.len() != 2 || !language.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(DomainError::on(
                "language",
                ErrorCode::InvalidValue,
                "a language is a two-letter ISO 639-1 code such as \"lv\"",
            ));
        }
        if self.competencies.len() > 20 {
            return Err(DomainError::on(
                "competencies",
                ErrorCode::TooLong,
                "at most 20 competencies",
            ));
        }
        let mut competencies = self
            .competencies
            .iter()
            .map(|c| validate::text("competencies", c, MAX_NAME_CHARS))
            .collect::<Result<Vec<_>, _>>()?;
        competencies.sort();
        competencies.dedup();
        if self.develops.len() > MAX_DEVELOPED {
            return Err(DomainError::on(
                "develops",
                ErrorCode::TooLong,
                format!("at most {MAX_DEVELOPED} framework competencies"),
            ));
        }
        let mut develops = self.develops.clone();
        develops.sort();
        develops.dedup();
        if develops
            .windows(2)
            .any(|w| (w[0].framework_id, &w[0].competency) == (w[1].framework_id, &w[1].competency))
        {
            return Err(DomainError::on(
                "develops.competency",
                ErrorCode::AlreadyExists,
                "a competency is named twice with different levels",
            ));
        }
        Ok(Self {
            title,
            owner,
            priority: self.priority,
            measures,
            course_type: self.course_type,
            knowledge_test: self.knowledge_test,
            duration_minutes: self.duration_minutes,
            language,
            competencies,
            develops,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CourseCommand {
    Catalogue {
        course_id: Uuid,
        description: CourseDescription,
    },
    Revise {
        description: CourseDescription,
    },
    Retire {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum CourseEvent {
    CourseCatalogued {
        course_id: Uuid,
        description: CourseDescription,
    },
    CourseRevised {
        course_id: Uuid,
        description: CourseDescription,
    },
    CourseRetired {
        course_id: Uuid,
        reason: String,
    },
}

crate::domain_event!(CourseEvent {
    CourseCatalogued,
    CourseRevised,
    CourseRetired,
});

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Course {
    pub id: Option<Uuid>,
    pub description: Option<CourseDescription>,
    pub retired: bool,
}

impl Course {
    /// The course's id while it can be offered: catalogued and not retired.
    pub fn active(&self) -> Result<Uuid, DomainError> {
        let Some(id) = self.id else {
            return Err(DomainError::on(
                "courseId",
                ErrorCode::NotFound,
                "no course is catalogued with this id",
            ));
        };
        if self.retired {
            return Err(DomainError::on(
                "courseId",
                ErrorCode::InvalidValue,
                "the course is retired",
            ));
        }
        Ok(id)
    }
}

impl Decider for Course {
    type Command = CourseCommand;
    type Event = CourseEvent;
    type State = Course;

    fn stream_id(id: Uuid) -> String {
        format!("course-{id}")
    }

    fn decide(command: &CourseCommand, state: &Course) -> Result<Vec<CourseEvent>, DomainError> {
        match command {
            CourseCommand::Catalogue { course_id, description } => {
                if state.id.is_some() {
                    return Err(DomainError::on(
                        "courseId",
                        ErrorCode::AlreadyExists,
                        "a course with this id exists",
                    ));
                }
                Ok(vec![CourseEvent::CourseCatalogued {
                    course_id: *course_id,
                    description: description.validated()?,
                }])
            }
            CourseCommand::Revise { description } => {
                let course_id = state.active()?;
                let description = description.validated()?;
                if state.description.as_ref() == Some(&description) {
                    return Err(DomainError::new(
                        ErrorCode::NothingToChange,
                        None,
                        "the revision changes nothing",
                    ));
                }
                Ok(vec![CourseEvent::CourseRevised { course_id, description }])
            }
            CourseCommand::Retire { reason } => {
                let course_id = state.active()?;
                Ok(vec![CourseEvent::CourseRetired {
                    course_id,
                    reason: validate::text("reason", reason, MAX_REASON_CHARS)?,
                }])
            }
        }
    }

    fn evolve(mut state: Course, event: &CourseEvent) -> Course {
        match event {
            CourseEvent::CourseCatalogued { course_id, description } => {
                state.id = Some(*course_id);
                state.description = Some(description.clone());
            }
            CourseEvent::CourseRevised { description, .. } => state.description = Some(description.clone()),
            CourseEvent::CourseRetired { .. } => state.retired = true,
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owner_level_needs_its_own_part_and_ignores_the_others() {
        let institution = Uuid::now_v7();
        // Given a level with the parts of another level, when the owner is built, then its own part is missing.
        let parts = |level, resor, institution_id, group| OwnerParts {
            level,
            resor,
            institution_id,
            group,
        };
        let refused =
            CourseOwner::from_parts(parts(OwnerLevel::Resor, None, Some(institution), Some("g".into()))).unwrap_err();
        assert_eq!(
            (refused.field, refused.code),
            (Some("owner.resor"), ErrorCode::Required)
        );
        let refused =
            CourseOwner::from_parts(parts(OwnerLevel::ProfessionalGroup, Some(Resor::Vk), None, None)).unwrap_err();
        assert_eq!(refused.field, Some("owner.group"));
        // Given its own part, then the others are ignored.
        let owner =
            CourseOwner::from_parts(parts(OwnerLevel::Institution, Some(Resor::Vk), Some(institution), None)).unwrap();
        assert_eq!(
            owner,
            CourseOwner::Institution {
                institution_id: institution
            }
        );
        assert_eq!(owner.institution(), Some(institution));
        let owner = CourseOwner::from_parts(parts(OwnerLevel::PublicAdministration, None, None, None)).unwrap();
        assert_eq!(
            (owner, None),
            (
                CourseOwner::PublicAdministration,
                CourseOwner::PublicAdministration.institution()
            )
        );
    }

    fn description() -> CourseDescription {
        CourseDescription {
            title: "Datu analītika valsts pārvaldē".into(),
            owner: CourseOwner::PublicAdministration,
            priority: StrategicPriority::DigitalTransformation,
            measures: vec!["4.3".into(), "4.1".into(), "4.03".into()],
            course_type: CourseType::ELearning,
            knowledge_test: true,
            duration_minutes: 480,
            language: "LV".into(),
            competencies: vec!["Datpratība".into()],
            develops: vec![],
        }
    }

    fn catalogued() -> CourseEvent {
        let mut d = description();
        d.measures = vec!["4.1".into(), "4.3".into()];
        d.language = "lv".into();
        CourseEvent::CourseCatalogued {
            course_id: Uuid::from_u128(5),
            description: d,
        }
    }

    fn when(given: &[CourseEvent], c: CourseCommand) -> Result<Vec<CourseEvent>, DomainError> {
        Course::decide(&c, &Course::fold(given))
    }

    #[test]
    fn cataloguing_normalises_measures_and_language() {
        let then = when(
            &[],
            CourseCommand::Catalogue {
                course_id: Uuid::from_u128(5),
                description: description(),
            },
        );
        assert_eq!(then, Ok(vec![catalogued()]));
    }

    #[test]
    fn measures_must_belong_to_the_priority() {
        for bad in ["1.1", "4.4", "4", "x"] {
            let mut d = description();
            d.measures = vec![bad.into()];
            let e = when(
                &[],
                CourseCommand::Catalogue {
                    course_id: Uuid::from_u128(5),
                    description: d,
                },
            )
            .unwrap_err();
            assert_eq!(e.field, Some("measures"), "{bad}");
        }
    }

    #[test]
    fn other_fields_are_checked() {
        let mut d = description();
        d.duration_minutes = 0;
        assert_eq!(
            when(
                &[],
                CourseCommand::Catalogue {
                    course_id: Uuid::nil(),
                    description: d
                }
            )
            .unwrap_err()
            .field,
            Some("durationMinutes")
        );
        let mut d = description();
        d.language = "latvian".into();
        assert_eq!(
            when(
                &[],
                CourseCommand::Catalogue {
                    course_id: Uuid::nil(),
                    description: d
                }
            )
            .unwrap_err()
            .field,
            Some("language")
        );
        let mut d = description();
        d.title = " ".into();
        assert_eq!(
            when(
                &[],
                CourseCommand::Catalogue {
                    course_id: Uuid::nil(),
                    description: d
                }
            )
            .unwrap_err()
            .field,
            Some("title")
        );
    }

    #[test]
    fn a_retired_course_cannot_change() {
        let retired = CourseEvent::CourseRetired {
            course_id: Uuid::from_u128(5),
            reason: "replaced".into(),
        };
        let given = [catalogued(), retired];
        assert_eq!(
            when(&given, CourseCommand::Retire { reason: "again".into() })
                .unwrap_err()
                .code,
            ErrorCode::InvalidValue
        );
        assert_eq!(
            when(
                &given,
                CourseCommand::Revise {
                    description: description()
                }
            )
            .unwrap_err()
            .code,
            ErrorCode::InvalidValue
        );
        assert_eq!(
            when(
                &[catalogued()],
                CourseCommand::Revise {
                    description: description()
                }
            )
            .unwrap_err()
            .code,
            ErrorCode::NothingToChange
        );
    }
    #[test]
    fn a_description_stored_before_frameworks_existed_develops_nothing() {
        use crate::DomainEvent;
        assert!(!catalogued().to_payload().to_string().contains("develops"));
        let mut payload = serde_json::to_value(description()).unwrap();
        payload.as_object_mut().unwrap().remove("develops");
        let old: CourseDescription = serde_json::from_value(payload).unwrap();
        assert!(old.develops.is_empty());
    }

    #[test]
    fn a_framework_competency_is_named_once() {
        let link = |level| DevelopedCompetency {
            framework_id: Uuid::from_u128(5),
            competency: "1.1".into(),
            level,
        };
        let mut d = description();
        d.develops = vec![link(3), link(3), link(2)];
        let catalogue = CourseCommand::Catalogue {
            course_id: Uuid::from_u128(5),
            description: d,
        };
        let e = Course::decide(&catalogue, &Course::default()).unwrap_err();
        assert_eq!(
            (e.code, e.field),
            (ErrorCode::AlreadyExists, Some("develops.competency"))
        );
    }
}

#[cfg(test)]
mod stored_form {
    use super::*;
    use crate::DomainEvent;

    #[test]
    fn course_events_round_trip_through_their_stored_form() {
        for owner in [
            CourseOwner::PublicAdministration,
            CourseOwner::Resor { resor: Resor::Fm },
            CourseOwner::Institution {
                institution_id: Uuid::from_u128(3),
            },
            CourseOwner::ProfessionalGroup {
                group: "Juristi".into(),
            },
        ] {
            let e = CourseEvent::CourseCatalogued {
                course_id: Uuid::from_u128(1),
                description: CourseDescription {
                    title: "T".into(),
                    owner,
                    priority: StrategicPriority::Integrity,
                    measures: vec!["1.1".into()],
                    course_type: CourseType::ELearning,
                    knowledge_test: false,
                    duration_minutes: 60,
                    language: "lv".into(),
                    competencies: vec![],
                    develops: vec![],
                },
            };
            let payload = e.to_payload();
            assert_eq!(
                CourseEvent::from_stored(e.event_type(), 1, &payload),
                Ok(e),
                "{payload}"
            );
        }
    }
}
