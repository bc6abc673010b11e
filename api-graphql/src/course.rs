//! The course catalogue over GraphQL.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, SimpleObject};
use prasme_commands::{CatalogueCourse, DescribeCourse, RetireCourse, ReviseCourse};
use prasme_domain::course::{self as domain, OwnerParts};
use prasme_domain::reference::{from_wire_name, wire_name, StrategicPriority as DomainPriority};
use uuid::Uuid;

use crate::complexity::page;
use crate::context::{api, reads};
use crate::errors::{bad_input, db, internal, text_argument};
use crate::model::{Institution, Resor, StrategicPriority};
use crate::mutation::{command, outcome, settle, stream_uuid, use_cases, Outcome};

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
        api(ctx)?.reach(Some(position)).await?;
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
    async fn owner_institution(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Institution>> {
        let Some(id) = self.owner_institution_id else {
            return Ok(None);
        };
        crate::model::institution(ctx, id).await
    }
}

#[derive(sqlx::FromRow)]
struct CourseRecord {
    id: Uuid,
    title: String,
    owner_level: String,
    owner_resor: Option<String>,
    owner_institution: Option<Uuid>,
    owner_group: Option<String>,
    priority: i32,
    measures: Vec<String>,
    course_type: String,
    knowledge_test: bool,
    duration_minutes: i32,
    language: String,
    competencies: Vec<String>,
    retired: bool,
    retired_reason: Option<String>,
}

fn course(r: CourseRecord) -> async_graphql::Result<Course> {
    let corrupt = || internal("the course read model holds an unknown value");
    Ok(Course {
        id: r.id,
        title: r.title,
        owner_level: match r.owner_level.as_str() {
            "PUBLIC_ADMINISTRATION" => CourseOwnerLevel::PublicAdministration,
            "RESOR" => CourseOwnerLevel::Resor,
            "INSTITUTION" => CourseOwnerLevel::Institution,
            "PROFESSIONAL_GROUP" => CourseOwnerLevel::ProfessionalGroup,
            _ => return Err(corrupt()),
        },
        owner_resor: r
            .owner_resor
            .map(|s| {
                from_wire_name::<prasme_domain::reference::Resor>(&s)
                    .map(Into::into)
                    .ok_or_else(corrupt)
            })
            .transpose()?,
        owner_group: r.owner_group,
        priority: u8::try_from(r.priority)
            .ok()
            .and_then(DomainPriority::from_number)
            .map(Into::into)
            .ok_or_else(corrupt)?,
        measures: r.measures,
        course_type: from_wire_name::<domain::CourseType>(&r.course_type)
            .map(Into::into)
            .ok_or_else(corrupt)?,
        knowledge_test: r.knowledge_test,
        duration_minutes: r.duration_minutes,
        language: r.language,
        competencies: r.competencies,
        retired: r.retired,
        retired_reason: r.retired_reason,
        owner_institution_id: r.owner_institution,
    })
}

const COURSE_COLUMNS: &str = "id, title, owner_level, owner_resor, owner_institution, owner_group, priority, measures, \
                              course_type, knowledge_test, duration_minutes, language, competencies, retired, retired_reason";

pub(crate) async fn course_by_id(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<Course>> {
    let row: Option<CourseRecord> = sqlx::query_as(&format!("SELECT {COURSE_COLUMNS} FROM rm_course WHERE id = $1"))
        .bind(id)
        .fetch_optional(&*reads(ctx).await?)
        .await
        .map_err(db)?;
    row.map(course).transpose()
}

#[derive(Default)]
pub struct CourseQuery;

#[Object]
impl CourseQuery {
    async fn course(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        at_least_position: Option<i64>,
    ) -> async_graphql::Result<Option<Course>> {
        api(ctx)?.reach(at_least_position).await?;
        course_by_id(ctx, id).await
    }

    /// The catalogue by title, as a Relay connection, with filters.
    #[graphql(complexity = "page(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn courses(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
        after: Option<String>,
        priority: Option<StrategicPriority>,
        #[graphql(desc = "A measure such as \"1.1\".")] measure: Option<String>,
        course_type: Option<CourseType>,
        owner_level: Option<CourseOwnerLevel>,
        competency: Option<String>,
        #[graphql(default)] include_retired: bool,
        at_least_position: Option<i64>,
    ) -> async_graphql::Result<Connection<String, Course>> {
        let api = api(ctx)?;
        api.reach(at_least_position).await?;
        let measure = measure.map(|m| text_argument("measure", &m)).transpose()?;
        let competency = competency.map(|c| text_argument("competency", &c)).transpose()?;
        if !(1..=500).contains(&first) {
            return Err(bad_input("first must be between 1 and 500"));
        }
        let after = after
            .map(|c| Uuid::parse_str(&c).map_err(|_| bad_input("after is not a cursor from this connection")))
            .transpose()?;
        let level = owner_level.map(|l| match l {
            CourseOwnerLevel::PublicAdministration => "PUBLIC_ADMINISTRATION",
            CourseOwnerLevel::Resor => "RESOR",
            CourseOwnerLevel::Institution => "INSTITUTION",
            CourseOwnerLevel::ProfessionalGroup => "PROFESSIONAL_GROUP",
        });
        let mut rows: Vec<CourseRecord> = sqlx::query_as(&format!(
            "SELECT {COURSE_COLUMNS} FROM rm_course c
              WHERE ($1::int IS NULL OR c.priority = $1)
                AND ($2::text IS NULL OR $2 = ANY (c.measures))
                AND ($3::text IS NULL OR c.course_type = $3)
                AND ($4::text IS NULL OR c.owner_level = $4)
                AND ($5::text IS NULL OR $5 = ANY (c.competencies))
                AND ($6 OR NOT c.retired)
                AND ($7::uuid IS NULL OR (c.title, c.id) > (SELECT a.title, a.id FROM rm_course a WHERE a.id = $7))
              ORDER BY c.title, c.id
              LIMIT $8"
        ))
        .bind(priority.map(|p| i32::from(DomainPriority::from(p).number())))
        .bind(measure)
        .bind(course_type.map(|t| wire_name(&domain::CourseType::from(t))))
        .bind(level)
        .bind(competency)
        .bind(include_retired)
        .bind(after)
        .bind(i64::from(first) + 1)
        .fetch_all(&*reads(ctx).await?)
        .await
        .map_err(db)?;
        let has_next = rows.len() > first as usize;
        rows.truncate(first as usize);
        let mut connection = Connection::new(after.is_some(), has_next);
        for r in rows {
            let c = course(r)?;
            connection.edges.push(Edge::new(c.id.to_string(), c));
        }
        Ok(connection)
    }
}
