//! The application layer: one function per use case. Each one asks the
//! policy (the principal, the use case, its target's facts; `admission.rs`)
//! before it gathers any fact for its decision, gathers the facts it needs
//! from other aggregates behind its stream's turn, and lets the aggregate's
//! decider decide. The API, the demo loader and any importer call these and
//! nothing below them, so each path checks the same rules.

mod admission;
mod assessment;
mod competency;
mod course;
mod development_plan;
mod employee;
mod feedback;
mod institution;
mod offering;
mod plan;

pub use assessment::{AssessCompetency, ReviewTalent};
pub use competency::{PublishCompetencyFramework, RetireCompetencyFramework, ReviseCompetencyFramework};
pub use course::{CatalogueCourse, DescribeCourse, RetireCourse, ReviseCourse};
pub use development_plan::{
    ApproveDevelopmentPlan, CompleteDevelopmentActivity, CreateDevelopmentPlan, PlanActivity, PlanGoal,
    RecordGoalProgress, ReviewDevelopmentPlan,
};
pub use employee::{
    AssignManager, ChangeEmployeeRole, EraseEmployeePersonalData, HireEmployee, RecordEmployeeLeft, TransferEmployee,
};
pub use feedback::{
    CancelFeedbackCycle, CloseFeedbackCycle, FeedbackInvitation, InviteRater, OpenFeedbackCycle, RecordFeedbackResult,
    SubmitFeedback,
};
pub use institution::{
    AllocateTrainingBudget, CorrectTrainingAllocation, DeclareRemunerationBudget, RegisterInstitution,
};
pub use offering::{
    CancelOffering, ChangeOfferingCapacity, GiveFeedback, PlaceChange, PlaceId, RecordAttendance, RecordCompletion,
    ScheduleOffering, SubstituteParticipant,
};
pub use plan::{
    plan_id, ChangeIndicatorTarget, DefineIndicator, RecordPlanProgress, RetireIndicator, WithdrawPlanProgress,
};

use prasme_domain::competency::Framework;
use prasme_domain::course::Course;
use prasme_domain::development_plan::DevelopmentPlan;
use prasme_domain::employee::Employee;
use prasme_domain::feedback_cycle::FeedbackCycle;
use prasme_domain::institution::Institution;
use prasme_domain::offering::Offering;
use prasme_domain::{Decider, DomainError, ErrorCode};
use uuid::Uuid;

use crate::{CommandError, CommandHandler, Vault};

/// The use cases, under the policy of `policy.rs`.
#[derive(Clone)]
pub struct UseCases {
    handler: CommandHandler,
    vault: Vault,
}

impl UseCases {
    pub fn new(handler: CommandHandler, vault: Vault) -> Self {
        Self { handler, vault }
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
            Framework::stream_id(id),
            DevelopmentPlan::stream_id(id),
            FeedbackCycle::stream_id(id),
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
