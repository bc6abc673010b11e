//! The course catalogue over GraphQL.

use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, SimpleObject};
use prasme_commands::{CatalogueCourse, DescribeCourse, RetireCourse, ReviseCourse};
use prasme_domain::course::OwnerParts;
use prasme_projections::course::read::{self, CourseFilter, CourseRow};
use uuid::Uuid;

use crate::complexity::page;
use crate::context::{api, read_models, reads};
use crate::errors::{bad_input, db, text_argument};
use crate::model::{Institution, Resor, StrategicPriority};
use crate::mutation::{command, outcome, settle, stream_uuid, use_cases, Outcome};
use crate::offering::{list_offerings, Offering, OfferingFilter};
use crate::paging::{connection, window, Keyed};
use crate::scalars::Position;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::course::CourseType")]
pub enum CourseType {
    Corporate,
    Specialised,
    ELearning,
    Blended,
    Onboarding,
    Mandatory,
}

/// The level of the multi-level catalogue that publishes a course.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::course::OwnerLevel")]
pub enum CourseOwnerLevel {
    /// The School of Public Administration (VAS), for everyone.
    PublicAdministration,
    Resor,
    Institution,
    ProfessionalGroup,
}

#[derive(InputObject)]
pub struct CourseOwnerInput {
    pub level: CourseOwnerLevel,
    /// With level RESOR.
    pub resor: Option<Resor>,
    /// With level INSTITUTION.
    pub institution_id: Option<Uuid>,
    /// With level PROFESSIONAL_GROUP, e.g. "Iepirkumu speciālisti".
    pub group: Option<String>,
}

#[derive(InputObject)]
pub struct CourseDescriptionInput {
    pub title: String,
    pub owner: CourseOwnerInput,
    pub priority: StrategicPriority,
    /// Measures of the priority, e.g. ["4.1", "4.3"].
    pub measures: Vec<String>,
    pub course_type: CourseType,
    pub knowledge_test: bool,
    pub duration_minutes: i32,
    /// ISO 639-1, e.g. "lv".
    pub language: String,
    #[graphql(default)]
    pub competencies: Vec<String>,
}

#[derive(InputObject)]
pub struct CatalogueCourseInput {
    pub command_id: Option<Uuid>,
    /// Defaults to the command id, so a retried command names the same course.
    pub course_id: Option<Uuid>,
    pub description: CourseDescriptionInput,
}

#[derive(InputObject)]
pub struct ReviseCourseInput {
    pub command_id: Option<Uuid>,
    pub expected_version: Option<i64>,
    pub course_id: Uuid,
    /// Replaces the whole description.
    pub description: CourseDescriptionInput,
}

#[derive(InputObject)]
pub struct RetireCourseInput {
    pub command_id: Option<Uuid>,
    pub expected_version: Option<i64>,
    pub course_id: Uuid,
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
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CoursePayload {
    pub course_id: Option<Uuid>,
    #[graphql(flatten)]
    pub outcome: Outcome,
}

#[ComplexObject]
impl CoursePayload {
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
fn payload(result: Result<prasme_commands::Accepted, Vec<crate::errors::UserError>>) -> CoursePayload {
    CoursePayload {
        course_id: result.as_ref().ok().and_then(|a| stream_uuid(&a.stream_id)),
        outcome: outcome(&result),
    }
}

/// The description's rules name its own fields (`title`, `owner.group`);
/// the client wrote them inside `input.description`.
fn within_description(mut payload: CoursePayload) -> CoursePayload {
    for e in &mut payload.outcome.user_errors {
        let Some(field) = e.field.as_mut() else { continue };
        let about_the_description = field.len() > 1
            && field[0] == "input"
            && !matches!(field[1].as_str(), "expectedVersion" | "courseId" | "commandId");
        if about_the_description {
            field.insert(1, "description".to_owned());
        }
    }
    payload
}

#[derive(Default)]
pub struct CourseMutation;

#[Object]
impl CourseMutation {
    async fn catalogue_course(
        &self,
        ctx: &Context<'_>,
        input: CatalogueCourseInput,
    ) -> async_graphql::Result<CoursePayload> {
        let cc = command(ctx, input.command_id, None);
        let catalogue = CatalogueCourse {
            course_id: input.course_id,
            description: describe(input.description),
        };
        let result = settle(use_cases(ctx)?.catalogue_course(&cc, catalogue).await)?;
        Ok(within_description(payload(result)))
    }

    async fn revise_course(&self, ctx: &Context<'_>, input: ReviseCourseInput) -> async_graphql::Result<CoursePayload> {
        let cc = command(ctx, input.command_id, input.expected_version);
        let revise = ReviseCourse {
            course_id: input.course_id,
            description: describe(input.description),
        };
        let result = settle(use_cases(ctx)?.revise_course(&cc, revise).await)?;
        Ok(within_description(payload(result)))
    }

    /// A retired course takes no new offerings; its history stays.
    async fn retire_course(&self, ctx: &Context<'_>, input: RetireCourseInput) -> async_graphql::Result<CoursePayload> {
        let cc = command(ctx, input.command_id, input.expected_version);
        let retire = RetireCourse {
            course_id: input.course_id,
            reason: input.reason,
        };
        Ok(payload(settle(use_cases(ctx)?.retire_course(&cc, retire).await)?))
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Course {
    pub id: Uuid,
    pub title: String,
    pub owner_level: CourseOwnerLevel,
    pub owner_resor: Option<Resor>,
    pub owner_group: Option<String>,
    pub priority: StrategicPriority,
    pub measures: Vec<String>,
    pub course_type: CourseType,
    pub knowledge_test: bool,
    pub duration_minutes: i32,
    pub language: String,
    pub competencies: Vec<String>,
    pub retired: bool,
    pub retired_reason: Option<String>,
    #[graphql(skip)]
    pub owner_institution_id: Option<Uuid>,
}

#[ComplexObject]
impl Course {
    /// The course's offerings by start date, then id, narrowed by the
    /// filter; its `course`, if given, must be this course.
    #[graphql(complexity = "page(first.or(last).unwrap_or(50), child_complexity)")]
    async fn offerings(
        &self,
        ctx: &Context<'_>,
        filter: Option<OfferingFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
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
    async fn course(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
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
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        priority: Option<StrategicPriority>,
        #[graphql(desc = "A measure such as \"1.1\".")] measure: Option<String>,
        course_type: Option<CourseType>,
        owner_level: Option<CourseOwnerLevel>,
        competency: Option<String>,
        #[graphql(default)] include_retired: bool,
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
