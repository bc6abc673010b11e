//! One payload type per mutation, as GitHub's and Shopify's APIs have them:
//! `approvePlace` answers an `ApprovePlacePayload`. The payloads of one kind
//! of command share their fields and their Rust type, generic over the
//! mutation's name, so that one mutation's payload can grow (a dedicated
//! type in place of the generic one) without changing any other's.

/// A mutation's name, which names its payload type.
pub trait MutationName: Send + Sync + 'static {
    const NAME: &'static str;
}

macro_rules! mutation_names {
    ($($name:ident),* $(,)?) => {
        $(
            pub enum $name {}
            impl MutationName for $name {
                const NAME: &'static str = stringify!($name);
            }
        )*
    };
}

/// The mutations whose payloads share a Rust type, by the names their
/// payload types take (`registerInstitution` has a type of its own).
pub mod names {
    use super::MutationName;

    mutation_names!(
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
        PublishCompetencyFramework,
        ReviseCompetencyFramework,
        RetireCompetencyFramework,
        AssessCompetency,
        ReviewTalent,
        CreateDevelopmentPlan,
        ApproveDevelopmentPlan,
        RecordGoalProgress,
        CompleteDevelopmentActivity,
        ReviewDevelopmentPlan,
        OpenFeedbackCycle,
        InviteRater,
        CloseFeedbackCycle,
        CancelFeedbackCycle,
        RecordFeedbackResult,
        DefineIndicator,
        ChangeIndicatorTarget,
        RetireIndicator,
        RecordPlanProgress,
        WithdrawPlanProgress,
    );
}

/// Names a payload type generic over its mutation `<Mutation>Payload`.
macro_rules! payload_type_name {
    ($payload:ident) => {
        impl<M: $crate::payload::MutationName> async_graphql::TypeName for $payload<M> {
            fn type_name() -> std::borrow::Cow<'static, str> {
                format!("{}Payload", M::NAME).into()
            }
        }
    };
}
pub(crate) use payload_type_name;
