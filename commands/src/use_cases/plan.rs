//! The Learning and Development Plan as data: published by Prasme on first
//! start as the annexes state it, then supplemented by the State
//! Chancellery (VK_ADMIN) as the plan allows: an indicator defined on a
//! measure, a target changed, an indicator retired. See `docs/kpis.md` §4.

use chrono::NaiveDate;
use prasme_domain::plan::{Plan, PlanCommand, PlanContent, ProgressKind, TargetSpec};
use prasme_domain::ErrorCode;
use serde::Serialize;
use uuid::Uuid;

use super::admission::Target as Touches;
use super::UseCases;
use crate::policy::UseCase;
use crate::{Accepted, CommandContext, CommandError};

#[derive(Serialize)]
pub struct DefineIndicator {
    /// The measure's code, such as "3.1".
    pub measure: String,
    pub text_lv: String,
    pub text_en: String,
    pub target: Option<TargetSpec>,
    pub secondary_target: Option<TargetSpec>,
}

#[derive(Serialize)]
pub struct ChangeIndicatorTarget {
    /// Such as "3.1.1".
    pub indicator_id: String,
    /// The new targets; none makes it a monitoring count.
    pub target: Option<TargetSpec>,
    pub secondary_target: Option<TargetSpec>,
    pub reason: String,
}

#[derive(Serialize)]
pub struct RetireIndicator {
    pub indicator_id: String,
    pub reason: String,
}

#[derive(Serialize)]
pub struct RecordPlanProgress {
    pub record_id: Uuid,
    /// Such as "2.2.4".
    pub indicator_id: String,
    pub kind: ProgressKind,
    /// Required by an indicator that counts institutions.
    pub institution_id: Option<Uuid>,
    pub occurred_on: NaiveDate,
    pub title: String,
}

#[derive(Serialize)]
pub struct WithdrawPlanProgress {
    pub record_id: Uuid,
    pub reason: String,
}

/// The plan's id, the same on every server.
pub fn plan_id() -> Result<Uuid, CommandError> {
    Ok(published()?.id())
}

fn published() -> Result<&'static PlanContent, CommandError> {
    PlanContent::published().map_err(|e| CommandError::Invalid(format!("the published plan cannot be read: {e}")))
}

impl UseCases {
    /// Publishes the plan unless it is published: run by the server on
    /// start. `None` when there was nothing to do.
    pub async fn publish_plan(&self, ctx: &CommandContext) -> Result<Option<Accepted>, CommandError> {
        let content = published()?;
        let plan_id = content.id();
        let cmd = self
            .admit(ctx, UseCase::PublishPlan, Touches::LearningPlan(plan_id), &content.code)
            .await?;
        if self.handler.exists::<Plan>(plan_id).await? {
            return Ok(None);
        }
        let command = PlanCommand::Publish {
            plan_id,
            content: content.clone(),
        };
        match self.handler.execute::<Plan>(&cmd, plan_id, command).await {
            Ok(accepted) => Ok(Some(accepted)),
            // Another server starting on the same database published it first.
            Err(CommandError::Rejected(refusal)) if refusal.code == ErrorCode::AlreadyExists => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn define_indicator(
        &self,
        ctx: &CommandContext,
        input: DefineIndicator,
    ) -> Result<Accepted, CommandError> {
        let plan_id = plan_id()?;
        let cmd = self
            .admit(ctx, UseCase::DefineIndicator, Touches::LearningPlan(plan_id), &input)
            .await?;
        let command = PlanCommand::DefineIndicator {
            measure: input.measure,
            text_lv: input.text_lv,
            text_en: input.text_en,
            target: input.target,
            secondary_target: input.secondary_target,
        };
        self.handler.execute::<Plan>(&cmd, plan_id, command).await
    }

    pub async fn change_indicator_target(
        &self,
        ctx: &CommandContext,
        input: ChangeIndicatorTarget,
    ) -> Result<Accepted, CommandError> {
        let plan_id = plan_id()?;
        let cmd = self
            .admit(
                ctx,
                UseCase::ChangeIndicatorTarget,
                Touches::LearningPlan(plan_id),
                &input,
            )
            .await?;
        let command = PlanCommand::ChangeIndicatorTarget {
            indicator_id: input.indicator_id,
            target: input.target,
            secondary_target: input.secondary_target,
            reason: input.reason,
        };
        self.handler.execute::<Plan>(&cmd, plan_id, command).await
    }

    pub async fn retire_indicator(
        &self,
        ctx: &CommandContext,
        input: RetireIndicator,
    ) -> Result<Accepted, CommandError> {
        let plan_id = plan_id()?;
        let cmd = self
            .admit(ctx, UseCase::RetireIndicator, Touches::LearningPlan(plan_id), &input)
            .await?;
        let command = PlanCommand::RetireIndicator {
            indicator_id: input.indicator_id,
            reason: input.reason,
        };
        self.handler.execute::<Plan>(&cmd, plan_id, command).await
    }

    /// Records progress an indicator counts (a milestone, a material, an
    /// institution joining, an activity): what no other event carries.
    pub async fn record_plan_progress(
        &self,
        ctx: &CommandContext,
        input: RecordPlanProgress,
    ) -> Result<Accepted, CommandError> {
        let plan_id = plan_id()?;
        let cmd = self
            .admit(ctx, UseCase::RecordPlanProgress, Touches::LearningPlan(plan_id), &input)
            .await?;
        if let Some(institution) = input.institution_id {
            if let Err(refusal) = self.institution_exists(institution, "institutionId").await? {
                return Err(CommandError::Rejected(refusal));
            }
        }
        let command = PlanCommand::RecordProgress {
            record_id: input.record_id,
            indicator_id: input.indicator_id,
            kind: input.kind,
            institution_id: input.institution_id,
            occurred_on: input.occurred_on,
            title: input.title,
        };
        self.handler.execute::<Plan>(&cmd, plan_id, command).await
    }

    /// Withdraws a progress record recorded in error; it stays in the history.
    pub async fn withdraw_plan_progress(
        &self,
        ctx: &CommandContext,
        input: WithdrawPlanProgress,
    ) -> Result<Accepted, CommandError> {
        let plan_id = plan_id()?;
        let cmd = self
            .admit(
                ctx,
                UseCase::WithdrawPlanProgress,
                Touches::LearningPlan(plan_id),
                &input,
            )
            .await?;
        let command = PlanCommand::WithdrawProgress {
            record_id: input.record_id,
            reason: input.reason,
        };
        self.handler.execute::<Plan>(&cmd, plan_id, command).await
    }
}
