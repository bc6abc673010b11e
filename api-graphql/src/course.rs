//! The course catalogue over GraphQL.

use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, SimpleObject, ID};
use prasme_commands::{CatalogueCourse, DescribeCourse, RetireCourse, ReviseCourse};
use prasme_domain::course::OwnerParts;
use prasme_projections::course::read::{self, CourseFilter, CourseRow};
use std::marker::PhantomData;

use uuid::Uuid;

use crate::complexity::page;
use crate::context::{api, read_models, reads};
use crate::errors::{bad_input, db, nest_fields, text_argument};
use crate::model::{Institution, Resor, StrategicPriority};
use crate::mutation::{command, outcome, settle, stream_uuid, use_cases, Outcome};
use crate::offering::{list_offerings, Offering, OfferingFilter};
use crate::paging::{connection, window, Keyed};
use crate::payload::{names, payload_type_name, MutationName};
use crate::scalars::Position;

/// What kind of course it is. A label for finding courses: no rule depends on it.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::course::CourseType")]
pub enum CourseType {
    /// A corporate programme: shared learning for employees across institutions.
    Corporate,
    /// Specialised training for a particular function or profession.
    Specialised,
    /// An e-learning course, taken online.
    ELearning,
    /// Blended learning: e-learning combined with taught sessions.
    Blended,
    /// Onboarding (induction) for new employees.
    Onboarding,
    /// Mandatory training, such as the integrity training for civil servants.
    Mandatory,
}

/// The level of the multi-level catalogue that publishes a course.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::course::OwnerLevel")]
pub enum CourseOwnerLevel {
    /// The School of Public Administration (VAS), for everyone.
    PublicAdministration,
    /// A resor (ministry portfolio).
    Resor,
    /// One institution.
    Institution,
    /// A professional group, such as procurement specialists.
    ProfessionalGroup,
}

/// Who publishes a course: a catalogue level and the one part that level needs; parts of other levels are ignored.
#[derive(InputObject)]
pub struct CourseOwnerInput {
    /// The catalogue level. RESOR needs `resor`, INSTITUTION needs `institutionId` (a registered institution, else
    /// NOT_FOUND), PROFESSIONAL_GROUP needs `group`; a missing part is refused with REQUIRED.
    pub level: CourseOwnerLevel,
    /// With level RESOR.
    pub resor: Option<Resor>,
    /// With level INSTITUTION.
    pub institution_id: Option<Uuid>,
    /// With level PROFESSIONAL_GROUP, e.g. "Iepirkumu speciālisti".
    pub group: Option<String>,
}

/// Everything that describes a course; a revision replaces all of it.
#[derive(InputObject)]
pub struct CourseDescriptionInput {
    /// The course title: trimmed, 1 to 200 characters, no control characters.
    pub title: String,
    /// Who publishes the course.
    pub owner: CourseOwnerInput,
    /// The strategic priority of the plan that the course serves.
    pub priority: StrategicPriority,
    /// Measures of the priority, e.g. ["4.1", "4.3"].
    pub measures: Vec<String>,
    /// What kind of course it is.
    pub course_type: CourseType,
    /// True when the course has a knowledge test.
    pub knowledge_test: bool,
    /// How long the course lasts, in minutes, from 1 to 60 000.
    pub duration_minutes: i32,
    /// ISO 639-1, e.g. "lv".
    pub language: String,
    /// The competencies the course develops: at most 20, each 1 to 200 characters; duplicates are dropped.
    /// Defaults to none.
    #[graphql(default)]
    pub competencies: Vec<String>,
    /// The framework competencies the course develops, each with the level it develops it to: at most 20, each
    /// competency once; a passed completion is evidence of them in the learner's competency profile. Defaults to none.
    #[graphql(default)]
    pub develops: Vec<DevelopedCompetencyInput>,
}

/// A framework competency a course develops.
#[derive(InputObject)]
pub struct DevelopedCompetencyInput {
    /// The framework; not retired.
    pub framework_id: Uuid,
    /// The competency's code in the framework's newest version, such as "1.2".
    pub competency: String,
    /// The level on the competency's scale that the course develops it to.
    pub level: i32,
}

/// A framework competency a course develops.
#[derive(SimpleObject, Clone)]
pub struct DevelopedCompetency {
    /// The framework.
    pub framework_id: Uuid,
    /// The competency's code in the framework.
    pub competency: String,
    /// The level the course develops it to.
    pub level: i32,
}

/// A new course for the catalogue.
#[derive(InputObject)]
pub struct CatalogueCourseInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// Defaults to the command id, so a retried command names the same course.
    pub course_id: Option<Uuid>,
    /// The course's description.
    pub description: CourseDescriptionInput,
}

/// A new description for a catalogued course.
#[derive(InputObject)]
pub struct ReviseCourseInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the stream is at this version.
    pub expected_version: Option<i64>,
    /// The course to revise.
    pub course_id: Uuid,
    /// Replaces the whole description.
    pub description: CourseDescriptionInput,
}

/// The withdrawal of a course from the catalogue.
#[derive(InputObject)]
pub struct RetireCourseInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the stream is at this version.
    pub expected_version: Option<i64>,
    /// The course to retire.
    pub course_id: Uuid,
    /// Why the course is retired: trimmed, 1 to 1 000 characters, no control characters. It stays in the history
    /// for good, so it is no place for personal data.
    pub reason: String,
}

/// The description as the use case takes it.
fn describe(d: CourseDescriptionInput) -> DescribeCourse {
    DescribeCourse {
        title: d.title,
        owner: OwnerParts {
            level: d.owner.level.into(),
            resor: d.owner.resor.map(Into::into),
            institution_id: d.owner.institution_id,
            group: d.owner.group,
        },
        priority: d.priority.into(),
        measures: d.measures,
        course_type: d.course_type.into(),
        knowledge_test: d.knowledge_test,
        duration_minutes: d.duration_minutes,
        language: d.language,
        competencies: d.competencies,
        develops: d
            .develops
            .into_iter()
            .map(|l| prasme_domain::course::DevelopedCompetency {
                framework_id: l.framework_id,
                competency: l.competency,
                level: crate::competency::level_number(l.level),
            })
            .collect(),
    }
}

/// What a course command answers with.
#[derive(SimpleObject)]
#[graphql(complex, name_type)]
pub struct CoursePayload<M: MutationName> {
    /// The course the command wrote to; null when the command was refused.
    pub course_id: Option<Uuid>,
    #[graphql(flatten)]
    pub outcome: Outcome,
    #[graphql(skip)]
    mutation: PhantomData<M>,
}
payload_type_name!(CoursePayload);

#[ComplexObject]
impl<M: MutationName> CoursePayload<M> {
    /// The course as the read model has it once this command is projected.
    async fn course(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Course>> {
        let (Some(id), Some(position)) = (self.course_id, self.outcome.position) else {
            return Ok(None);
        };
        api(ctx)?.reach(read_models::COURSES, Some(position.0)).await?;
        course_by_id(ctx, id).await
    }
}

/// A reused command id answers with its first result, whichever stream that was.
fn payload<M: MutationName>(
    result: Result<prasme_commands::Accepted, Vec<crate::errors::UserError>>,
) -> CoursePayload<M> {
    CoursePayload {
        course_id: result.as_ref().ok().and_then(|a| stream_uuid(&a.stream_id)),
        outcome: outcome(&result),
        mutation: PhantomData,
    }
}

/// The description's rules name its own fields (`title`, `owner.group`);
/// the client wrote them inside `input.description`.
fn within_description<M: MutationName>(mut payload: CoursePayload<M>) -> CoursePayload<M> {
    nest_fields(
        &mut payload.outcome.user_errors,
        "description",
        &["expectedVersion", "courseId", "commandId"],
    );
    payload
}

#[derive(Default)]
pub struct CourseMutation;

#[Object]
impl CourseMutation {
    /// Adds a course to the catalogue. Refused in `userErrors` when the owner or the description breaks a rule, or
    /// with ALREADY_EXISTS when a course has this `courseId`.
    async fn catalogue_course(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The course to catalogue.")] input: CatalogueCourseInput,
    ) -> async_graphql::Result<CoursePayload<names::CatalogueCourse>> {
        let cc = command(ctx, input.command_id, None)?;
        let catalogue = CatalogueCourse {
            course_id: input.course_id,
            description: describe(input.description),
        };
        let result = settle(use_cases(ctx)?.catalogue_course(&cc, catalogue).await)?;
        Ok(within_description(payload(result)))
    }

    /// Replaces a course's whole description. Refused in `userErrors` with NOT_FOUND for an unknown course,
    /// INVALID_VALUE for a retired one, NOTHING_TO_CHANGE when the description is the same, or when the owner or
    /// the description breaks a rule.
    async fn revise_course(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The course and its new description.")] input: ReviseCourseInput,
    ) -> async_graphql::Result<CoursePayload<names::ReviseCourse>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let revise = ReviseCourse {
            course_id: input.course_id,
            description: describe(input.description),
        };
        let result = settle(use_cases(ctx)?.revise_course(&cc, revise).await)?;
        Ok(within_description(payload(result)))
    }

    /// A retired course takes no new offerings; its history stays.
    async fn retire_course(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The course to retire and why.")] input: RetireCourseInput,
    ) -> async_graphql::Result<CoursePayload<names::RetireCourse>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let retire = RetireCourse {
            course_id: input.course_id,
            reason: input.reason,
        };
        Ok(payload(settle(use_cases(ctx)?.retire_course(&cc, retire).await)?))
    }
}

/// A course of the multi-level catalogue.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Course {
    #[graphql(skip)]
    pub id: Uuid,
    /// The course title.
    pub title: String,
    /// The catalogue level that publishes the course.
    pub owner_level: CourseOwnerLevel,
    /// The resor that publishes the course when the owner level is RESOR; null otherwise.
    pub owner_resor: Option<Resor>,
    /// The professional group that publishes the course when the owner level is PROFESSIONAL_GROUP; null otherwise.
    pub owner_group: Option<String>,
    /// The strategic priority of the plan that the course serves.
    pub priority: StrategicPriority,
    /// The priority's measures the course serves, such as "4.1": sorted, no duplicates, possibly none.
    pub measures: Vec<String>,
    /// What kind of course it is.
    pub course_type: CourseType,
    /// True when the course has a knowledge test.
    pub knowledge_test: bool,
    /// How long the course lasts, in minutes, from 1 to 60 000.
    pub duration_minutes: i32,
    /// The course's language as a two-letter lowercase ISO 639-1 code, e.g. "lv".
    pub language: String,
    /// The competencies the course develops: sorted, no duplicates, at most 20.
    pub competencies: Vec<String>,
    /// The framework competencies the course develops, each with its level.
    pub develops: Vec<DevelopedCompetency>,
    /// True once the course is retired: it takes no new offerings and cannot be revised.
    pub retired: bool,
    /// Why the course was retired; null while it is not.
    pub retired_reason: Option<String>,
    #[graphql(skip)]
    pub owner_institution_id: Option<Uuid>,
}

#[ComplexObject]
impl Course {
    /// The course's id: a UUID that names this course and nothing else, so `node(id:)` finds it.
    pub(crate) async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// The course's offerings by start date, then id, narrowed by the
    /// filter; its `course`, if given, must be this course.
    #[graphql(complexity = "page(first.or(last).unwrap_or(50), child_complexity)")]
    async fn offerings(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Narrows the offerings; its `course`, if given, must be this course, or the field fails \
                           with BAD_USER_INPUT."
        )]
        filter: Option<OfferingFilter>,
        #[graphql(
            desc = "How many offerings to read from the start (after `after`), 1 to 500; 50 when neither \
                           `first` nor `last` is given. Not together with `last`."
        )]
        first: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the offerings after it.")] after: Option<String>,
        #[graphql(
            desc = "How many offerings to read from the end (before `before`), 1 to 500. Not together with \
                           `first`."
        )]
        last: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the offerings before it.")] before: Option<String>,
    ) -> async_graphql::Result<Keyed<Offering>> {
        let filter = filter.unwrap_or_default();
        if filter.course.is_some_and(|c| c != self.id) {
            return Err(bad_input("filter.course names another course"));
        }
        let filter = OfferingFilter {
            course: Some(self.id),
            ..filter
        };
        list_offerings(ctx, filter, (first, after, last, before)).await
    }

    /// The institution that publishes the course when the owner level is INSTITUTION; null otherwise.
    async fn owner_institution(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Institution>> {
        let Some(id) = self.owner_institution_id else {
            return Ok(None);
        };
        crate::model::institution(ctx, id).await
    }
}

impl From<CourseRow> for Course {
    fn from(r: CourseRow) -> Self {
        let owner = r.owner.parts();
        Course {
            id: r.id,
            title: r.title,
            owner_level: owner.level.into(),
            owner_resor: owner.resor.map(Into::into),
            owner_group: owner.group,
            priority: r.priority.into(),
            measures: r.measures,
            course_type: r.course_type.into(),
            knowledge_test: r.knowledge_test,
            duration_minutes: r.duration_minutes,
            language: r.language,
            competencies: r.competencies,
            develops: r
                .develops
                .into_iter()
                .map(|l| DevelopedCompetency {
                    framework_id: l.framework_id,
                    competency: l.competency,
                    level: i32::from(l.level),
                })
                .collect(),
            retired: r.retired,
            retired_reason: r.retired_reason,
            owner_institution_id: owner.institution_id,
        }
    }
}

pub(crate) async fn course_by_id(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<Course>> {
    let row = read::course_by_id(&*reads(ctx).await?, id).await.map_err(db)?;
    Ok(row.map(Into::into))
}

#[derive(Default)]
pub struct CourseQuery;

#[Object]
impl CourseQuery {
    /// The course with this id, retired or not; null with a NOT_FOUND error when there is none.
    async fn course(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The course's id.")] id: Uuid,
        #[graphql(
            desc = "Waits (bounded) until the read models include this event-log position, such as a \
                           mutation's `position`, to read one's own writes; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Option<Course>> {
        api(ctx)?
            .reach(read_models::COURSES, at_least_position.map(|p| p.0))
            .await?;
        crate::errors::found(course_by_id(ctx, id).await?, "no course has this id")
    }

    /// The catalogue by title, then id, narrowed by the filters; 50 a page
    /// unless `first` or `last` says.
    #[graphql(complexity = "page(first.or(last).unwrap_or(50), child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn courses(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many courses to read from the start (after `after`), 1 to 500; 50 when neither \
                           `first` nor `last` is given. Not together with `last`."
        )]
        first: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the courses after it.")] after: Option<String>,
        #[graphql(
            desc = "How many courses to read from the end (before `before`), 1 to 500. Not together with \
                           `first`."
        )]
        last: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the courses before it.")] before: Option<String>,
        #[graphql(desc = "Only courses of this strategic priority.")] priority: Option<StrategicPriority>,
        #[graphql(desc = "A measure such as \"1.1\".")] measure: Option<String>,
        #[graphql(desc = "Only courses of this type.")] course_type: Option<CourseType>,
        #[graphql(desc = "Only courses published at this catalogue level.")] owner_level: Option<CourseOwnerLevel>,
        #[graphql(
            desc = "Only courses that develop this competency: the name as stored, letter case included \
                           (surrounding spaces are ignored)."
        )]
        competency: Option<String>,
        #[graphql(default, desc = "True to list retired courses too; false by default.")] include_retired: bool,
        #[graphql(
            desc = "Waits (bounded) until the read models include this event-log position, such as a \
                           mutation's `position`, to read one's own writes; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Keyed<Course>> {
        let api = api(ctx)?;
        api.reach(read_models::COURSES, at_least_position.map(|p| p.0)).await?;
        let measure = measure.map(|m| text_argument("measure", &m)).transpose()?;
        let competency = competency.map(|c| text_argument("competency", &c)).transpose()?;
        let window = window(first, after, last, before, 50)?;
        let filter = CourseFilter {
            priority: priority.map(Into::into),
            measure,
            course_type: course_type.map(Into::into),
            owner_level: owner_level.map(Into::into),
            competency,
            include_retired,
        };
        let page = read::courses(&*reads(ctx).await?, &filter, &window).await.map_err(db)?;
        Ok(connection(&window, page, Course::from))
    }
}
