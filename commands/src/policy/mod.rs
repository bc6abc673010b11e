//! The security policy: who may run which command (here: one table, (role,
//! use case) → the reaches in which the role may run it, and the check of a
//! target's facts against it) and who may read what (`reads`: one table,
//! (role, kind of read) → reach, applied by the readers in SQL).
//! Pure: the facts are read by `use_cases/admission.rs`, which asks here
//! first what it needs to read.
//!
//! A role not listed for a use case may not run it at all (`VK_ANALYST` and
//! `AUDITOR` run no command); `SYSTEM` may run every use case anywhere. A
//! principal with several roles is allowed when any one role allows it, and
//! a role allows only when its reaches cover every fact set the target gives
//! (a substitution gives two people, a revision the old and the new owner).

pub mod reads;

use prasme_domain::course::CourseOwner;
use prasme_domain::reference::Resor;
use uuid::Uuid;

use crate::principal::{Principal, Role};

/// Declares `UseCase` with `ALL` and `name` from one list, so that none of
/// them can miss a use case.
macro_rules! use_cases {
    ($($variant:ident),+ $(,)?) => {
        /// Every use case of the application layer.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum UseCase {
            $($variant),+
        }

        impl UseCase {
            pub const ALL: [UseCase; [$(stringify!($variant)),+].len()] = [$(UseCase::$variant),+];

            /// The name stored in refusals and hashed into input fingerprints.
            pub fn name(self) -> &'static str {
                match self {
                    $(UseCase::$variant => stringify!($variant)),+
                }
            }
        }
    };
}

use_cases!(
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
    SubmitFeedback,
    CloseFeedbackCycle,
    CancelFeedbackCycle,
    RecordFeedbackResult,
    PublishPlan,
    DefineIndicator,
    ChangeIndicatorTarget,
    RetireIndicator,
    RecordPlanProgress,
    WithdrawPlanProgress,
);

impl UseCase {
    /// Whether a refusal is logged and appended as `AccessDenied`. Not for
    /// a 360 submission: "this person tried to rate this cycle" would say
    /// who was invited, and when they answered.
    pub fn records_refusals(self) -> bool {
        self != UseCase::SubmitFeedback
    }
}

/// Where a role may act, checked against one set of the target's facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reach {
    /// The person is the principal.
    Own,
    /// The person's current manager is the principal.
    DirectReports,
    /// The person or record belongs to one of the principal's institutions.
    OwnInstitution,
    /// The person or record belongs to an institution of one of the
    /// principal's resors.
    OwnResor,
    /// The course is owned by one of the principal's institutions.
    CourseOfInstitution,
    /// The course is owned by one of the principal's resors.
    CourseOfResor,
    /// The course is in VAS's catalogue: the whole administration's, or a
    /// professional group's.
    PublicCatalogue,
    Anywhere,
}

use Reach::*;

const OWN_INSTITUTION: &[Reach] = &[OwnInstitution];
/// The owners of the catalogue at each level.
const COURSE_OWNERS: &[(Role, &[Reach])] = &[
    (Role::InstitutionHr, &[CourseOfInstitution]),
    (Role::ResorCoordinator, &[CourseOfResor]),
    (Role::VasAdmin, &[PublicCatalogue]),
];

/// The table, one row per use case. The match is exhaustive, so a new use
/// case does not compile until it says who may run it.
fn row(use_case: UseCase) -> &'static [(Role, &'static [Reach])] {
    use Role::*;
    use UseCase as U;
    match use_case {
        U::RegisterInstitution => &[],
        U::DeclareRemunerationBudget => &[(InstitutionHr, OWN_INSTITUTION)],
        U::AllocateTrainingBudget | U::CorrectTrainingAllocation => {
            &[(InstitutionHr, OWN_INSTITUTION), (ResorCoordinator, &[OwnResor])]
        }
        U::HireEmployee
        | U::ChangeEmployeeRole
        | U::TransferEmployee
        | U::AssignManager
        | U::RecordEmployeeLeft
        | U::EraseEmployeePersonalData => &[(InstitutionHr, OWN_INSTITUTION)],
        U::CatalogueCourse
        | U::ReviseCourse
        | U::RetireCourse
        | U::ScheduleOffering
        | U::ChangeOfferingCapacity
        | U::CancelOffering => COURSE_OWNERS,
        U::RequestPlace | U::CancelPlace => &[
            (Employee, &[Own]),
            (Manager, &[Own, DirectReports]),
            (InstitutionHr, OWN_INSTITUTION),
            (VasAdmin, &[PublicCatalogue]),
        ],
        U::ApprovePlace | U::RejectPlace => &[
            (Manager, &[DirectReports]),
            (InstitutionHr, OWN_INSTITUTION),
            (VasAdmin, &[PublicCatalogue]),
        ],
        U::SubstituteParticipant => &[(InstitutionHr, OWN_INSTITUTION), (VasAdmin, &[PublicCatalogue])],
        U::RecordAttendance | U::RecordCompletion | U::RevokeCompletion => COURSE_OWNERS,
        U::GiveFeedback => &[(Employee, &[Own]), (Manager, &[Own])],
        // The frameworks are the public administration's, kept by VAS.
        U::PublishCompetencyFramework | U::ReviseCompetencyFramework | U::RetireCompetencyFramework => {
            &[(VasAdmin, &[Anywhere])]
        }
        // An employee assesses only themself, and only as a self-assessment
        // (the decider holds the method to the assessor).
        U::AssessCompetency => &[
            (Employee, &[Own]),
            (Manager, &[Own, DirectReports]),
            (InstitutionHr, OWN_INSTITUTION),
        ],
        U::ReviewTalent => &[(Manager, &[DirectReports]), (InstitutionHr, OWN_INSTITUTION)],
        // The employee drafts and keeps their own plan; the manager approves
        // and reviews it.
        U::CreateDevelopmentPlan | U::RecordGoalProgress | U::CompleteDevelopmentActivity => &[
            (Employee, &[Own]),
            (Manager, &[Own, DirectReports]),
            (InstitutionHr, OWN_INSTITUTION),
        ],
        U::ApproveDevelopmentPlan | U::ReviewDevelopmentPlan => {
            &[(Manager, &[DirectReports]), (InstitutionHr, OWN_INSTITUTION)]
        }
        // The subject's manager or HR runs a 360 cycle and records its result.
        U::OpenFeedbackCycle
        | U::InviteRater
        | U::CloseFeedbackCycle
        | U::CancelFeedbackCycle
        | U::RecordFeedbackResult => &[(Manager, &[DirectReports]), (InstitutionHr, OWN_INSTITUTION)],
        // Prasme publishes the plan as the annexes state it, on first start.
        U::PublishPlan => &[],
        // The State Chancellery supplements it, as the plan allows, and
        // records the progress no other event carries.
        U::DefineIndicator
        | U::ChangeIndicatorTarget
        | U::RetireIndicator
        | U::RecordPlanProgress
        | U::WithdrawPlanProgress => &[(VkAdmin, &[Anywhere])],
        // Whoever the cycle invited, whatever their role: the use case
        // admits a rater by the sealed invitation naming their employee id,
        // which no role reach can see. Analysts and auditors still run no
        // command (an invited auditor submits signed in as an employee).
        U::SubmitFeedback => &[
            (Employee, &[Anywhere]),
            (Manager, &[Anywhere]),
            (InstitutionHr, &[Anywhere]),
            (ResorCoordinator, &[Anywhere]),
            (VasAdmin, &[Anywhere]),
        ],
    }
}

/// Where `role` may run `use_case`; empty when it may not run it at all.
pub fn reaches(role: Role, use_case: UseCase) -> &'static [Reach] {
    if role == Role::System {
        return &[Anywhere];
    }
    row(use_case)
        .iter()
        .find(|(r, _)| *r == role)
        .map_or(&[], |(_, reaches)| reaches)
}

/// What the policy knows of one thing a command touches, read from the
/// aggregates' state. All `None` when that thing does not exist, so that a
/// missing target is refused exactly like one out of reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetFacts {
    /// The person concerned.
    pub employee: Option<Uuid>,
    /// That person's current manager.
    pub manager: Option<Uuid>,
    /// The institution the person or record belongs to.
    pub institution: Option<Uuid>,
    /// That institution's resor.
    pub resor: Option<Resor>,
    /// The owner of the course concerned.
    pub course_owner: Option<CourseOwner>,
}

/// Which facts the reaches in question look at, so that only those are read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// The person (or record) and their institution and manager.
    pub person: bool,
    /// The resor of that institution (one more read for a person).
    pub resor: bool,
    /// The owner of the course.
    pub course: bool,
}

impl Reach {
    fn holds(self, principal: &Principal, facts: &TargetFacts) -> bool {
        let me = principal.employee_id();
        match self {
            Own => me.is_some() && facts.employee == me,
            DirectReports => me.is_some() && facts.manager == me,
            OwnInstitution => facts.institution.is_some_and(|i| principal.institutions.contains(&i)),
            OwnResor => facts.resor.is_some_and(|r| principal.resors.contains(&r)),
            CourseOfInstitution => matches!(
                facts.course_owner,
                Some(CourseOwner::Institution { institution_id }) if principal.institutions.contains(&institution_id)
            ),
            CourseOfResor => matches!(
                facts.course_owner,
                Some(CourseOwner::Resor { resor }) if principal.resors.contains(&resor)
            ),
            PublicCatalogue => matches!(
                facts.course_owner,
                Some(CourseOwner::PublicAdministration | CourseOwner::ProfessionalGroup { .. })
            ),
            Anywhere => true,
        }
    }

    fn needs(self) -> Needs {
        match self {
            Own | DirectReports | OwnInstitution => Needs {
                person: true,
                ..Needs::default()
            },
            OwnResor => Needs {
                person: true,
                resor: true,
                ..Needs::default()
            },
            CourseOfInstitution | CourseOfResor | PublicCatalogue => Needs {
                course: true,
                ..Needs::default()
            },
            Anywhere => Needs::default(),
        }
    }
}

/// The policy's answer before anything is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// Allowed wherever the target is.
    Allowed,
    /// No role of the principal may run the use case.
    Refused,
    /// The answer depends on these facts of the target.
    Needs(Needs),
}

pub fn ask(principal: &Principal, use_case: UseCase) -> Ask {
    let mut reaches = principal
        .roles
        .iter()
        .flat_map(|role| reaches(*role, use_case))
        .peekable();
    if reaches.peek().is_none() {
        return Ask::Refused;
    }
    let mut needs = Needs::default();
    for reach in reaches {
        if *reach == Anywhere {
            return Ask::Allowed;
        }
        let more = reach.needs();
        needs = Needs {
            person: needs.person || more.person,
            resor: needs.resor || more.resor,
            course: needs.course || more.course,
        };
    }
    Ask::Needs(needs)
}

/// Whether `principal` may run `use_case` on a target with these facts: some
/// role of theirs reaches every one of them.
pub fn allows(principal: &Principal, use_case: UseCase, facts: &[TargetFacts]) -> bool {
    principal.roles.iter().any(|role| {
        let reaches = reaches(*role, use_case);
        reaches.contains(&Anywhere)
            || (!reaches.is_empty()
                && !facts.is_empty()
                && facts.iter().all(|f| reaches.iter().any(|r| r.holds(principal, f))))
    })
}

/// The policy's refusal. It says no more than that, so that a forbidden
/// target and a missing one cannot be told apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{use_case:?} is not allowed here")]
pub struct Denied {
    pub use_case: UseCase,
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Uuid = Uuid::from_u128(0xA);
    const B: Uuid = Uuid::from_u128(0xB);
    const ME: Uuid = Uuid::from_u128(1);
    const REPORT: Uuid = Uuid::from_u128(2);
    const STRANGER: Uuid = Uuid::from_u128(3);

    /// Given a principal with these roles, employee `ME`, institution `A`
    /// and resor FM.
    fn given(roles: &[Role]) -> Principal {
        Principal {
            subject: ME.to_string(),
            roles: roles.to_vec(),
            institutions: vec![A],
            resors: vec![Resor::Fm],
        }
    }

    fn institution(id: Uuid, resor: Resor) -> TargetFacts {
        TargetFacts {
            institution: Some(id),
            resor: Some(resor),
            ..TargetFacts::default()
        }
    }

    /// An employee of `institution` managed by `manager`, in a place of a
    /// course owned by VAS.
    fn person(employee: Uuid, manager: Uuid, institution: Uuid) -> TargetFacts {
        TargetFacts {
            employee: Some(employee),
            manager: Some(manager),
            institution: Some(institution),
            resor: None,
            course_owner: Some(CourseOwner::PublicAdministration),
        }
    }

    fn course(owner: CourseOwner) -> TargetFacts {
        TargetFacts {
            course_owner: Some(owner),
            ..TargetFacts::default()
        }
    }

    fn of_institution(id: Uuid) -> CourseOwner {
        CourseOwner::Institution { institution_id: id }
    }

    fn missing() -> Vec<TargetFacts> {
        vec![TargetFacts::default()]
    }

    #[test]
    fn system_runs_every_use_case_anywhere_without_reading_anything() {
        let system = Principal::system("importer");
        for use_case in UseCase::ALL {
            assert_eq!(ask(&system, use_case), Ask::Allowed, "{use_case:?}");
            assert!(allows(&system, use_case, &missing()), "{use_case:?}");
        }
    }

    #[test]
    fn analysts_auditors_and_principals_without_roles_run_no_command() {
        for roles in [
            &[Role::VkAnalyst][..],
            &[Role::Auditor],
            &[Role::VkAnalyst, Role::Auditor],
            &[],
        ] {
            let principal = given(roles);
            for use_case in UseCase::ALL {
                assert_eq!(ask(&principal, use_case), Ask::Refused, "{roles:?} {use_case:?}");
                let everything = TargetFacts {
                    course_owner: Some(CourseOwner::PublicAdministration),
                    ..person(ME, ME, A)
                };
                assert!(!allows(&principal, use_case, &[everything]), "{roles:?} {use_case:?}");
            }
        }
    }

    #[test]
    fn only_the_plans_keepers_supplement_the_plan_and_they_run_nothing_else() {
        let plan = [
            UseCase::DefineIndicator,
            UseCase::ChangeIndicatorTarget,
            UseCase::RetireIndicator,
            UseCase::RecordPlanProgress,
            UseCase::WithdrawPlanProgress,
        ];
        let keeper = given(&[Role::VkAdmin]);
        for use_case in UseCase::ALL {
            let expected = if plan.contains(&use_case) {
                Ask::Allowed
            } else {
                Ask::Refused
            };
            assert_eq!(ask(&keeper, use_case), expected, "{use_case:?}");
        }
        for role in Role::ALL
            .into_iter()
            .filter(|r| ![Role::VkAdmin, Role::System].contains(r))
        {
            for use_case in plan.into_iter().chain([UseCase::PublishPlan]) {
                assert_eq!(ask(&given(&[role]), use_case), Ask::Refused, "{role:?} {use_case:?}");
            }
        }
        assert_eq!(ask(&keeper, UseCase::PublishPlan), Ask::Refused, "SYSTEM publishes");
    }

    #[test]
    fn only_system_registers_institutions() {
        for role in Role::ALL.into_iter().filter(|r| *r != Role::System) {
            assert_eq!(
                ask(&given(&[role]), UseCase::RegisterInstitution),
                Ask::Refused,
                "{role:?}"
            );
        }
    }

    #[test]
    fn hr_acts_on_its_own_institution_only() {
        let hr = given(&[Role::InstitutionHr]);
        assert!(allows(
            &hr,
            UseCase::DeclareRemunerationBudget,
            &[institution(A, Resor::Fm)]
        ));
        assert!(!allows(
            &hr,
            UseCase::DeclareRemunerationBudget,
            &[institution(B, Resor::Fm)]
        ));
        assert!(allows(&hr, UseCase::TransferEmployee, &[person(STRANGER, STRANGER, A)]));
        assert!(!allows(
            &hr,
            UseCase::TransferEmployee,
            &[person(STRANGER, STRANGER, B)]
        ));
        assert!(allows(&hr, UseCase::ApprovePlace, &[person(STRANGER, STRANGER, A)]));
        assert!(!allows(&hr, UseCase::ApprovePlace, &[person(STRANGER, STRANGER, B)]));
        assert!(
            !allows(&hr, UseCase::GiveFeedback, &[person(ME, ME, A)]),
            "feedback is the participant's"
        );
    }

    #[test]
    fn a_substitution_needs_both_people_within_reach() {
        let hr = given(&[Role::InstitutionHr]);
        let both = [person(REPORT, ME, A), person(STRANGER, ME, A)];
        assert!(allows(&hr, UseCase::SubstituteParticipant, &both));
        let substitute_elsewhere = [person(REPORT, ME, A), person(STRANGER, ME, B)];
        assert!(!allows(&hr, UseCase::SubstituteParticipant, &substitute_elsewhere));
        let replaced_elsewhere = [person(REPORT, ME, B), person(STRANGER, ME, A)];
        assert!(!allows(&hr, UseCase::SubstituteParticipant, &replaced_elsewhere));
        let manager = given(&[Role::Manager]);
        assert!(!allows(&manager, UseCase::SubstituteParticipant, &both));
    }

    #[test]
    fn the_coordinator_of_a_resor_allocates_for_its_institutions() {
        let coordinator = given(&[Role::ResorCoordinator]);
        assert_eq!(
            ask(&coordinator, UseCase::AllocateTrainingBudget),
            Ask::Needs(Needs {
                person: true,
                resor: true,
                course: false
            })
        );
        assert!(allows(
            &coordinator,
            UseCase::AllocateTrainingBudget,
            &[institution(B, Resor::Fm)]
        ));
        assert!(allows(
            &coordinator,
            UseCase::CorrectTrainingAllocation,
            &[institution(B, Resor::Fm)]
        ));
        assert!(!allows(
            &coordinator,
            UseCase::AllocateTrainingBudget,
            &[institution(A, Resor::Vk)]
        ));
        assert!(!allows(
            &coordinator,
            UseCase::DeclareRemunerationBudget,
            &[institution(A, Resor::Fm)]
        ));
        assert!(!allows(
            &coordinator,
            UseCase::HireEmployee,
            &[institution(A, Resor::Fm)]
        ));
    }

    #[test]
    fn each_level_of_the_catalogue_is_kept_by_its_owner() {
        let hr = given(&[Role::InstitutionHr]);
        let coordinator = given(&[Role::ResorCoordinator]);
        let vas = given(&[Role::VasAdmin]);
        let group = CourseOwner::ProfessionalGroup { group: "IT".into() };
        let cases = [
            (&hr, course(of_institution(A)), true),
            (&hr, course(of_institution(B)), false),
            (&hr, course(CourseOwner::Resor { resor: Resor::Fm }), false),
            (&coordinator, course(CourseOwner::Resor { resor: Resor::Fm }), true),
            (&coordinator, course(CourseOwner::Resor { resor: Resor::Vk }), false),
            (&coordinator, course(of_institution(A)), false),
            (&vas, course(CourseOwner::PublicAdministration), true),
            (&vas, course(group), true),
            (&vas, course(of_institution(A)), false),
        ];
        for use_case in [
            UseCase::CatalogueCourse,
            UseCase::ScheduleOffering,
            UseCase::RecordCompletion,
        ] {
            for (principal, facts, allowed) in &cases {
                assert_eq!(
                    allows(principal, use_case, std::slice::from_ref(facts)),
                    *allowed,
                    "{:?} {use_case:?} {facts:?}",
                    principal.roles
                );
            }
        }
    }

    #[test]
    fn a_revision_needs_the_old_owner_and_the_new_one_within_reach() {
        let hr = given(&[Role::InstitutionHr]);
        let kept = [course(of_institution(A)), course(of_institution(A))];
        assert!(allows(&hr, UseCase::ReviseCourse, &kept));
        let handed_away = [course(of_institution(A)), course(of_institution(B))];
        assert!(!allows(&hr, UseCase::ReviseCourse, &handed_away));
        let taken_over = [course(of_institution(B)), course(of_institution(A))];
        assert!(!allows(&hr, UseCase::ReviseCourse, &taken_over));
    }

    #[test]
    fn an_employee_requests_and_gives_feedback_for_themselves_only() {
        let employee = given(&[Role::Employee]);
        for use_case in [UseCase::RequestPlace, UseCase::CancelPlace, UseCase::GiveFeedback] {
            assert!(allows(&employee, use_case, &[person(ME, STRANGER, A)]), "{use_case:?}");
            assert!(!allows(&employee, use_case, &[person(STRANGER, ME, A)]), "{use_case:?}");
        }
        assert!(!allows(&employee, UseCase::ApprovePlace, &[person(ME, STRANGER, A)]));
    }

    #[test]
    fn a_manager_decides_on_direct_reports_only() {
        let manager = given(&[Role::Manager]);
        assert!(allows(&manager, UseCase::ApprovePlace, &[person(REPORT, ME, B)]));
        assert!(allows(&manager, UseCase::RejectPlace, &[person(REPORT, ME, B)]));
        assert!(!allows(
            &manager,
            UseCase::ApprovePlace,
            &[person(STRANGER, STRANGER, A)]
        ));
        assert!(
            !allows(&manager, UseCase::ApprovePlace, &[person(ME, STRANGER, A)]),
            "not their own"
        );
        assert!(allows(&manager, UseCase::RequestPlace, &[person(ME, STRANGER, A)]));
        assert!(allows(&manager, UseCase::RequestPlace, &[person(REPORT, ME, A)]));
        assert!(!allows(&manager, UseCase::GiveFeedback, &[person(REPORT, ME, A)]));
    }

    #[test]
    fn vas_manages_places_in_its_catalogue_only() {
        let vas = given(&[Role::VasAdmin]);
        let institutions = course(of_institution(B));
        assert!(allows(&vas, UseCase::ApprovePlace, &[person(STRANGER, STRANGER, B)]));
        assert!(!allows(&vas, UseCase::ApprovePlace, &[institutions]));
        assert!(!allows(&vas, UseCase::HireEmployee, &[institution(A, Resor::Fm)]));
    }

    #[test]
    fn a_principal_with_several_roles_is_allowed_when_any_role_allows() {
        let both = given(&[Role::Employee, Role::InstitutionHr]);
        assert!(
            allows(&both, UseCase::ApprovePlace, &[person(STRANGER, STRANGER, A)]),
            "as HR"
        );
        assert!(
            allows(&both, UseCase::GiveFeedback, &[person(ME, STRANGER, B)]),
            "as employee"
        );
        assert!(!allows(&both, UseCase::ApprovePlace, &[person(STRANGER, STRANGER, B)]));
        assert_eq!(
            ask(&both, UseCase::RequestPlace),
            Ask::Needs(Needs {
                person: true,
                resor: false,
                course: false
            })
        );
        let analyst_too = given(&[Role::VkAnalyst, Role::Manager]);
        assert!(allows(&analyst_too, UseCase::ApprovePlace, &[person(REPORT, ME, B)]));
    }

    #[test]
    fn a_missing_target_is_refused_like_one_out_of_reach() {
        for (roles, use_case) in [
            (&[Role::InstitutionHr][..], UseCase::TransferEmployee),
            (&[Role::Employee], UseCase::RequestPlace),
            (&[Role::Manager], UseCase::ApprovePlace),
            (&[Role::ResorCoordinator], UseCase::AllocateTrainingBudget),
            (&[Role::VasAdmin], UseCase::CancelOffering),
        ] {
            assert!(!allows(&given(roles), use_case, &missing()), "{use_case:?}");
            assert!(!allows(&given(roles), use_case, &[]), "{use_case:?}: no facts at all");
        }
    }

    #[test]
    fn a_subject_that_is_not_an_employee_id_is_nobody_s_self_or_manager() {
        let service = Principal {
            subject: "hr-import".into(),
            ..given(&[Role::Employee, Role::Manager])
        };
        let nobody = TargetFacts::default();
        assert!(!allows(&service, UseCase::RequestPlace, &[nobody]));
    }

    #[test]
    fn only_the_reaches_in_question_are_read() {
        let vas = given(&[Role::VasAdmin]);
        assert_eq!(
            ask(&vas, UseCase::RecordAttendance),
            Ask::Needs(Needs {
                person: false,
                resor: false,
                course: true
            })
        );
        let hr_and_vas = given(&[Role::InstitutionHr, Role::VasAdmin]);
        assert_eq!(
            ask(&hr_and_vas, UseCase::ApprovePlace),
            Ask::Needs(Needs {
                person: true,
                resor: false,
                course: true
            })
        );
    }

    #[test]
    fn use_case_names_are_their_variants() {
        assert_eq!(UseCase::ALL.len(), 47);
        for use_case in UseCase::ALL {
            assert_eq!(use_case.name(), format!("{use_case:?}"));
        }
    }
}
