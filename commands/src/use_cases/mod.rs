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

use serde::Serialize;

use prasme_domain::course::Course;
use prasme_domain::employee::Employee;
use prasme_domain::institution::Institution;
use prasme_domain::offering::Offering;
use prasme_domain::{Decider, DomainError, ErrorCode};
use uuid::Uuid;

use crate::authorize::{AllowAll, Authorize, Target, UseCase};
use crate::fingerprint::InputFingerprint;
use crate::{Admitted, CommandContext, CommandError, CommandHandler, Vault};

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

    /// Asks the policy, and fingerprints the input that the command id is
    /// the key of: what the handler needs before it runs anything.
    fn admit<'a>(
        &self,
        ctx: &'a CommandContext,
        use_case: UseCase,
        target: Target,
        input: &impl Serialize,
    ) -> Result<Admitted<'a>, CommandError> {
        self.policy.authorize(&ctx.principal, use_case, target)?;
        Ok(Admitted {
            ctx,
            input: InputFingerprint::of(use_case, input)?,
        })
    }

    /// A refusal on `field` when a record of another kind than `D` has this
    /// id: an id names one record, so that `node(id:)` finds one thing by it.
    async fn id_is_free<D: Decider>(
        &self,
        id: Uuid,
        field: &'static str,
    ) -> Result<Result<(), DomainError>, CommandError> {
        let others: Vec<String> = [
            Institution::stream_id(id),
            Employee::stream_id(id),
            Course::stream_id(id),
            Offering::stream_id(id),
        ]
        .into_iter()
        .filter(|stream| *stream != D::stream_id(id))
        .collect();
        Ok(if self.handler.any_exists(&others).await? {
            Err(DomainError::on(
                field,
                ErrorCode::AlreadyExists,
                "a record of another kind has this id",
            ))
        } else {
            Ok(())
        })
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
