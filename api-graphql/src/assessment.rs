//! Competence records over GraphQL: assessments against a framework
//! version and talent reviews; an employee's profile and an institution's
//! gap report.

use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, SimpleObject};
use prasme_commands::{AssessCompetency, ReadOf, ReviewTalent};
use prasme_projections::competency::profile::{
    self, AssessmentRow, GapCell, Profile, TalentReviewKey, TalentReviewRow,
};
use prasme_projections::page::Window;
use std::marker::PhantomData;
use uuid::Uuid;

use crate::competency::{level_number, CompetencyFramework, FrameworkCompetency};
use crate::complexity::page;
use crate::context::{api, read_models, reads, scope};
use crate::employee::JobGroup;
use crate::errors::{db, not_found};
use crate::mutation::{command, outcome, settle, use_cases, Outcome};
use crate::paging::{connection, window, Keyed};
use crate::payload::{names, payload_type_name, MutationName};
use crate::scalars::{Date, Position};

/// How a level was established.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::assessment::AssessmentMethod")]
pub enum AssessmentMethod {
    /// The employee's own assessment of themself.
    SelfAssessment,
    /// The employee's manager.
    Manager,
    /// An assessment centre.
    AssessmentCentre,
    /// A knowledge test.
    KnowledgeTest,
    /// The result of a closed 360-degree feedback cycle; not accepted by `assessCompetency`.
    Feedback360,
}

/// One axis of the 3×3 development matrix.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::assessment::MatrixRating")]
pub enum MatrixRating {
    /// Below expectations.
    Low,
    /// Meets expectations.
    Medium,
    /// Above expectations.
    High,
}

/// A level of one framework competency, as the signed-in person established it.
#[derive(InputObject)]
pub struct AssessCompetencyInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the employee's competence record is at
    /// this version.
    pub expected_version: Option<i64>,
    /// Defaults to the command id, so a retried command names the same assessment.
    pub assessment_id: Option<Uuid>,
    /// The employee assessed.
    pub employee_id: Uuid,
    /// The framework assessed against; a retired one takes no assessment.
    pub framework_id: Uuid,
    /// The framework version used, from 1 to its newest; older versions stay assessable until it is retired.
    pub framework_version: i32,
    /// The competency's code in that version, such as "1.2".
    pub competency: String,
    /// A level on the competency's scale.
    pub level: i32,
    /// How the level was established. An employee's assessment of themself is SELF_ASSESSMENT, and only theirs is.
    pub method: AssessmentMethod,
    /// The business date of the assessment: not in the future, and while the employee was employed.
    pub assessed_on: Date,
    /// What the level rests on: trimmed, at most 1 000 characters. It stays in the history for good.
    pub evidence_note: Option<String>,
}

/// A placement of an employee on the 3×3 matrix of performance and potential.
#[derive(InputObject)]
pub struct ReviewTalentInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the employee's competence record is at
    /// this version.
    pub expected_version: Option<i64>,
    /// Defaults to the command id.
    pub review_id: Option<Uuid>,
    /// The employee reviewed; not the reviewer themself.
    pub employee_id: Uuid,
    /// Performance, the matrix's first axis.
    pub performance: MatrixRating,
    /// Potential, the matrix's second axis.
    pub potential: MatrixRating,
    /// The business date of the review: not in the future, and while the employee was employed.
    pub reviewed_on: Date,
}

/// What a competence-record command answers with.
#[derive(SimpleObject)]
#[graphql(complex, name_type)]
pub struct CompetenceRecordPayload<M: MutationName> {
    /// The employee whose record the command wrote to; null when the command was refused.
    pub employee_id: Option<Uuid>,
    #[graphql(flatten)]
    pub outcome: Outcome,
    #[graphql(skip)]
    mutation: PhantomData<M>,
}
payload_type_name!(CompetenceRecordPayload);

#[ComplexObject]
impl<M: MutationName> CompetenceRecordPayload<M> {
    /// The employee's placements on the development matrix once this command is projected, newest first.
    #[graphql(complexity = "page(first.or(last).unwrap_or(50), child_complexity)")]
    async fn talent_reviews(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many placements to read from the newest (after `after`), 1 to 500; 50 when neither `first` \
                    nor `last` is given. Not together with `last`."
        )]
        first: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the older placements after it.")] after: Option<String>,
        #[graphql(
            desc = "How many placements to read from the oldest (before `before`), 1 to 500. Not together with \
                    `first`."
        )]
        last: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the newer placements before it.")] before: Option<String>,
    ) -> async_graphql::Result<Option<Keyed<TalentReview>>> {
        let (Some(id), Some(position)) = (self.employee_id, self.outcome.position) else {
            return Ok(None);
        };
        api(ctx)?.reach(read_models::COMPETENCE, Some(position.0)).await?;
        let window = window(first, after, last, before, 50)?;
        talent_reviews_of(ctx, id, window).await.map(Some)
    }
}

fn payload<M: MutationName>(
    employee_id: Uuid,
    result: Result<prasme_commands::Accepted, Vec<crate::errors::UserError>>,
) -> CompetenceRecordPayload<M> {
    CompetenceRecordPayload {
        employee_id: result.is_ok().then_some(employee_id),
        outcome: outcome(&result),
        mutation: PhantomData,
    }
}

#[derive(Default)]
pub struct AssessmentMutation;

#[Object]
impl AssessmentMutation {
    /// Records an employee's level in a framework competency. The assessor is the signed-in person. A later assessment
    /// (by `assessedOn`) supersedes an earlier one in the profile; both stay in the history. Refused in `userErrors`
    /// with NOT_FOUND for an unknown framework, version or competency, OUT_OF_RANGE for a level off the scale or a
    /// date in the future or outside the employment, INVALID_VALUE for a retired framework or a method that does not
    /// fit the assessor.
    async fn assess_competency(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The assessment.")] input: AssessCompetencyInput,
    ) -> async_graphql::Result<CompetenceRecordPayload<names::AssessCompetency>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let assess = AssessCompetency {
            assessment_id: input.assessment_id,
            employee_id: input.employee_id,
            framework_id: input.framework_id,
            framework_version: u32::try_from(input.framework_version).unwrap_or(0),
            competency: input.competency,
            level: level_number(input.level),
            method: input.method.into(),
            assessed_on: input.assessed_on.0,
            evidence_note: input.evidence_note,
        };
        let result = settle(use_cases(ctx)?.assess_competency(&cc, assess).await)?;
        Ok(payload(input.employee_id, result))
    }

    /// Places an employee on the 3×3 development matrix (a manager of theirs, or HR). Refused in `userErrors` with
    /// INVALID_VALUE for a review of oneself, OUT_OF_RANGE for a date in the future or outside the employment.
    async fn review_talent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review.")] input: ReviewTalentInput,
    ) -> async_graphql::Result<CompetenceRecordPayload<names::ReviewTalent>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let review = ReviewTalent {
            review_id: input.review_id,
            employee_id: input.employee_id,
            performance: input.performance.into(),
            potential: input.potential.into(),
            reviewed_on: input.reviewed_on.0,
        };
        let result = settle(use_cases(ctx)?.review_talent(&cc, review).await)?;
        Ok(payload(input.employee_id, result))
    }
}

/// One assessment, as recorded.
#[derive(SimpleObject, Clone)]
pub struct CompetencyAssessment {
    /// The assessment's id.
    pub assessment_id: Uuid,
    /// The framework version it used.
    pub framework_version: i64,
    /// The competency's code.
    pub competency: String,
    /// The level established.
    pub level: i32,
    /// The highest level the employee's job groups required on that date and version; null without a requirement.
    pub required_level: Option<i32>,
    /// How the level was established.
    pub method: AssessmentMethod,
    /// The feedback cycle a FEEDBACK_360 result came from.
    pub feedback_cycle_id: Option<Uuid>,
    /// Who assessed (an employee id); null for an import.
    pub assessor_id: Option<Uuid>,
    /// The business date.
    pub assessed_on: Date,
    /// What the level rests on.
    pub evidence_note: Option<String>,
    /// The event-log position that recorded it.
    pub position: Position,
}

impl From<AssessmentRow> for CompetencyAssessment {
    fn from(a: AssessmentRow) -> Self {
        Self {
            assessment_id: a.assessment_id,
            framework_version: a.framework_version,
            competency: a.competency,
            level: i32::from(a.level),
            required_level: a.required_level.map(i32::from),
            method: a.method.into(),
            feedback_cycle_id: a.feedback_cycle_id,
            assessor_id: a.assessor_id,
            assessed_on: Date(a.assessed_on),
            evidence_note: a.evidence_note,
            position: Position(a.position),
        }
    }
}

/// One competency of an employee's profile.
#[derive(SimpleObject)]
pub struct ProfileCompetency {
    /// The code of the area the competency belongs to.
    pub area: String,
    /// The competency, with its scale, as the framework's newest version defines it.
    pub competency: FrameworkCompetency,
    /// The highest level the employee's current job groups require; null without a requirement.
    pub required_level: Option<i32>,
    /// The level of the current assessment; null when never assessed.
    pub current_level: Option<i32>,
    /// Levels missing to the requirement: 0 when met, null when either is unknown.
    pub gap: Option<i32>,
    /// The latest assessment by business date, on any version of the framework.
    pub current: Option<CompetencyAssessment>,
    /// Passed completions of courses that develop the competency, newest first: evidence for a manager to confirm
    /// with an assessment, not a level of its own.
    pub evidence: Vec<CompetencyEvidence>,
}

/// A passed completion of a course that develops a competency.
#[derive(SimpleObject)]
pub struct CompetencyEvidence {
    /// The offering completed.
    pub offering_id: Uuid,
    /// Its course.
    pub course_id: Uuid,
    /// The course's title.
    pub course_title: String,
    /// The level the course develops the competency to.
    pub level: i32,
    /// When the course was completed.
    pub completed_on: Date,
}

/// An employee's competencies against one framework: current level against required level, gaps and history.
#[derive(SimpleObject)]
pub struct CompetencyProfile {
    /// The employee.
    pub employee_id: Uuid,
    /// The employee's current job groups, which the required levels follow.
    pub job_groups: Vec<JobGroup>,
    /// The framework.
    pub framework: CompetencyFramework,
    /// The framework version the profile lists: its newest.
    pub version: i64,
    /// Every competency of that version, in the framework's order.
    pub competencies: Vec<ProfileCompetency>,
    /// Every assessment against the framework, newest first by business date.
    pub history: Vec<CompetencyAssessment>,
}

impl From<Profile> for CompetencyProfile {
    fn from(p: Profile) -> Self {
        Self {
            employee_id: p.employee_id,
            job_groups: p.job_groups.into_iter().map(Into::into).collect(),
            framework: p.framework.into(),
            version: p.version,
            competencies: p
                .entries
                .into_iter()
                .map(|e| ProfileCompetency {
                    area: e.area,
                    competency: e.competency.into(),
                    required_level: e.required_level.map(i32::from),
                    current_level: e.current.as_ref().map(|c| i32::from(c.level)),
                    gap: e.shortfall.map(i32::from),
                    current: e.current.map(Into::into),
                    evidence: e
                        .evidence
                        .into_iter()
                        .map(|v| CompetencyEvidence {
                            offering_id: v.offering_id,
                            course_id: v.course_id,
                            course_title: v.course_title,
                            level: i32::from(v.level),
                            completed_on: Date(v.completed_on),
                        })
                        .collect(),
                })
                .collect(),
            history: p.history.into_iter().map(Into::into).collect(),
        }
    }
}

/// A placement on the 3×3 development matrix.
#[derive(SimpleObject, Clone)]
pub struct TalentReview {
    /// The review's id.
    pub review_id: Uuid,
    /// Performance.
    pub performance: MatrixRating,
    /// Potential.
    pub potential: MatrixRating,
    /// Who reviewed (an employee id); null for an import.
    pub reviewer_id: Option<Uuid>,
    /// The business date.
    pub reviewed_on: Date,
    /// The event-log position that recorded it.
    pub position: Position,
}

impl From<TalentReviewRow> for TalentReview {
    fn from(r: TalentReviewRow) -> Self {
        Self {
            review_id: r.review_id,
            performance: r.performance.into(),
            potential: r.potential.into(),
            reviewer_id: r.reviewer_id,
            reviewed_on: Date(r.reviewed_on),
            position: Position(r.position),
        }
    }
}

/// One job group and one competency it has a requirement in. A count is null where the small-cell rule hides it
/// from a caller who may not read the people counted.
#[derive(SimpleObject)]
pub struct CompetencyGap {
    /// The job group.
    pub job_group: JobGroup,
    /// The code of the competency's area.
    pub area: String,
    /// The competency's code.
    pub competency: String,
    /// The competency's name.
    pub competency_name: String,
    /// The level the job group requires.
    pub required_level: i32,
    /// The institution's current employees in the job group.
    pub people: Option<i64>,
    /// Of those, how many have a current assessment of the competency.
    pub assessed: Option<i64>,
    /// Assessed at or above the required level.
    pub meeting: Option<i64>,
    /// Assessed below it.
    pub below: Option<i64>,
    /// The mean current level of those assessed; shown over 5 or more only.
    pub average_level: Option<f64>,
}

impl From<GapCell> for CompetencyGap {
    fn from(c: GapCell) -> Self {
        Self {
            job_group: c.job_group.into(),
            area: c.area,
            competency: c.competency,
            competency_name: c.competency_name,
            required_level: i32::from(c.required_level),
            people: c.people,
            assessed: c.assessed,
            meeting: c.meeting,
            below: c.below,
            average_level: c.average_level,
        }
    }
}

/// An institution's gaps between required and assessed levels, per job group and competency.
#[derive(SimpleObject)]
pub struct CompetencyGapReport {
    /// The institution.
    pub institution_id: Uuid,
    /// The framework.
    pub framework: CompetencyFramework,
    /// The framework version whose requirements the report follows: its newest.
    pub version: i64,
    /// One cell per job group present in the institution and competency that job group has a requirement in.
    pub cells: Vec<CompetencyGap>,
}

async fn talent_reviews_of(
    ctx: &Context<'_>,
    employee_id: Uuid,
    window: Window<TalentReviewKey>,
) -> async_graphql::Result<Keyed<TalentReview>> {
    let scope = scope(ctx, ReadOf::Personal).await?;
    let page = profile::talent_reviews(&*reads(ctx).await?, scope, employee_id, &window)
        .await
        .map_err(db)?
        .ok_or_else(|| not_found("no employee has this id"))?;
    Ok(connection(&window, page, TalentReview::from))
}

#[derive(Default)]
pub struct AssessmentQuery;

#[Object]
impl AssessmentQuery {
    /// An employee's competency profile against a framework's newest version: per competency the level their job
    /// groups require, the current assessment and the gap, and every assessment in history. NOT_FOUND when either the
    /// employee (or one out of the caller's reach) or the framework does not exist.
    async fn competency_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The employee.")] employee_id: Uuid,
        #[graphql(desc = "The framework.")] framework_id: Uuid,
        #[graphql(
            desc = "Waits (bounded) until the read models include this event-log position, such as a \
                    mutation's `position`, to read one's own writes; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<CompetencyProfile> {
        api(ctx)?
            .reach(read_models::COMPETENCE, at_least_position.map(|p| p.0))
            .await?;
        crate::employee::require_employee(ctx, employee_id).await?;
        let scope = scope(ctx, ReadOf::Personal).await?;
        let found = profile::profile(&*reads(ctx).await?, scope, employee_id, framework_id)
            .await
            .map_err(db)?;
        found
            .map(Into::into)
            .ok_or_else(|| not_found("no competency framework has this id"))
    }

    /// An employee's placements on the 3×3 development matrix, newest first.
    // A resolver's arguments are the query's: GraphQL names them, not a struct.
    #[graphql(complexity = "page(first.or(last).unwrap_or(50), child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn talent_reviews(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The employee; NOT_FOUND when no employee has this id.")] employee_id: Uuid,
        #[graphql(
            desc = "How many placements to read from the newest (after `after`), 1 to 500; 50 when neither `first` \
                    nor `last` is given. Not together with `last`."
        )]
        first: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the older placements after it.")] after: Option<String>,
        #[graphql(
            desc = "How many placements to read from the oldest (before `before`), 1 to 500. Not together with \
                    `first`."
        )]
        last: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the newer placements before it.")] before: Option<String>,
        #[graphql(
            desc = "Waits (bounded) until the read models include this event-log position, such as a \
                    mutation's `position`, to read one's own writes; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Keyed<TalentReview>> {
        api(ctx)?
            .reach(read_models::COMPETENCE, at_least_position.map(|p| p.0))
            .await?;
        let window = window(first, after, last, before, 50)?;
        talent_reviews_of(ctx, employee_id, window).await
    }

    /// An institution's gap report against a framework: per job group present and competency it has a requirement
    /// in, how many current employees are assessed, meet the level or fall below it. Small cells are suppressed for a
    /// caller who may not read the institution's people.
    async fn competency_gap_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The institution; NOT_FOUND when no institution has this id.")] institution_id: Uuid,
        #[graphql(desc = "The framework; NOT_FOUND when none has this id.")] framework_id: Uuid,
        #[graphql(
            desc = "Waits (bounded) until the read models include this event-log position, such as a \
                    mutation's `position`, to read one's own writes; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<CompetencyGapReport> {
        api(ctx)?
            .reach(read_models::COMPETENCE, at_least_position.map(|p| p.0))
            .await?;
        crate::query::require_institution(ctx, institution_id).await?;
        let (scope, people) = (
            scope(ctx, ReadOf::Aggregates).await?,
            scope(ctx, ReadOf::Personal).await?,
        );
        let report = profile::gap_report(&*reads(ctx).await?, scope, people, institution_id, framework_id)
            .await
            .map_err(db)?;
        let report = match report {
            Some(r) => r,
            None if !scope.covers_institution(institution_id) => return Err(not_found("no institution has this id")),
            None => return Err(not_found("no competency framework has this id")),
        };
        Ok(CompetencyGapReport {
            institution_id: report.institution_id,
            framework: report.framework.into(),
            version: report.version,
            cells: report.cells.into_iter().map(Into::into).collect(),
        })
    }
}
