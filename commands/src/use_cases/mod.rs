//! The application layer: one function per use case. Each one asks the
//! policy (the principal, the use case, its target) before it gathers any
//! fact, gathers the facts it needs from other aggregates behind its stream's
//! turn, and lets the aggregate's decider decide. The API, the demo loader
//! and any importer call these and nothing below them, so each path checks
//! the same rules.

mod course;
mod employee;
mod institution;
mod offering;

pub use course::{CatalogueCourse, DescribeCourse, RetireCourse, ReviseCourse};
pub use employee::{
    AssignManager, ChangeEmployeeRole, EraseEmployeePersonalData, HireEmployee, RecordEmployeeLeft, TransferEmployee,
};
pub use institution::{
    AllocateTrainingBudget, CorrectTrainingAllocation, DeclareRemunerationBudget, RegisterInstitution,
};
pub use offering::{
    CancelOffering, ChangeOfferingCapacity, GiveFeedback, PlaceChange, PlaceId, RecordAttendance, RecordCompletion,
    ScheduleOffering, SubstituteParticipant,
};

use std::sync::Arc;

use prasme_domain::institution::Institution;
use prasme_domain::{Decider, DomainError, ErrorCode};
use uuid::Uuid;

use crate::authorize::{AllowAll, Authorize, Target, UseCase};
use crate::{Accepted, CommandContext, CommandError, CommandHandler, Vault};

#[derive(Clone)]
pub struct UseCases {
    handler: CommandHandler,
    vault: Vault,
    policy: Arc<dyn Authorize>,
}

impl UseCases {
    /// With the policy in force today, which allows everything.
    pub fn new(handler: CommandHandler, vault: Vault) -> Self {
        Self::with_policy(handler, vault, Arc::new(AllowAll))
    }

    pub fn with_policy(handler: CommandHandler, vault: Vault, policy: Arc<dyn Authorize>) -> Self {
        Self { handler, vault, policy }
    }

    fn authorize(&self, ctx: &CommandContext, use_case: UseCase, target: Target) -> Result<(), CommandError> {
        Ok(self.policy.authorize(&ctx.principal, use_case, target)?)
    }

    /// A use case that needs no fact from another aggregate.
    async fn plain<D: Decider>(
        &self,
        ctx: &CommandContext,
        use_case: UseCase,
        target: Target,
        id: Uuid,
        command: D::Command,
    ) -> Result<Accepted, CommandError> {
        self.authorize(ctx, use_case, target)?;
        self.handler.execute::<D>(ctx, id, command).await
    }

    /// A refusal on `field` unless an institution is registered with this id.
    async fn institution_exists(&self, id: Uuid, field: &'static str) -> Result<Result<(), DomainError>, CommandError> {
        Ok(if self.handler.exists::<Institution>(id).await? {
            Ok(())
        } else {
            Err(DomainError::on(
                field,
                ErrorCode::NotFound,
                "no institution is registered with this id",
            ))
        })
    }
}
