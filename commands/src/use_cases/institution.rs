//! Institutions and their training budgets.

use prasme_domain::institution::{Institution, InstitutionCommand};
use prasme_domain::reference::{FundingSource, InstitutionKind, Resor, StrategicPriority};
use prasme_domain::Cents;
use serde::Serialize;
use uuid::Uuid;

use super::admission::Target;
use super::UseCases;
use crate::policy::UseCase;
use crate::{Accepted, CommandContext, CommandError};

#[derive(Serialize)]
pub struct RegisterInstitution {
    /// Defaults to the command id, so a retried command names the same institution.
    pub institution_id: Option<Uuid>,
    pub name: String,
    pub kind: InstitutionKind,
    pub resor: Option<Resor>,
    pub funds_other_institutions_staff: bool,
}

#[derive(Serialize)]
pub struct DeclareRemunerationBudget {
    pub institution_id: Uuid,
    pub year: i32,
    pub amount: Cents,
}

#[derive(Serialize)]
pub struct AllocateTrainingBudget {
    pub institution_id: Uuid,
    /// Defaults to the command id, so a retried command names the same allocation.
    pub allocation_id: Option<Uuid>,
    pub year: i32,
    pub amount: Cents,
    pub funding_source: FundingSource,
    pub priority: Option<StrategicPriority>,
}

#[derive(Serialize)]
pub struct CorrectTrainingAllocation {
    pub institution_id: Uuid,
    pub allocation_id: Uuid,
    pub amount: Cents,
    pub funding_source: FundingSource,
    pub priority: Option<StrategicPriority>,
    pub reason: String,
}

impl UseCases {
    pub async fn register_institution(
        &self,
        ctx: &CommandContext,
        input: RegisterInstitution,
    ) -> Result<Accepted, CommandError> {
        let id = input.institution_id.unwrap_or(ctx.command_id);
        let cmd = self
            .admit(ctx, UseCase::RegisterInstitution, Target::Institution(id), &input)
            .await?;
        let command = InstitutionCommand::Register {
            institution_id: id,
            name: input.name,
            kind: input.kind,
            resor: input.resor,
            funds_other_institutions_staff: input.funds_other_institutions_staff,
        };
        self.handler
            .execute_with::<Institution, _, _>(&cmd, id, || async {
                Ok(self
                    .id_is_free::<Institution>(id, "institutionId")
                    .await?
                    .map(|()| command))
            })
            .await
    }

    pub async fn declare_remuneration_budget(
        &self,
        ctx: &CommandContext,
        input: DeclareRemunerationBudget,
    ) -> Result<Accepted, CommandError> {
        let id = input.institution_id;
        let cmd = self
            .admit(ctx, UseCase::DeclareRemunerationBudget, Target::Institution(id), &input)
            .await?;
        let command = InstitutionCommand::DeclareRemunerationBudget {
            year: input.year,
            amount: input.amount,
        };
        self.handler.execute::<Institution>(&cmd, id, command).await
    }

    pub async fn allocate_training_budget(
        &self,
        ctx: &CommandContext,
        input: AllocateTrainingBudget,
    ) -> Result<Accepted, CommandError> {
        let id = input.institution_id;
        let cmd = self
            .admit(ctx, UseCase::AllocateTrainingBudget, Target::Institution(id), &input)
            .await?;
        let command = InstitutionCommand::AllocateTrainingBudget {
            allocation_id: input.allocation_id.unwrap_or(ctx.command_id),
            year: input.year,
            amount: input.amount,
            funding_source: input.funding_source,
            priority: input.priority,
        };
        self.handler.execute::<Institution>(&cmd, id, command).await
    }

    pub async fn correct_training_allocation(
        &self,
        ctx: &CommandContext,
        input: CorrectTrainingAllocation,
    ) -> Result<Accepted, CommandError> {
        let id = input.institution_id;
        let cmd = self
            .admit(ctx, UseCase::CorrectTrainingAllocation, Target::Institution(id), &input)
            .await?;
        let command = InstitutionCommand::CorrectTrainingAllocation {
            allocation_id: input.allocation_id,
            amount: input.amount,
            funding_source: input.funding_source,
            priority: input.priority,
            reason: input.reason,
        };
        self.handler.execute::<Institution>(&cmd, id, command).await
    }
}
