//! Individual development plans over GraphQL: created, approved,
//! progressed and reviewed; one plan, an employee's plans, and the coverage
//! of approved plans per institution, resor and year.

use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, SimpleObject};
use prasme_commands::{
    ApproveDevelopmentPlan, CompleteDevelopmentActivity, CreateDevelopmentPlan, PlanActivity, PlanGoal, ReadOf,
    RecordGoalProgress, ReviewDevelopmentPlan,
};
use prasme_domain::calendar::date_in_latvia;
use prasme_domain::development_plan::Period;
use prasme_projections::development_plan::read::{self, Coverage, PlanRow};
use std::marker::PhantomData;
use uuid::Uuid;

use crate::competency::level_number;
use crate::complexity::page;
use crate::context::{api, read_models, reads, scope};
use crate::errors::{db, not_found, year_argument, UserError};
use crate::model::Resor;
use crate::mutation::{command, outcome, settle, stream_uuid, use_cases, Outcome};
use crate::paging::{connection, window, Keyed};
use crate::payload::{names, payload_type_name, MutationName};
use crate::scalars::{Date, Position};

/// What a development activity is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::development_plan::ActivityKind")]
pub enum ActivityKind {
    /// A catalogue course; a passed completion of it within the plan's period marks the activity done.
    Course,
    /// Learning on the job (workplace-based).
    WorkplaceLearning,
    /// Mentoring (workplace-based).
    Mentoring,
    /// Job shadowing (workplace-based).
    JobShadowing,
    /// Rotation to another post (workplace-based).
    Rotation,
    /// Self-study.
    SelfStudy,
}

/// A goal: a framework competency and the level to reach in it.
#[derive(InputObject)]
pub struct PlanGoalInput {
    /// Defaults to an id derived from the plan and the goal's place in the list.
    pub goal_id: Option<Uuid>,
    /// The framework; not retired.
    pub framework_id: Uuid,
    /// The framework version, from 1 to its newest.
    pub framework_version: i32,
    /// The competency's code in that version.
    pub competency: String,
    /// The level to reach, on the competency's scale.
    pub target_level: i32,
}

/// An activity of the plan.
#[derive(InputObject)]
pub struct PlanActivityInput {
    /// Defaults to an id derived from the plan and the activity's place in the list.
    pub activity_id: Option<Uuid>,
    /// What the activity is.
    pub kind: ActivityKind,
    /// What it is called: trimmed, 1 to 200 characters.
    pub title: String,
    /// The catalogue course, for a COURSE activity and only for one.
    pub course_id: Option<Uuid>,
    /// The goal it serves, by its position in `goals`, counting from 0.
    pub goal: Option<i32>,
}

/// A period of days, both ends included.
#[derive(InputObject)]
pub struct PeriodInput {
    /// The first day.
    pub starts_on: Date,
    /// The last day; not before `startsOn`.
    pub ends_on: Date,
}

/// A new development plan.
#[derive(InputObject)]
pub struct CreateDevelopmentPlanInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// Defaults to the command id, so a retried command names the same plan.
    pub plan_id: Option<Uuid>,
    /// The employee the plan is for; they must be at work.
    pub employee_id: Uuid,
    /// The period the plan covers.
    pub period: PeriodInput,
    /// At most 20 goals; a plan needs a goal or an activity.
    #[graphql(default)]
    pub goals: Vec<PlanGoalInput>,
    /// At most 50 activities.
    #[graphql(default)]
    pub activities: Vec<PlanActivityInput>,
}

/// The approval of a plan, by the signed-in manager or HR.
#[derive(InputObject)]
pub struct ApproveDevelopmentPlanInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the plan's stream is at this version.
    pub expected_version: Option<i64>,
    /// The plan.
    pub plan_id: Uuid,
    /// The business date of the approval.
    pub approved_on: Date,
}

/// A level reached in one of the plan's goals.
#[derive(InputObject)]
pub struct RecordGoalProgressInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the plan's stream is at this version.
    pub expected_version: Option<i64>,
    /// The plan.
    pub plan_id: Uuid,
    /// The goal.
    pub goal_id: Uuid,
    /// The level reached, on the goal competency's scale.
    pub level: i32,
    /// The business date; not before the plan's period.
    pub recorded_on: Date,
    /// A note: trimmed, at most 1 000 characters.
    pub note: Option<String>,
}

/// The completion of one of the plan's activities.
#[derive(InputObject)]
pub struct CompleteDevelopmentActivityInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the plan's stream is at this version.
    pub expected_version: Option<i64>,
    /// The plan.
    pub plan_id: Uuid,
    /// The activity.
    pub activity_id: Uuid,
    /// The business date; not before the plan's period.
    pub completed_on: Date,
    /// A note: trimmed, at most 1 000 characters.
    pub note: Option<String>,
}

/// The review that ends a plan.
#[derive(InputObject)]
pub struct ReviewDevelopmentPlanInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the plan's stream is at this version.
    pub expected_version: Option<i64>,
    /// The plan; it must be approved.
    pub plan_id: Uuid,
    /// The business date; not before the plan's period.
    pub reviewed_on: Date,
    /// What the review concluded: trimmed, 1 to 1 000 characters.
    pub summary: String,
}

/// What a development-plan command answers with.
#[derive(SimpleObject)]
#[graphql(complex, name_type)]
pub struct DevelopmentPlanPayload<M: MutationName> {
    /// The plan the command wrote to; null when the command was refused.
    pub plan_id: Option<Uuid>,
    #[graphql(flatten)]
    pub outcome: Outcome,
    #[graphql(skip)]
    mutation: PhantomData<M>,
}
payload_type_name!(DevelopmentPlanPayload);

#[ComplexObject]
impl<M: MutationName> DevelopmentPlanPayload<M> {
    /// The plan as the read model has it once this command is projected.
    async fn plan(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<DevelopmentPlan>> {
        let (Some(id), Some(position)) = (self.plan_id, self.outcome.position) else {
            return Ok(None);
        };
        api(ctx)?
            .reach(read_models::DEVELOPMENT_PLANS, Some(position.0))
            .await?;
        plan_by_id(ctx, id).await
    }
}

fn payload<M: MutationName>(result: Result<prasme_commands::Accepted, Vec<UserError>>) -> DevelopmentPlanPayload<M> {
    DevelopmentPlanPayload {
        plan_id: result.as_ref().ok().and_then(|a| stream_uuid(&a.stream_id)),
        outcome: outcome(&result),
        mutation: PhantomData,
    }
}

#[derive(Default)]
pub struct DevelopmentPlanMutation;

#[Object]
impl DevelopmentPlanMutation {
    /// Creates a development plan for an employee and a period (the employee, their manager or HR). Refused in
    /// `userErrors` with OUT_OF_RANGE on `period.endsOn` for a period that ends before it starts, NOT_FOUND on
    /// `goals.competency` for a goal on a competency not in the framework, OUT_OF_RANGE on `goals.targetLevel` for a
    /// level off its scale, REQUIRED / INVALID_VALUE on `activities.courseId` when a course activity names no course or
    /// another names one.
    async fn create_development_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan.")] input: CreateDevelopmentPlanInput,
    ) -> async_graphql::Result<DevelopmentPlanPayload<names::CreateDevelopmentPlan>> {
        let cc = command(ctx, input.command_id, None)?;
        let create = CreateDevelopmentPlan {
            plan_id: input.plan_id,
            employee_id: input.employee_id,
            period: Period {
                starts_on: input.period.starts_on.0,
                ends_on: input.period.ends_on.0,
            },
            goals: input
                .goals
                .into_iter()
                .map(|g| PlanGoal {
                    goal_id: g.goal_id,
                    framework_id: g.framework_id,
                    framework_version: u32::try_from(g.framework_version).unwrap_or(0),
                    competency: g.competency,
                    target_level: level_number(g.target_level),
                })
                .collect(),
            activities: input
                .activities
                .into_iter()
                .map(|a| PlanActivity {
                    activity_id: a.activity_id,
                    kind: a.kind.into(),
                    title: a.title,
                    course_id: a.course_id,
                    goal: a.goal.map(|g| usize::try_from(g).unwrap_or(usize::MAX)),
                })
                .collect(),
        };
        Ok(payload(settle(
            use_cases(ctx)?.create_development_plan(&cc, create).await,
        )?))
    }

    /// Approves a plan (the employee's manager or HR, signed in as themself; not the employee). Refused with
    /// NOTHING_TO_CHANGE when it is approved already, INVALID_VALUE once it is reviewed.
    async fn approve_development_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The approval.")] input: ApproveDevelopmentPlanInput,
    ) -> async_graphql::Result<DevelopmentPlanPayload<names::ApproveDevelopmentPlan>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let approve = ApproveDevelopmentPlan {
            plan_id: input.plan_id,
            approved_on: input.approved_on.0,
        };
        Ok(payload(settle(
            use_cases(ctx)?.approve_development_plan(&cc, approve).await,
        )?))
    }

    /// Records the level reached in a goal; the goal is achieved when it reaches the target.
    async fn record_goal_progress(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The progress.")] input: RecordGoalProgressInput,
    ) -> async_graphql::Result<DevelopmentPlanPayload<names::RecordGoalProgress>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let progress = RecordGoalProgress {
            plan_id: input.plan_id,
            goal_id: input.goal_id,
            level: level_number(input.level),
            recorded_on: input.recorded_on.0,
            note: input.note,
        };
        Ok(payload(settle(
            use_cases(ctx)?.record_goal_progress(&cc, progress).await,
        )?))
    }

    /// Records an activity as completed; NOTHING_TO_CHANGE when it already is.
    async fn complete_development_activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The completion.")] input: CompleteDevelopmentActivityInput,
    ) -> async_graphql::Result<DevelopmentPlanPayload<names::CompleteDevelopmentActivity>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let complete = CompleteDevelopmentActivity {
            plan_id: input.plan_id,
            activity_id: input.activity_id,
            completed_on: input.completed_on.0,
            note: input.note,
        };
        Ok(payload(settle(
            use_cases(ctx)?.complete_development_activity(&cc, complete).await,
        )?))
    }

    /// Ends an approved plan with a review (the employee's manager or HR); nothing is recorded on it afterwards.
    async fn review_development_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review.")] input: ReviewDevelopmentPlanInput,
    ) -> async_graphql::Result<DevelopmentPlanPayload<names::ReviewDevelopmentPlan>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let review = ReviewDevelopmentPlan {
            plan_id: input.plan_id,
            reviewed_on: input.reviewed_on.0,
            summary: input.summary,
        };
        Ok(payload(settle(
            use_cases(ctx)?.review_development_plan(&cc, review).await,
        )?))
    }
}

/// A goal of a plan.
#[derive(SimpleObject, Clone)]
pub struct DevelopmentGoal {
    /// The goal's id.
    pub goal_id: Uuid,
    /// The framework.
    pub framework_id: Uuid,
    /// The framework version.
    pub framework_version: i64,
    /// The competency's code.
    pub competency: String,
    /// The level to reach.
    pub target_level: i32,
    /// The latest level recorded; null before any.
    pub level: Option<i32>,
    /// True once the latest level reaches the target.
    pub achieved: bool,
    /// When the latest level was recorded.
    pub recorded_on: Option<Date>,
    /// The latest progress note.
    pub note: Option<String>,
}

/// An activity of a plan.
#[derive(SimpleObject, Clone)]
pub struct DevelopmentActivity {
    /// The activity's id.
    pub activity_id: Uuid,
    /// What it is.
    pub kind: ActivityKind,
    /// True for the kinds that happen at the workplace (all but COURSE and SELF_STUDY).
    pub workplace_based: bool,
    /// Its title.
    pub title: String,
    /// The course of a COURSE activity.
    pub course_id: Option<Uuid>,
    /// The goal it serves.
    pub goal_id: Option<Uuid>,
    /// When it was done: recorded on the plan, or for a course its first passed completion within the period.
    pub completed_on: Option<Date>,
    /// The completion note.
    pub note: Option<String>,
}

/// An individual development plan.
#[derive(SimpleObject, Clone)]
pub struct DevelopmentPlan {
    /// The plan's id.
    pub plan_id: Uuid,
    /// The employee it is for.
    pub employee_id: Uuid,
    /// The institution it was made in.
    pub institution_id: Uuid,
    /// The period's first day.
    pub starts_on: Date,
    /// The period's last day.
    pub ends_on: Date,
    /// When it was approved; null until then.
    pub approved_on: Option<Date>,
    /// Who approved it (an employee id).
    pub approver_id: Option<Uuid>,
    /// When it was reviewed, which ended it; null until then.
    pub reviewed_on: Option<Date>,
    /// What the review concluded.
    pub summary: Option<String>,
    /// Goals achieved at the review.
    pub goals_achieved: Option<i32>,
    /// Goals in all, at the review.
    pub goals_total: Option<i32>,
    /// Workplace-based activities over all activities, in percent; null without activities.
    pub workplace_share_percent: Option<f64>,
    /// The goals, in the plan's order.
    pub goals: Vec<DevelopmentGoal>,
    /// The activities, in the plan's order.
    pub activities: Vec<DevelopmentActivity>,
    /// The event-log position that created it.
    pub position: Position,
}

impl From<PlanRow> for DevelopmentPlan {
    fn from(p: PlanRow) -> Self {
        Self {
            workplace_share_percent: p.workplace_percent(),
            plan_id: p.plan_id,
            employee_id: p.employee_id,
            institution_id: p.institution_id,
            starts_on: Date(p.starts_on),
            ends_on: Date(p.ends_on),
            approved_on: p.approved_on.map(Date),
            approver_id: p.approver_id,
            reviewed_on: p.reviewed_on.map(Date),
            summary: p.summary,
            goals_achieved: p.goals_achieved,
            goals_total: p.goals_total,
            goals: p
                .goals
                .into_iter()
                .map(|g| DevelopmentGoal {
                    goal_id: g.goal_id,
                    framework_id: g.framework_id,
                    framework_version: g.framework_version,
                    competency: g.competency,
                    target_level: g.target_level,
                    level: g.level,
                    achieved: g.achieved,
                    recorded_on: g.recorded_on.map(Date),
                    note: g.note,
                })
                .collect(),
            activities: p
                .activities
                .into_iter()
                .map(|a| DevelopmentActivity {
                    activity_id: a.activity_id,
                    workplace_based: a.kind.workplace_based(),
                    kind: a.kind.into(),
                    title: a.title,
                    course_id: a.course_id,
                    goal_id: a.goal_id,
                    completed_on: a.completed_on.or(a.course_completed_on).map(Date),
                    note: a.note,
                })
                .collect(),
            position: Position(p.position),
        }
    }
}

/// Approved-plan coverage of one unit. A count is null where the small-cell rule hides it from a caller who may not
/// read the people counted.
#[derive(SimpleObject)]
pub struct PlanCoverage {
    /// Employees on the reference date: 31 December, or today in the current year.
    pub headcount: Option<i64>,
    /// Of those, with an approved plan whose period overlaps the year.
    pub with_plan: Option<i64>,
    /// withPlan over headcount, in percent.
    pub share_percent: Option<f64>,
    /// True when the share reaches the year's target; null without a target or a share.
    pub meets_target: Option<bool>,
    /// Activities of the approved plans made in the unit for the year.
    pub activities: Option<i64>,
    /// Of those, workplace-based.
    pub workplace_activities: Option<i64>,
    /// workplaceActivities over activities, in percent, against 70.
    pub workplace_share_percent: Option<f64>,
}

impl PlanCoverage {
    fn new(c: Coverage, target: Option<u32>) -> Self {
        let share = c.share_percent();
        Self {
            headcount: c.headcount,
            with_plan: c.with_plan,
            share_percent: share,
            meets_target: share.zip(target).map(|(s, t)| s >= f64::from(t)),
            activities: c.activities,
            workplace_activities: c.workplace_activities,
            workplace_share_percent: c.workplace_percent(),
        }
    }
}

/// One institution's coverage.
#[derive(SimpleObject)]
pub struct InstitutionPlanCoverage {
    /// The institution.
    pub institution_id: Uuid,
    /// Its resor; null for a municipality.
    pub resor: Option<Resor>,
    /// Its coverage.
    pub coverage: PlanCoverage,
}

/// One resor's coverage.
#[derive(SimpleObject)]
pub struct ResorPlanCoverage {
    /// The resor; null for the municipalities together.
    pub resor: Option<Resor>,
    /// Its coverage over the institutions in the caller's reach.
    pub coverage: PlanCoverage,
}

/// The share of employees with an approved development plan in a year, against seed 001's path (10 % in 2025, 20 %,
/// 30 %, 55 %, 70 % in 2029), and the workplace-based share of the plans' activities against 70 %.
#[derive(SimpleObject)]
pub struct DevelopmentPlanCoverage {
    /// The year.
    pub year: i32,
    /// The share the path sets for the year, in percent; null for a year it does not cover.
    pub target_percent: Option<i32>,
    /// The workplace-based share the plan asks for, in percent.
    pub workplace_target_percent: i32,
    /// Every institution in the caller's reach with staff or plans in the year.
    pub institutions: Vec<InstitutionPlanCoverage>,
    /// Per resor of those institutions.
    pub by_resor: Vec<ResorPlanCoverage>,
    /// All of those institutions together.
    pub total: PlanCoverage,
}

pub(crate) async fn plan_by_id(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<DevelopmentPlan>> {
    let scope = scope(ctx, ReadOf::Personal).await?;
    let row = read::plan_by_id(&*reads(ctx).await?, scope, id).await.map_err(db)?;
    Ok(row.map(Into::into))
}

#[derive(Default)]
pub struct DevelopmentPlanQuery;

#[Object]
impl DevelopmentPlanQuery {
    /// The development plan with this id; NOT_FOUND when there is none or it is out of the caller's reach.
    async fn development_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan's id.")] id: Uuid,
        #[graphql(
            desc = "Waits (bounded) until the read models include this event-log position, such as a \
                    mutation's `position`, to read one's own writes; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<DevelopmentPlan> {
        api(ctx)?
            .reach(read_models::DEVELOPMENT_PLANS, at_least_position.map(|p| p.0))
            .await?;
        plan_by_id(ctx, id)
            .await?
            .ok_or_else(|| not_found("no development plan has this id"))
    }

    /// An employee's development plans, newest period first.
    // A resolver's arguments are the query's: GraphQL names them, not a struct.
    #[graphql(complexity = "page(first.or(last).unwrap_or(50), child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn development_plans(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The employee; NOT_FOUND when no employee has this id.")] employee_id: Uuid,
        #[graphql(
            desc = "How many plans to read from the newest period (after `after`), 1 to 500; 50 when neither \
                    `first` nor `last` is given. Not together with `last`."
        )]
        first: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the older plans after it.")] after: Option<String>,
        #[graphql(
            desc = "How many plans to read from the oldest period (before `before`), 1 to 500. Not together with \
                    `first`."
        )]
        last: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the newer plans before it.")] before: Option<String>,
        #[graphql(
            desc = "Waits (bounded) until the read models include this event-log position, such as a \
                    mutation's `position`, to read one's own writes; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Keyed<DevelopmentPlan>> {
        api(ctx)?
            .reach(read_models::DEVELOPMENT_PLANS, at_least_position.map(|p| p.0))
            .await?;
        crate::employee::require_employee(ctx, employee_id).await?;
        let window = window(first, after, last, before, 50)?;
        let scope = scope(ctx, ReadOf::Personal).await?;
        let page = read::plans_of(&*reads(ctx).await?, scope, employee_id, &window)
            .await
            .map_err(db)?;
        Ok(connection(&window, page, DevelopmentPlan::from))
    }

    /// The coverage of approved development plans in a year, per institution in the caller's reach, per resor and
    /// in total. Small cells are suppressed for a caller who may not read the people counted.
    async fn development_plan_coverage(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A year from 2021 to 2035: the range every operation accepts.")] year: i32,
        #[graphql(
            desc = "Waits (bounded) until the read models include this event-log position, such as a \
                    mutation's `position`, to read one's own writes; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<DevelopmentPlanCoverage> {
        year_argument(year)?;
        api(ctx)?
            .reach(read_models::DEVELOPMENT_PLANS, at_least_position.map(|p| p.0))
            .await?;
        let (scope, people) = (
            scope(ctx, ReadOf::Aggregates).await?,
            scope(ctx, ReadOf::Personal).await?,
        );
        let today = date_in_latvia(chrono::Utc::now());
        let report = read::coverage(&*reads(ctx).await?, scope, people, year, today)
            .await
            .map_err(db)?;
        let target = report.target_percent;
        Ok(DevelopmentPlanCoverage {
            year: report.year,
            target_percent: target.map(|t| t as i32),
            workplace_target_percent: report.workplace_target_percent as i32,
            institutions: report
                .institutions
                .into_iter()
                .map(|r| InstitutionPlanCoverage {
                    institution_id: r.institution_id,
                    resor: r.resor.map(Into::into),
                    coverage: PlanCoverage::new(r.coverage, target),
                })
                .collect(),
            by_resor: report
                .by_resor
                .into_iter()
                .map(|(resor, c)| ResorPlanCoverage {
                    resor: resor.map(Into::into),
                    coverage: PlanCoverage::new(c, target),
                })
                .collect(),
            total: PlanCoverage::new(report.total, target),
        })
    }
}
