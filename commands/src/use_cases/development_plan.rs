//! Individual development plans: created for an employee and a period,
//! approved by their manager, progressed, and ended with a review.

use chrono::NaiveDate;
use prasme_domain::competency::Framework;
use prasme_domain::development_plan::{Activity, ActivityKind, DevelopmentPlan, DevelopmentPlanCommand, Goal, Period};
use prasme_domain::employee::Employee;
use prasme_domain::institution::Institution;
use prasme_domain::{DomainError, ErrorCode};
use serde::Serialize;
use uuid::Uuid;

use super::admission::Target;
use super::UseCases;
use crate::policy::UseCase;
use crate::{Accepted, CommandContext, CommandError};

/// A goal as a client writes it; its id defaults to one derived from the
/// plan and its place in the list, so a retried command names the same goals.
#[derive(Serialize)]
pub struct PlanGoal {
    pub goal_id: Option<Uuid>,
    pub framework_id: Uuid,
    pub framework_version: u32,
    pub competency: String,
    pub target_level: u8,
}

/// An activity as a client writes it; its id defaults as a goal's does.
/// `goal` names a goal of the plan by its position in `goals` (from 0),
/// so a client can link them before either has an id.
#[derive(Serialize)]
pub struct PlanActivity {
    pub activity_id: Option<Uuid>,
    pub kind: ActivityKind,
    pub title: String,
    pub course_id: Option<Uuid>,
    pub goal: Option<usize>,
}

#[derive(Serialize)]
pub struct CreateDevelopmentPlan {
    /// Defaults to the command id.
    pub plan_id: Option<Uuid>,
    pub employee_id: Uuid,
    pub period: Period,
    pub goals: Vec<PlanGoal>,
    pub activities: Vec<PlanActivity>,
}

#[derive(Serialize)]
pub struct ApproveDevelopmentPlan {
    pub plan_id: Uuid,
    pub approved_on: NaiveDate,
}

#[derive(Serialize)]
pub struct RecordGoalProgress {
    pub plan_id: Uuid,
    pub goal_id: Uuid,
    pub level: u8,
    pub recorded_on: NaiveDate,
    pub note: Option<String>,
}

#[derive(Serialize)]
pub struct CompleteDevelopmentActivity {
    pub plan_id: Uuid,
    pub activity_id: Uuid,
    pub completed_on: NaiveDate,
    pub note: Option<String>,
}

#[derive(Serialize)]
pub struct ReviewDevelopmentPlan {
    pub plan_id: Uuid,
    pub reviewed_on: NaiveDate,
    pub summary: String,
}

/// A stable id for the `n`th item of a kind in a plan.
fn derived(plan_id: Uuid, kind: &str, n: usize) -> Uuid {
    Uuid::new_v5(&plan_id, format!("{kind}-{n}").as_bytes())
}

impl CreateDevelopmentPlan {
    /// The domain's goals and activities, with ids filled in and the goals
    /// activities name resolved; refused on `activities.goal` for a
    /// position the list does not have.
    fn planned(&self, plan_id: Uuid) -> Result<(Vec<Goal>, Vec<Activity>), DomainError> {
        let goals: Vec<Goal> = self
            .goals
            .iter()
            .enumerate()
            .map(|(n, g)| Goal {
                goal_id: g.goal_id.unwrap_or_else(|| derived(plan_id, "goal", n)),
                framework_id: g.framework_id,
                framework_version: g.framework_version,
                competency: g.competency.clone(),
                target_level: g.target_level,
            })
            .collect();
        let activities = self
            .activities
            .iter()
            .enumerate()
            .map(|(n, a)| {
                let goal_id = a
                    .goal
                    .map(|i| {
                        goals.get(i).map(|g| g.goal_id).ok_or_else(|| {
                            DomainError::on(
                                "activities.goal",
                                ErrorCode::NotFound,
                                format!("the plan has {} goals, counted from 0", goals.len()),
                            )
                        })
                    })
                    .transpose()?;
                Ok(Activity {
                    activity_id: a.activity_id.unwrap_or_else(|| derived(plan_id, "activity", n)),
                    kind: a.kind,
                    title: a.title.clone(),
                    course_id: a.course_id,
                    goal_id,
                })
            })
            .collect::<Result<_, DomainError>>()?;
        Ok((goals, activities))
    }
}

impl UseCases {
    pub async fn create_development_plan(
        &self,
        ctx: &CommandContext,
        input: CreateDevelopmentPlan,
    ) -> Result<Accepted, CommandError> {
        let plan_id = input.plan_id.unwrap_or(ctx.command_id);
        let target = Target::NewPlan {
            plan_id,
            employee_id: input.employee_id,
        };
        let cmd = self.admit(ctx, UseCase::CreateDevelopmentPlan, target, &input).await?;
        self.handler
            .execute_with::<DevelopmentPlan, _, _>(&cmd, plan_id, || async {
                if let Err(refusal) = self.id_is_free::<DevelopmentPlan>(plan_id, "planId").await? {
                    return Ok(Err(refusal));
                }
                let (employee, _) = self.handler.state::<Employee>(input.employee_id).await?;
                let (employee_id, institution_id) = match employee.at_work("employeeId") {
                    Ok(at) => at,
                    Err(refusal) => return Ok(Err(refusal)),
                };
                let (goals, activities) = match input.planned(plan_id) {
                    Ok(planned) => planned,
                    Err(refusal) => return Ok(Err(refusal)),
                };
                let mut frameworks: Vec<Framework> = Vec::new();
                for goal in &goals {
                    if !frameworks.iter().any(|f| f.id == Some(goal.framework_id)) {
                        let (framework, _) = self.handler.state::<Framework>(goal.framework_id).await?;
                        frameworks.push(framework);
                    }
                }
                let resor = self.handler.state::<Institution>(institution_id).await?.0.resor;
                Ok(Ok(DevelopmentPlanCommand::Create {
                    plan_id,
                    employee_id,
                    institution_id,
                    resor,
                    period: input.period,
                    goals,
                    activities,
                    frameworks,
                }))
            })
            .await
    }

    /// The approver is the signed-in employee: a plan is approved by a
    /// person, never by a system.
    pub async fn approve_development_plan(
        &self,
        ctx: &CommandContext,
        input: ApproveDevelopmentPlan,
    ) -> Result<Accepted, CommandError> {
        let id = input.plan_id;
        let cmd = self
            .admit(ctx, UseCase::ApproveDevelopmentPlan, Target::Plan(id), &input)
            .await?;
        let Some(approver_id) = ctx.principal.employee_id() else {
            return Err(DomainError::new(
                ErrorCode::InvalidValue,
                None,
                "a plan is approved by an employee signed in as themself",
            )
            .into());
        };
        let command = DevelopmentPlanCommand::Approve {
            approver_id,
            approved_on: input.approved_on,
        };
        self.handler.execute::<DevelopmentPlan>(&cmd, id, command).await
    }

    pub async fn record_goal_progress(
        &self,
        ctx: &CommandContext,
        input: RecordGoalProgress,
    ) -> Result<Accepted, CommandError> {
        let id = input.plan_id;
        let cmd = self
            .admit(ctx, UseCase::RecordGoalProgress, Target::Plan(id), &input)
            .await?;
        let command = DevelopmentPlanCommand::RecordGoalProgress {
            goal_id: input.goal_id,
            level: input.level,
            recorded_on: input.recorded_on,
            note: input.note,
        };
        self.handler.execute::<DevelopmentPlan>(&cmd, id, command).await
    }

    pub async fn complete_development_activity(
        &self,
        ctx: &CommandContext,
        input: CompleteDevelopmentActivity,
    ) -> Result<Accepted, CommandError> {
        let id = input.plan_id;
        let cmd = self
            .admit(ctx, UseCase::CompleteDevelopmentActivity, Target::Plan(id), &input)
            .await?;
        let command = DevelopmentPlanCommand::CompleteActivity {
            activity_id: input.activity_id,
            completed_on: input.completed_on,
            note: input.note,
        };
        self.handler.execute::<DevelopmentPlan>(&cmd, id, command).await
    }

    pub async fn review_development_plan(
        &self,
        ctx: &CommandContext,
        input: ReviewDevelopmentPlan,
    ) -> Result<Accepted, CommandError> {
        let id = input.plan_id;
        let cmd = self
            .admit(ctx, UseCase::ReviewDevelopmentPlan, Target::Plan(id), &input)
            .await?;
        let command = DevelopmentPlanCommand::Review {
            reviewed_on: input.reviewed_on,
            summary: input.summary,
        };
        self.handler.execute::<DevelopmentPlan>(&cmd, id, command).await
    }
}
