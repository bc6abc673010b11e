//! Competency frameworks over GraphQL: VAS publishes, revises and retires
//! them; everyone signed in reads them, each version whole.

use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject, ID};
use prasme_commands::{PublishCompetencyFramework, RetireCompetencyFramework, ReviseCompetencyFramework};
use prasme_domain::competency as domain;
use prasme_projections::competency::read::{self, FrameworkRow};
use std::marker::PhantomData;
use uuid::Uuid;

use crate::complexity::page;
use crate::context::{api, read_models, reads};
use crate::employee::JobGroup;
use crate::errors::{db, found, nest_fields, UserError};
use crate::mutation::{command, outcome, settle, stream_uuid, use_cases, Outcome};
use crate::paging::{connection, window, Keyed};
use crate::payload::{names, payload_type_name, MutationName};
use crate::scalars::Position;

/// A level number as the domain counts them: 1 to 8. A number no scale has
/// becomes the nearest one no scale has either, so that the decider refuses
/// it with OUT_OF_RANGE or INVALID_VALUE like any other off-scale level.
pub(crate) fn level_number(n: i32) -> u8 {
    saturating_u8(n)
}

/// A small number the domain holds in a byte: a negative one becomes 0 and
/// one past 255 becomes 255, both still out of any range the deciders take,
/// so they refuse it with their own typed error.
pub(crate) fn saturating_u8(n: i32) -> u8 {
    u8::try_from(n.max(0)).unwrap_or(u8::MAX)
}

/// One level of a competency's scale.
#[derive(InputObject)]
pub struct CompetencyLevelInput {
    /// The level's number: 1 for the lowest, counting up without gaps.
    pub number: i32,
    /// The level's name: trimmed, 1 to 200 characters.
    pub name: String,
    /// What a person at this level can do: trimmed, 1 to 1 000 characters.
    pub description: String,
    /// The band the level belongs to, where the framework groups levels (DigComp: foundation, intermediate,
    /// advanced, highly specialised).
    pub band: Option<String>,
}

/// The level a job group must reach in a competency.
#[derive(InputObject)]
pub struct RequiredLevelInput {
    /// The job group; each at most once per competency.
    pub job_group: JobGroup,
    /// A level on the competency's scale.
    pub level: i32,
}

/// A competency with its level scale.
#[derive(InputObject)]
pub struct CompetencyInput {
    /// Unique within the framework, such as "1.2".
    pub code: String,
    /// The competency's name: trimmed, 1 to 200 characters.
    pub name: String,
    /// The scale: 2 to 8 levels, numbered 1, 2, … in order.
    pub levels: Vec<CompetencyLevelInput>,
    /// The level each job group requires; defaults to none.
    #[graphql(default)]
    pub required: Vec<RequiredLevelInput>,
}

/// An area of a framework, with its competencies.
#[derive(InputObject)]
pub struct CompetencyAreaInput {
    /// Unique within the framework, such as "1".
    pub code: String,
    /// The area's name: trimmed, 1 to 200 characters.
    pub name: String,
    /// At least one competency; a framework holds at most 100.
    pub competencies: Vec<CompetencyInput>,
}

/// What one version of a framework says; a revision replaces all of it.
#[derive(InputObject)]
pub struct CompetencyFrameworkContentInput {
    /// The framework's title: trimmed, 1 to 200 characters.
    pub title: String,
    /// At least one area.
    pub areas: Vec<CompetencyAreaInput>,
}

impl From<CompetencyFrameworkContentInput> for domain::FrameworkContent {
    fn from(c: CompetencyFrameworkContentInput) -> Self {
        Self {
            title: c.title,
            areas: c
                .areas
                .into_iter()
                .map(|a| domain::Area {
                    code: a.code,
                    name: a.name,
                    competencies: a
                        .competencies
                        .into_iter()
                        .map(|c| domain::Competency {
                            code: c.code,
                            name: c.name,
                            levels: c
                                .levels
                                .into_iter()
                                .map(|l| domain::Level {
                                    number: level_number(l.number),
                                    name: l.name,
                                    description: l.description,
                                    band: l.band,
                                })
                                .collect(),
                            required: c
                                .required
                                .into_iter()
                                .map(|r| domain::RequiredLevel {
                                    job_group: r.job_group.into(),
                                    level: level_number(r.level),
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// A new competency framework.
#[derive(InputObject)]
pub struct PublishCompetencyFrameworkInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// Defaults to the command id, so a retried command names the same framework.
    pub framework_id: Option<Uuid>,
    /// Version 1 of the framework.
    pub content: CompetencyFrameworkContentInput,
}

/// A new version of a framework.
#[derive(InputObject)]
pub struct ReviseCompetencyFrameworkInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the stream is at this version.
    pub expected_version: Option<i64>,
    /// The framework to revise.
    pub framework_id: Uuid,
    /// The whole new version; the earlier ones stay for the assessments made on them.
    pub content: CompetencyFrameworkContentInput,
}

/// The retirement of a framework.
#[derive(InputObject)]
pub struct RetireCompetencyFrameworkInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the stream is at this version.
    pub expected_version: Option<i64>,
    /// The framework to retire.
    pub framework_id: Uuid,
    /// Why: trimmed, 1 to 1 000 characters. It stays in the history for good, so it is no place for personal data.
    pub reason: String,
}

/// What a framework command answers with.
#[derive(SimpleObject)]
#[graphql(complex, name_type)]
pub struct CompetencyFrameworkPayload<M: MutationName> {
    /// The framework the command wrote to; null when the command was refused.
    pub framework_id: Option<Uuid>,
    #[graphql(flatten)]
    pub outcome: Outcome,
    #[graphql(skip)]
    mutation: PhantomData<M>,
}
payload_type_name!(CompetencyFrameworkPayload);

#[ComplexObject]
impl<M: MutationName> CompetencyFrameworkPayload<M> {
    /// The framework as the read model has it once this command is projected.
    async fn framework(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CompetencyFramework>> {
        let (Some(id), Some(position)) = (self.framework_id, self.outcome.position) else {
            return Ok(None);
        };
        api(ctx)?.reach(read_models::COMPETENCIES, Some(position.0)).await?;
        framework_by_id(ctx, id).await
    }
}

/// The content's rules name its own fields (`title`, `areas.code`); the
/// client wrote them inside `input.content`.
fn payload<M: MutationName>(
    result: Result<prasme_commands::Accepted, Vec<UserError>>,
) -> CompetencyFrameworkPayload<M> {
    let mut payload = CompetencyFrameworkPayload {
        framework_id: result.as_ref().ok().and_then(|a| stream_uuid(&a.stream_id)),
        outcome: outcome(&result),
        mutation: PhantomData,
    };
    nest_fields(
        &mut payload.outcome.user_errors,
        "content",
        &["expectedVersion", "frameworkId", "commandId", "reason"],
    );
    payload
}

#[derive(Default)]
pub struct CompetencyMutation;

#[Object]
impl CompetencyMutation {
    /// Publishes version 1 of a competency framework (VAS). Refused in `userErrors` when the content breaks a rule
    /// (a scale of fewer than 2 or more than 8 levels, levels out of order, a required level off the scale, a code
    /// used twice), or with ALREADY_EXISTS when a record has this `frameworkId`.
    async fn publish_competency_framework(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The framework to publish.")] input: PublishCompetencyFrameworkInput,
    ) -> async_graphql::Result<CompetencyFrameworkPayload<names::PublishCompetencyFramework>> {
        let cc = command(ctx, input.command_id, None)?;
        let publish = PublishCompetencyFramework {
            framework_id: input.framework_id,
            content: input.content.into(),
        };
        Ok(payload(settle(
            use_cases(ctx)?.publish_competency_framework(&cc, publish).await,
        )?))
    }

    /// Publishes the next version of a framework; assessments made on earlier versions keep pointing at them.
    /// Refused in `userErrors` with NOT_FOUND for an unknown framework, INVALID_VALUE for a retired one,
    /// NOTHING_TO_CHANGE when the content is the newest version's, or when the content breaks a rule.
    async fn revise_competency_framework(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The framework and its new version.")] input: ReviseCompetencyFrameworkInput,
    ) -> async_graphql::Result<CompetencyFrameworkPayload<names::ReviseCompetencyFramework>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let revise = ReviseCompetencyFramework {
            framework_id: input.framework_id,
            content: input.content.into(),
        };
        Ok(payload(settle(
            use_cases(ctx)?.revise_competency_framework(&cc, revise).await,
        )?))
    }

    /// Retires a framework: it takes no new assessments and no revision; its versions and history stay.
    async fn retire_competency_framework(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The framework to retire and why.")] input: RetireCompetencyFrameworkInput,
    ) -> async_graphql::Result<CompetencyFrameworkPayload<names::RetireCompetencyFramework>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let retire = RetireCompetencyFramework {
            framework_id: input.framework_id,
            reason: input.reason,
        };
        Ok(payload(settle(
            use_cases(ctx)?.retire_competency_framework(&cc, retire).await,
        )?))
    }
}

/// A competency framework, such as DigComp 2.2 or the leadership framework for top managers.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct CompetencyFramework {
    #[graphql(skip)]
    pub id: Uuid,
    /// The newest version's title.
    pub title: String,
    /// The newest version's number; versions count from 1.
    pub latest_version: i64,
    /// True once the framework is retired: it takes no new assessments.
    pub retired: bool,
    /// Why the framework was retired; null while it is not.
    pub retired_reason: Option<String>,
}

impl From<FrameworkRow> for CompetencyFramework {
    fn from(r: FrameworkRow) -> Self {
        Self {
            id: r.id,
            title: r.title,
            latest_version: r.latest_version,
            retired: r.retired,
            retired_reason: r.retired_reason,
        }
    }
}

#[ComplexObject]
impl CompetencyFramework {
    /// The framework's id: a UUID that names this framework and nothing else, so `node(id:)` finds it.
    pub(crate) async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// What one version says: the newest unless `version` is given; null with NOT_FOUND for a version the
    /// framework does not have.
    async fn content(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A version number, from 1 to `latestVersion`; the newest when not given.")] version: Option<
            i64,
        >,
    ) -> async_graphql::Result<Option<FrameworkVersion>> {
        let version = version.unwrap_or(self.latest_version);
        let content = read::framework_version(&*reads(ctx).await?, self.id, version)
            .await
            .map_err(db)?;
        found(
            content.map(|c| FrameworkVersion::new(version, c)),
            "the framework has no such version",
        )
    }
}

/// One version of a framework, whole.
#[derive(SimpleObject, Clone)]
pub struct FrameworkVersion {
    /// The version's number, counting from 1.
    pub version: i64,
    /// The title this version has.
    pub title: String,
    /// The framework's areas, in the framework's order.
    pub areas: Vec<CompetencyArea>,
}

impl FrameworkVersion {
    fn new(version: i64, c: domain::FrameworkContent) -> Self {
        Self {
            version,
            title: c.title,
            areas: c.areas.into_iter().map(CompetencyArea::from).collect(),
        }
    }
}

/// An area of a framework.
#[derive(SimpleObject, Clone)]
pub struct CompetencyArea {
    /// Unique within the framework, such as "1".
    pub code: String,
    /// The area's name.
    pub name: String,
    /// The area's competencies, in the framework's order.
    pub competencies: Vec<FrameworkCompetency>,
}

impl From<domain::Area> for CompetencyArea {
    fn from(a: domain::Area) -> Self {
        Self {
            code: a.code,
            name: a.name,
            competencies: a.competencies.into_iter().map(FrameworkCompetency::from).collect(),
        }
    }
}

/// A competency of a framework, with its scale.
#[derive(SimpleObject, Clone)]
pub struct FrameworkCompetency {
    /// Unique within the framework, such as "1.2".
    pub code: String,
    /// The competency's name.
    pub name: String,
    /// The scale, lowest level first.
    pub levels: Vec<CompetencyLevel>,
    /// The level each job group requires; a job group not listed has no requirement.
    pub required: Vec<RequiredLevel>,
}

impl From<domain::Competency> for FrameworkCompetency {
    fn from(c: domain::Competency) -> Self {
        Self {
            code: c.code,
            name: c.name,
            levels: c
                .levels
                .into_iter()
                .map(|l| CompetencyLevel {
                    number: i32::from(l.number),
                    name: l.name,
                    description: l.description,
                    band: l.band,
                })
                .collect(),
            required: c
                .required
                .into_iter()
                .map(|r| RequiredLevel {
                    job_group: r.job_group.into(),
                    level: i32::from(r.level),
                })
                .collect(),
        }
    }
}

/// One level of a competency's scale.
#[derive(SimpleObject, Clone)]
pub struct CompetencyLevel {
    /// 1 for the lowest, counting up without gaps.
    pub number: i32,
    /// The level's name.
    pub name: String,
    /// What a person at this level can do.
    pub description: String,
    /// The band the level belongs to, where the framework groups levels; null otherwise.
    pub band: Option<String>,
}

/// The level a job group must reach in a competency.
#[derive(SimpleObject, Clone)]
pub struct RequiredLevel {
    /// The job group.
    pub job_group: JobGroup,
    /// The level on the competency's scale.
    pub level: i32,
}

pub(crate) async fn framework_by_id(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<CompetencyFramework>> {
    let row = read::framework_by_id(&*reads(ctx).await?, id).await.map_err(db)?;
    Ok(row.map(Into::into))
}

#[derive(Default)]
pub struct CompetencyQuery;

#[Object]
impl CompetencyQuery {
    /// The competency framework with this id, retired or not; null with a NOT_FOUND error when there is none.
    async fn competency_framework(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The framework's id.")] id: Uuid,
        #[graphql(
            desc = "Waits (bounded) until the read models include this event-log position, such as a \
                    mutation's `position`, to read one's own writes; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Option<CompetencyFramework>> {
        api(ctx)?
            .reach(read_models::COMPETENCIES, at_least_position.map(|p| p.0))
            .await?;
        found(framework_by_id(ctx, id).await?, "no competency framework has this id")
    }

    /// The competency frameworks by title, then id; 50 a page unless `first` or `last` says.
    #[graphql(complexity = "page(first.or(last).unwrap_or(50), child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn competency_frameworks(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many frameworks to read from the start (after `after`), 1 to 500; 50 when neither \
                    `first` nor `last` is given. Not together with `last`."
        )]
        first: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the frameworks after it.")] after: Option<String>,
        #[graphql(
            desc = "How many frameworks to read from the end (before `before`), 1 to 500. Not together with \
                    `first`."
        )]
        last: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the frameworks before it.")] before: Option<String>,
        #[graphql(default, desc = "True to list retired frameworks too; false by default.")] include_retired: bool,
        #[graphql(
            desc = "Waits (bounded) until the read models include this event-log position, such as a \
                    mutation's `position`, to read one's own writes; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Keyed<CompetencyFramework>> {
        api(ctx)?
            .reach(read_models::COMPETENCIES, at_least_position.map(|p| p.0))
            .await?;
        let window = window(first, after, last, before, 50)?;
        let page = read::frameworks(&*reads(ctx).await?, include_retired, &window)
            .await
            .map_err(db)?;
        Ok(connection(&window, page, CompetencyFramework::from))
    }
}
