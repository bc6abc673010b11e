//! The authorisation hook: every use case asks it, with the principal, the
//! use case and its target, before it gathers any fact. The security issue
//! writes the policy; until then `AllowAll` is the one in force.

use uuid::Uuid;

use crate::principal::Principal;

/// Every use case of the application layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UseCase {
    RegisterInstitution,
    DeclareRemunerationBudget,
    AllocateTrainingBudget,
    CorrectTrainingAllocation,
    HireEmployee,
    ChangeEmployeeRole,
    TransferEmployee,
    AssignManager,
    RecordEmployeeLeft,
    EraseEmployeePersonalData,
    CatalogueCourse,
    ReviseCourse,
    RetireCourse,
    ScheduleOffering,
    ChangeOfferingCapacity,
    CancelOffering,
    RequestPlace,
    ApprovePlace,
    RejectPlace,
    CancelPlace,
    SubstituteParticipant,
    RecordAttendance,
    RecordCompletion,
    GiveFeedback,
    RevokeCompletion,
}

impl UseCase {
    pub const ALL: [UseCase; 25] = [
        UseCase::RegisterInstitution,
        UseCase::DeclareRemunerationBudget,
        UseCase::AllocateTrainingBudget,
        UseCase::CorrectTrainingAllocation,
        UseCase::HireEmployee,
        UseCase::ChangeEmployeeRole,
        UseCase::TransferEmployee,
        UseCase::AssignManager,
        UseCase::RecordEmployeeLeft,
        UseCase::EraseEmployeePersonalData,
        UseCase::CatalogueCourse,
        UseCase::ReviseCourse,
        UseCase::RetireCourse,
        UseCase::ScheduleOffering,
        UseCase::ChangeOfferingCapacity,
        UseCase::CancelOffering,
        UseCase::RequestPlace,
        UseCase::ApprovePlace,
        UseCase::RejectPlace,
        UseCase::CancelPlace,
        UseCase::SubstituteParticipant,
        UseCase::RecordAttendance,
        UseCase::RecordCompletion,
        UseCase::GiveFeedback,
        UseCase::RevokeCompletion,
    ];
}

/// What a use case acts on: the aggregate whose stream it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Institution(Uuid),
    Employee(Uuid),
    Course(Uuid),
    Offering(Uuid),
}

/// The policy's refusal. It says no more than that, so that a forbidden
/// target and a missing one cannot be told apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{use_case:?} is not allowed here")]
pub struct Denied {
    pub use_case: UseCase,
}

pub trait Authorize: Send + Sync {
    fn authorize(&self, principal: &Principal, use_case: UseCase, target: Target) -> Result<(), Denied>;
}

/// Allows every use case to everyone: the policy until the security issue.
pub struct AllowAll;

impl Authorize for AllowAll {
    fn authorize(&self, _: &Principal, _: UseCase, _: Target) -> Result<(), Denied> {
        Ok(())
    }
}
