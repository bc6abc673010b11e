//! Competency frameworks (issue 20, measures 3.1, 3.2 and 4.1): areas of
//! competencies, each with a level scale and the level each job group
//! requires. A revision publishes a new version and keeps the old ones, so
//! that an assessment keeps pointing at the version it used; a retired
//! framework takes no new assessments. See `docs/competencies.md`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::employee::JobGroup;
use crate::validate::{self, MAX_NAME_CHARS, MAX_REASON_CHARS};
use crate::{Decider, DomainError, ErrorCode};

/// The most levels a scale may have: DigComp 2.2 has 8.
pub const MAX_LEVELS: usize = 8;

/// The most competencies one framework may hold (DigComp has 21): every
/// version is kept in the aggregate and every assessment names one, so the
/// framework stays small enough to load whole.
pub const MAX_COMPETENCIES: usize = 100;

/// One level of a competency's scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Level {
    /// 1 for the lowest, counting up without gaps.
    pub number: u8,
    pub name: String,
    pub description: String,
    /// The band the level belongs to, where the framework groups levels
    /// (DigComp: foundation, intermediate, advanced, highly specialised).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<String>,
}

/// The level a job group must reach in a competency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequiredLevel {
    pub job_group: JobGroup,
    pub level: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Competency {
    /// Unique within the framework, such as "1.2".
    pub code: String,
    pub name: String,
    pub levels: Vec<Level>,
    pub required: Vec<RequiredLevel>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Area {
    pub code: String,
    pub name: String,
    pub competencies: Vec<Competency>,
}

/// What one version of a framework says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameworkContent {
    pub title: String,
    pub areas: Vec<Area>,
}

impl FrameworkContent {
    /// Trimmed text, unique codes, scales numbered 1..n (2 ≤ n ≤ 8) and
    /// required levels on the scale, each job group at most once.
    pub fn validated(&self) -> Result<Self, DomainError> {
        let title = validate::text("title", &self.title, MAX_NAME_CHARS)?;
        if self.areas.is_empty() {
            return Err(DomainError::on(
                "areas",
                ErrorCode::Required,
                "a framework needs an area",
            ));
        }
        let count: usize = self.areas.iter().map(|a| a.competencies.len()).sum();
        if count > MAX_COMPETENCIES {
            return Err(DomainError::on(
                "areas.competencies",
                ErrorCode::OutOfRange,
                format!("a framework holds at most {MAX_COMPETENCIES} competencies, got {count}"),
            ));
        }
        let mut area_codes = Vec::new();
        let mut competency_codes = Vec::new();
        let mut areas = Vec::with_capacity(self.areas.len());
        for area in &self.areas {
            let code = validate::text("areas.code", &area.code, MAX_NAME_CHARS)?;
            if area_codes.contains(&code) {
                return Err(duplicate("areas.code", &code));
            }
            area_codes.push(code.clone());
            if area.competencies.is_empty() {
                return Err(DomainError::on(
                    "areas.competencies",
                    ErrorCode::Required,
                    format!("area {code} needs a competency"),
                ));
            }
            let mut competencies = Vec::with_capacity(area.competencies.len());
            for c in &area.competencies {
                let competency = c.validated()?;
                if competency_codes.contains(&competency.code) {
                    return Err(duplicate("areas.competencies.code", &competency.code));
                }
                competency_codes.push(competency.code.clone());
                competencies.push(competency);
            }
            areas.push(Area {
                code,
                name: validate::text("areas.name", &area.name, MAX_NAME_CHARS)?,
                competencies,
            });
        }
        Ok(Self { title, areas })
    }

    /// The competency with this code.
    pub fn competency(&self, code: &str) -> Option<&Competency> {
        self.areas.iter().flat_map(|a| &a.competencies).find(|c| c.code == code)
    }
}

impl Competency {
    fn validated(&self) -> Result<Self, DomainError> {
        let code = validate::text("areas.competencies.code", &self.code, MAX_NAME_CHARS)?;
        if !(2..=MAX_LEVELS).contains(&self.levels.len()) {
            return Err(DomainError::on(
                "areas.competencies.levels",
                ErrorCode::OutOfRange,
                format!(
                    "competency {code} needs 2 to {MAX_LEVELS} levels, got {}",
                    self.levels.len()
                ),
            ));
        }
        let mut levels = Vec::with_capacity(self.levels.len());
        for (i, level) in self.levels.iter().enumerate() {
            if usize::from(level.number) != i + 1 {
                return Err(DomainError::on(
                    "areas.competencies.levels.number",
                    ErrorCode::InvalidValue,
                    format!(
                        "competency {code}: levels are numbered 1, 2, … in order; level {} is number {}",
                        i + 1,
                        level.number
                    ),
                ));
            }
            levels.push(Level {
                number: level.number,
                name: validate::text("areas.competencies.levels.name", &level.name, MAX_NAME_CHARS)?,
                description: validate::text(
                    "areas.competencies.levels.description",
                    &level.description,
                    MAX_REASON_CHARS,
                )?,
                band: level
                    .band
                    .as_deref()
                    .map(|b| validate::text("areas.competencies.levels.band", b, MAX_NAME_CHARS))
                    .transpose()?,
            });
        }
        let mut required: Vec<RequiredLevel> = Vec::with_capacity(self.required.len());
        for r in &self.required {
            if required.iter().any(|seen| seen.job_group == r.job_group) {
                return Err(DomainError::on(
                    "areas.competencies.required.jobGroup",
                    ErrorCode::AlreadyExists,
                    format!("competency {code} names a job group's required level twice"),
                ));
            }
            on_scale("areas.competencies.required.level", &code, r.level, levels.len())?;
            required.push(*r);
        }
        Ok(Self {
            name: validate::text("areas.competencies.name", &self.name, MAX_NAME_CHARS)?,
            code,
            levels,
            required,
        })
    }

    /// `level`, if it is on this competency's scale.
    pub fn level(&self, field: &'static str, level: u8) -> Result<u8, DomainError> {
        on_scale(field, &self.code, level, self.levels.len())
    }
}

fn on_scale(field: &'static str, code: &str, level: u8, levels: usize) -> Result<u8, DomainError> {
    if level == 0 || usize::from(level) > levels {
        return Err(DomainError::on(
            field,
            ErrorCode::OutOfRange,
            format!("competency {code} has levels 1 to {levels}, not {level}"),
        ));
    }
    Ok(level)
}

fn duplicate(field: &'static str, code: &str) -> DomainError {
    DomainError::on(
        field,
        ErrorCode::AlreadyExists,
        format!("the code {code} is used twice"),
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameworkCommand {
    Publish {
        framework_id: Uuid,
        content: FrameworkContent,
    },
    Revise {
        content: FrameworkContent,
    },
    Retire {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum FrameworkEvent {
    CompetencyFrameworkPublished {
        framework_id: Uuid,
        /// Always 1.
        version: u32,
        content: FrameworkContent,
    },
    /// A new version; the earlier ones stay for the assessments made on them.
    CompetencyFrameworkRevised {
        framework_id: Uuid,
        version: u32,
        content: FrameworkContent,
    },
    CompetencyFrameworkRetired {
        framework_id: Uuid,
        reason: String,
    },
}

crate::domain_event!(FrameworkEvent {
    CompetencyFrameworkPublished,
    CompetencyFrameworkRevised,
    CompetencyFrameworkRetired,
});

/// A framework's every version, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Framework {
    pub id: Option<Uuid>,
    pub versions: Vec<FrameworkContent>,
    pub retired: bool,
}

impl Framework {
    fn open(&self) -> Result<Uuid, DomainError> {
        let Some(id) = self.id else {
            return Err(DomainError::on(
                "frameworkId",
                ErrorCode::NotFound,
                "no competency framework is published with this id",
            ));
        };
        if self.retired {
            return Err(DomainError::on(
                "frameworkId",
                ErrorCode::InvalidValue,
                "the framework is retired",
            ));
        }
        Ok(id)
    }

    /// The competency an assessment names, on the framework version it
    /// names, with the level checked against its scale: what an
    /// assessment on another aggregate checks here.
    pub fn assessable(&self, version: u32, code: &str, level: u8) -> Result<&Competency, DomainError> {
        self.open()?;
        let content = version
            .checked_sub(1)
            .and_then(|i| self.versions.get(i as usize))
            .ok_or_else(|| {
                DomainError::on(
                    "frameworkVersion",
                    ErrorCode::NotFound,
                    format!("the framework has versions 1 to {}", self.versions.len()),
                )
            })?;
        let competency = content.competency(code).ok_or_else(|| {
            DomainError::on(
                "competency",
                ErrorCode::NotFound,
                format!("version {version} of the framework has no competency {code}"),
            )
        })?;
        competency.level("level", level)?;
        Ok(competency)
    }
}

impl Framework {
    /// Whether a course may name this competency and level as what it
    /// develops: on the newest version of a framework not retired. The
    /// fields are the course description's.
    pub fn developable(&self, code: &str, level: u8) -> Result<(), DomainError> {
        let newest = self.versions.len() as u32;
        self.assessable(newest, code, level)
            .map(|_| ())
            .map_err(|e| DomainError {
                field: Some(match e.field {
                    Some("competency") => "develops.competency",
                    Some("level") => "develops.level",
                    _ => "develops.frameworkId",
                }),
                ..e
            })
    }
}

impl Decider for Framework {
    type Command = FrameworkCommand;
    type Event = FrameworkEvent;
    type State = Framework;

    fn stream_id(id: Uuid) -> String {
        format!("competency-framework-{id}")
    }

    fn decide(command: &FrameworkCommand, state: &Framework) -> Result<Vec<FrameworkEvent>, DomainError> {
        match command {
            FrameworkCommand::Publish { framework_id, content } => {
                if state.id.is_some() {
                    return Err(DomainError::on(
                        "frameworkId",
                        ErrorCode::AlreadyExists,
                        "a framework with this id exists",
                    ));
                }
                Ok(vec![FrameworkEvent::CompetencyFrameworkPublished {
                    framework_id: *framework_id,
                    version: 1,
                    content: content.validated()?,
                }])
            }
            FrameworkCommand::Revise { content } => {
                let framework_id = state.open()?;
                let content = content.validated()?;
                if state.versions.last() == Some(&content) {
                    return Err(DomainError::new(
                        ErrorCode::NothingToChange,
                        None,
                        "the revision changes nothing",
                    ));
                }
                Ok(vec![FrameworkEvent::CompetencyFrameworkRevised {
                    framework_id,
                    version: state.versions.len() as u32 + 1,
                    content,
                }])
            }
            FrameworkCommand::Retire { reason } => {
                let framework_id = state.open()?;
                Ok(vec![FrameworkEvent::CompetencyFrameworkRetired {
                    framework_id,
                    reason: validate::text("reason", reason, MAX_REASON_CHARS)?,
                }])
            }
        }
    }

    fn evolve(mut state: Framework, event: &FrameworkEvent) -> Framework {
        match event {
            FrameworkEvent::CompetencyFrameworkPublished {
                framework_id, content, ..
            } => {
                state.id = Some(*framework_id);
                state.versions = vec![content.clone()];
            }
            FrameworkEvent::CompetencyFrameworkRevised { content, .. } => state.versions.push(content.clone()),
            FrameworkEvent::CompetencyFrameworkRetired { .. } => state.retired = true,
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DomainEvent;

    fn level(number: u8) -> Level {
        Level {
            number,
            name: format!("Level {number}"),
            description: "Can do it with guidance".into(),
            band: None,
        }
    }

    fn competency(code: &str, levels: u8) -> Competency {
        Competency {
            code: code.into(),
            name: "Information and data literacy".into(),
            levels: (1..=levels).map(level).collect(),
            required: vec![RequiredLevel {
                job_group: JobGroup::TopManager,
                level: levels,
            }],
        }
    }

    fn content(competencies: Vec<Competency>) -> FrameworkContent {
        FrameworkContent {
            title: "  Digital competence  ".into(),
            areas: vec![Area {
                code: "1".into(),
                name: "Information".into(),
                competencies,
            }],
        }
    }

    fn given(events: &[FrameworkEvent]) -> Framework {
        Framework::fold(events)
    }

    fn published(id: Uuid) -> FrameworkEvent {
        FrameworkEvent::CompetencyFrameworkPublished {
            framework_id: id,
            version: 1,
            content: content(vec![competency("1.1", 8)]).validated().unwrap(),
        }
    }

    #[test]
    fn publishing_validates_and_starts_at_version_one() {
        let id = Uuid::nil();
        let events = Framework::decide(
            &FrameworkCommand::Publish {
                framework_id: id,
                content: content(vec![competency("1.1", 8)]),
            },
            &Framework::default(),
        )
        .unwrap();
        assert_eq!(events, vec![published(id)]);
        let FrameworkEvent::CompetencyFrameworkPublished { content, .. } = &events[0] else {
            unreachable!()
        };
        assert_eq!(content.title, "Digital competence");
    }

    #[test]
    fn a_scale_must_count_from_one_without_gaps_and_required_levels_stay_on_it() {
        let mut gap = competency("1.1", 3);
        gap.levels[2].number = 4;
        let mut off_scale = competency("1.1", 3);
        off_scale.required[0].level = 4;
        let mut twice = competency("1.1", 3);
        twice.required.push(twice.required[0]);
        for (bad, field) in [
            (gap, "areas.competencies.levels.number"),
            (off_scale, "areas.competencies.required.level"),
            (twice, "areas.competencies.required.jobGroup"),
            (competency("1.1", 1), "areas.competencies.levels"),
            (competency("1.1", 9), "areas.competencies.levels"),
        ] {
            let e = content(vec![bad]).validated().unwrap_err();
            assert_eq!(e.field, Some(field), "{e:?}");
        }
        let e = content(vec![competency("1.1", 3), competency("1.1", 3)])
            .validated()
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::AlreadyExists);
        let too_many = (0..=MAX_COMPETENCIES)
            .map(|i| competency(&format!("1.{i}"), 2))
            .collect();
        let e = content(too_many).validated().unwrap_err();
        assert_eq!((e.code, e.field), (ErrorCode::OutOfRange, Some("areas.competencies")));
    }

    #[test]
    fn a_revision_adds_a_version_and_old_versions_stay_assessable() {
        let id = Uuid::nil();
        let state = given(&[published(id)]);
        let revised = content(vec![competency("1.1", 8), competency("1.2", 4)]);
        let events = Framework::decide(&FrameworkCommand::Revise { content: revised }, &state).unwrap();
        let state = events.iter().fold(state, Framework::evolve);
        assert_eq!(state.versions.len(), 2);
        assert!(state.assessable(1, "1.1", 8).is_ok());
        assert_eq!(state.assessable(1, "1.2", 1).unwrap_err().code, ErrorCode::NotFound);
        assert!(state.assessable(2, "1.2", 4).is_ok());
        assert_eq!(state.assessable(2, "1.2", 5).unwrap_err().code, ErrorCode::OutOfRange);
        assert_eq!(
            state.assessable(3, "1.1", 1).unwrap_err().field,
            Some("frameworkVersion")
        );
    }

    #[test]
    fn a_revision_that_changes_nothing_is_refused() {
        let state = given(&[published(Uuid::nil())]);
        let same = content(vec![competency("1.1", 8)]);
        let e = Framework::decide(&FrameworkCommand::Revise { content: same }, &state).unwrap_err();
        assert_eq!(e.code, ErrorCode::NothingToChange);
    }

    #[test]
    fn a_retired_framework_takes_no_revision_and_no_assessment() {
        let id = Uuid::nil();
        let retired = FrameworkEvent::CompetencyFrameworkRetired {
            framework_id: id,
            reason: "replaced by DigComp 3.0".into(),
        };
        let state = given(&[published(id), retired]);
        let revise = FrameworkCommand::Revise {
            content: content(vec![competency("1.1", 4)]),
        };
        assert_eq!(
            Framework::decide(&revise, &state).unwrap_err().code,
            ErrorCode::InvalidValue
        );
        assert_eq!(state.assessable(1, "1.1", 1).unwrap_err().field, Some("frameworkId"));
    }

    #[test]
    fn a_course_develops_a_competency_of_the_newest_version_of_a_live_framework() {
        let id = Uuid::nil();
        let state = given(&[published(id)]);
        assert!(state.developable("1.1", 8).is_ok());
        assert_eq!(state.developable("1.1", 9).unwrap_err().field, Some("develops.level"));
        assert_eq!(
            state.developable("9.9", 1).unwrap_err().field,
            Some("develops.competency")
        );
        let e = Framework::default().developable("1.1", 1).unwrap_err();
        assert_eq!((e.code, e.field), (ErrorCode::NotFound, Some("develops.frameworkId")));
    }

    #[test]
    fn events_round_trip_through_their_stored_form() {
        let event = published(Uuid::nil());
        let payload = event.to_payload();
        assert_eq!(
            payload["content"]["areas"][0]["competencies"][0]["required"][0]["jobGroup"],
            "TOP_MANAGER"
        );
        let back = FrameworkEvent::from_stored(event.event_type(), FrameworkEvent::SCHEMA_VERSION, &payload).unwrap();
        assert_eq!(back, event);
    }
}
