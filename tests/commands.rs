//! The application layer against a real PostgreSQL: what a process keeps of
//! a stream between commands is never trusted over the stream itself, a
//! repeated command id answers as the first time, every use case asks the
//! policy before anything else and answers a target out of reach as one that
//! does not exist, every refusal is recorded in the security stream, and the
//! demo's path refuses what the API refuses.

mod common;

use chrono::{NaiveDate, Utc};
use prasme_commands::{
    Accepted, AllocateTrainingBudget, ApproveDevelopmentPlan, AssessCompetency, AssignManager, CancelOffering,
    CatalogueCourse, ChangeEmployeeRole, ChangeOfferingCapacity, CommandContext, CommandError, CommandHandler,
    CompleteDevelopmentActivity, CorrectTrainingAllocation, CreateDevelopmentPlan, DeclareRemunerationBudget,
    DescribeCourse, EraseEmployeePersonalData, GiveFeedback, HireEmployee, PlaceChange, PlaceId, PlanActivity,
    Principal, PublishCompetencyFramework, RecordAttendance, RecordCompletion, RecordEmployeeLeft, RecordGoalProgress,
    RegisterInstitution, RetireCompetencyFramework, RetireCourse, ReviewDevelopmentPlan, ReviewTalent,
    ReviseCompetencyFramework, ReviseCourse, Role, ScheduleOffering, SubstituteParticipant, TransferEmployee, UseCase,
    UseCases, Vault,
};
use prasme_commands::{
    CancelFeedbackCycle, CloseFeedbackCycle, InviteRater, OpenFeedbackCycle, RecordFeedbackResult, SubmitFeedback,
};
use prasme_commands::{
    ChangeIndicatorTarget, DefineIndicator, RecordPlanProgress, RetireIndicator, WithdrawPlanProgress,
};
use prasme_domain::assessment::{AssessmentMethod, MatrixRating};
use prasme_domain::competency::{Area, Competency, Framework, FrameworkContent, Level, RequiredLevel};
use prasme_domain::course::{CourseType, OwnerLevel, OwnerParts};
use prasme_domain::development_plan::{ActivityKind, Period};
use prasme_domain::employee::JobGroup;
use prasme_domain::feedback_cycle::{Rating, Relationship};
use prasme_domain::institution::Institution;
use prasme_domain::offering::{Attendance, Completion, Feedback, OfferingFormat, PlaceStatus, Schedule};
use prasme_domain::plan::ProgressKind;
use prasme_domain::reference::{FundingSource, InstitutionKind, Resor, StrategicPriority};
use prasme_domain::security;
use prasme_domain::{Cents, ErrorCode};
use prasme_eventstore::EventStore;
use serde_json::{json, Value};
use uuid::Uuid;

fn use_cases(db: &common::TestDb) -> UseCases {
    UseCases::new(
        CommandHandler::new(EventStore::new(db.pool.clone())),
        Vault::new(db.pool.clone()),
    )
}

fn register(id: Uuid) -> RegisterInstitution {
    RegisterInstitution {
        institution_id: Some(id),
        name: "Valsts kanceleja".into(),
        kind: InstitutionKind::State,
        resor: Some(Resor::Vk),
        funds_other_institutions_staff: false,
    }
}

fn allocate(institution_id: Uuid, allocation_id: Uuid, amount: i64) -> AllocateTrainingBudget {
    AllocateTrainingBudget {
        institution_id,
        allocation_id: Some(allocation_id),
        year: 2026,
        amount: Cents(amount),
        funding_source: FundingSource::StateBudget,
        priority: None,
    }
}

fn correct(institution_id: Uuid, allocation_id: Uuid, amount: i64) -> CorrectTrainingAllocation {
    CorrectTrainingAllocation {
        institution_id,
        allocation_id,
        amount: Cents(amount),
        funding_source: FundingSource::Esf,
        priority: None,
        reason: "pārrēķins".into(),
    }
}

fn allocated(state: &Institution) -> i64 {
    state
        .allocations
        .values()
        .filter(|a| a.year == 2026)
        .map(|a| a.amount.0)
        .sum()
}

fn ctx() -> CommandContext {
    CommandContext::new(Uuid::now_v7(), "test")
}

fn expecting(version: i64) -> CommandContext {
    CommandContext {
        expected_version: Some(version),
        ..ctx()
    }
}

fn system() -> CommandContext {
    CommandContext::new(Uuid::now_v7(), Principal::system("importer"))
}

#[tokio::test]
async fn a_stream_kept_by_one_process_and_moved_by_another_is_caught_up_not_trusted() {
    let db = common::fresh_db().await;
    // Two handlers with writers of their own: two processes on one database.
    let here = use_cases(&db);
    let there = CommandHandler::new(EventStore::new(db.pool.clone()));
    let there_cases = UseCases::new(there.clone(), Vault::new(db.pool.clone()));
    let id = Uuid::now_v7();
    here.register_institution(&ctx(), register(id)).await.unwrap();

    // `here` keeps the stream at version 1; `there` allocates (version 2).
    let allocation = Uuid::now_v7();
    there_cases
        .allocate_training_budget(&ctx(), allocate(id, allocation, 500))
        .await
        .unwrap();

    // Correcting that allocation needs the event `here` has not seen: deciding
    // on what it kept would refuse it as unknown.
    let corrected = here
        .correct_training_allocation(&ctx(), correct(id, allocation, 700))
        .await
        .unwrap();
    assert_eq!(corrected.stream_version, 3);

    // An expected version ahead of what `here` kept is checked against the stream.
    there_cases
        .allocate_training_budget(&ctx(), allocate(id, Uuid::now_v7(), 100))
        .await
        .unwrap();
    let fourth = here
        .allocate_training_budget(&expecting(4), allocate(id, Uuid::now_v7(), 100))
        .await
        .unwrap();
    assert_eq!(fourth.stream_version, 5);

    // An expectation behind the stream is a conflict, naming the stream's version.
    let stale = here
        .allocate_training_budget(&expecting(2), allocate(id, Uuid::now_v7(), 1))
        .await;
    assert!(
        matches!(stale, Err(CommandError::Conflict { expected: 2, actual: 5 })),
        "{stale:?}"
    );

    // A read of the aggregate from `there` sees what `here` wrote.
    let (state, version) = there.state::<Institution>(id).await.unwrap();
    assert_eq!(version, 5);
    assert_eq!(allocated(&state), 700 + 100 + 100);
    db.drop_db().await;
}

#[tokio::test]
async fn a_repeated_command_id_answers_as_the_first_time_without_writing_again() {
    let db = common::fresh_db().await;
    let handler = CommandHandler::new(EventStore::new(db.pool.clone()));
    let commands = UseCases::new(handler.clone(), Vault::new(db.pool.clone()));
    let id = Uuid::now_v7();
    let first_ctx = ctx();
    let first = commands.register_institution(&first_ctx, register(id)).await.unwrap();
    assert!(!first.duplicate);

    // Deciding it again would be refused ("already registered"); the answer is the first result.
    let again = commands.register_institution(&first_ctx, register(id)).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(
        (again.position, again.stream_version),
        (first.position, first.stream_version)
    );

    // A repeated allocation would be accepted again; the writer knows its id.
    let allocation_ctx = ctx();
    let allocation = Uuid::now_v7();
    let once = commands
        .allocate_training_budget(&allocation_ctx, allocate(id, allocation, 10))
        .await
        .unwrap();
    let twice = commands
        .allocate_training_budget(&allocation_ctx, allocate(id, allocation, 10))
        .await
        .unwrap();
    assert!(twice.duplicate);
    assert_eq!(twice.position, once.position);
    let (state, version) = handler.state::<Institution>(id).await.unwrap();
    assert_eq!((allocated(&state), version), (10, 2));

    // A new command after the repeats decides on the right state.
    let refused = commands.register_institution(&ctx(), register(id)).await;
    assert!(
        matches!(&refused, Err(CommandError::Rejected(e)) if e.code == ErrorCode::AlreadyExists),
        "{refused:?}"
    );
    db.drop_db().await;
}

#[tokio::test]
async fn a_command_id_sent_again_with_another_input_is_refused_and_writes_nothing() {
    let db = common::fresh_db().await;
    let handler = CommandHandler::new(EventStore::new(db.pool.clone()));
    let commands = UseCases::new(handler.clone(), Vault::new(db.pool.clone()));
    let id = Uuid::now_v7();
    commands.register_institution(&ctx(), register(id)).await.unwrap();
    let reused = ctx();
    let allocation = Uuid::now_v7();
    let first = commands
        .allocate_training_budget(&reused, allocate(id, allocation, 10))
        .await
        .unwrap();

    // Another amount under the same id: accepted again, it would hide the
    // change; answered with the first result, it would lose it silently.
    let other = commands
        .allocate_training_budget(&reused, allocate(id, allocation, 99))
        .await;
    assert!(
        matches!(&other, Err(CommandError::IdempotencyKeyReused { command_id }) if *command_id == reused.command_id),
        "{other:?}"
    );
    // Another use case under the same id is another request too.
    let correction = commands
        .correct_training_allocation(&reused, correct(id, allocation, 10))
        .await;
    assert!(
        matches!(correction, Err(CommandError::IdempotencyKeyReused { .. })),
        "{correction:?}"
    );
    // Whatever stream the other input names.
    let refused = commands.register_institution(&reused, register(Uuid::now_v7())).await;
    assert!(
        matches!(refused, Err(CommandError::IdempotencyKeyReused { .. })),
        "{refused:?}"
    );

    // The same input is still the first result.
    let again = commands
        .allocate_training_budget(&reused, allocate(id, allocation, 10))
        .await
        .unwrap();
    assert!(again.duplicate);
    assert_eq!(again.position, first.position);
    let (state, version) = handler.state::<Institution>(id).await.unwrap();
    assert_eq!((allocated(&state), version), (10, 2), "nothing more was written");
    db.drop_db().await;
}

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
}

fn description(owner: OwnerParts) -> DescribeCourse {
    DescribeCourse {
        title: "Datu pratība".into(),
        owner,
        priority: StrategicPriority::DigitalTransformation,
        measures: vec!["4.1".into()],
        course_type: CourseType::ELearning,
        knowledge_test: true,
        duration_minutes: 480,
        language: "lv".into(),
        competencies: vec![],
        develops: vec![],
    }
}

fn public() -> OwnerParts {
    OwnerParts {
        level: OwnerLevel::PublicAdministration,
        resor: None,
        institution_id: None,
        group: None,
    }
}

fn hire(institution_id: Uuid) -> HireEmployee {
    HireEmployee {
        employee_id: None,
        institution_id,
        name: "Anna Ozola".into(),
        email: None,
        personal_code: None,
        job_groups: vec![JobGroup::NewEmployee],
        civil_servant: false,
        functions: vec![],
        hired_on: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
    }
}

fn schedule(course_id: Uuid) -> ScheduleOffering {
    ScheduleOffering {
        offering_id: None,
        schedule: Schedule {
            course_id,
            starts_on: NaiveDate::from_ymd_opt(2035, 3, 1).unwrap(),
            ends_on: NaiveDate::from_ymd_opt(2035, 3, 2).unwrap(),
            format: OfferingFormat::Online,
            capacity: 10,
            cost_per_participant: Cents(15_000),
            organiser: "Valsts administrācijas skola".into(),
        },
    }
}

/// Runs `use_case` with inputs naming `id` (and aggregates that need not exist).
async fn call(u: &UseCases, ctx: &CommandContext, use_case: UseCase, id: Uuid) -> Result<Accepted, CommandError> {
    let place = || PlaceId {
        offering_id: id,
        employee_id: id,
    };
    let change = || PlaceChange {
        offering_id: id,
        employee_id: id,
        reason: "r".into(),
    };
    match use_case {
        UseCase::RegisterInstitution => u.register_institution(ctx, register(id)).await,
        UseCase::DeclareRemunerationBudget => {
            let declare = DeclareRemunerationBudget {
                institution_id: id,
                year: 2026,
                amount: Cents(1),
            };
            u.declare_remuneration_budget(ctx, declare).await
        }
        UseCase::AllocateTrainingBudget => u.allocate_training_budget(ctx, allocate(id, id, 1)).await,
        UseCase::CorrectTrainingAllocation => u.correct_training_allocation(ctx, correct(id, id, 1)).await,
        UseCase::HireEmployee => u.hire_employee(ctx, hire(id)).await,
        UseCase::ChangeEmployeeRole => {
            let change = ChangeEmployeeRole {
                employee_id: id,
                job_groups: vec![JobGroup::HrSpecialist],
                civil_servant: false,
                functions: vec![],
                effective_on: date(),
            };
            u.change_employee_role(ctx, change).await
        }
        UseCase::TransferEmployee => {
            let transfer = TransferEmployee {
                employee_id: id,
                to_institution_id: id,
                effective_on: date(),
            };
            u.transfer_employee(ctx, transfer).await
        }
        UseCase::AssignManager => {
            let assign = AssignManager {
                employee_id: id,
                manager_id: id,
            };
            u.assign_manager(ctx, assign).await
        }
        UseCase::RecordEmployeeLeft => {
            let left = RecordEmployeeLeft {
                employee_id: id,
                left_on: date(),
            };
            u.record_employee_left(ctx, left).await
        }
        UseCase::EraseEmployeePersonalData => {
            let erase = EraseEmployeePersonalData { employee_id: id };
            u.erase_employee_personal_data(ctx, erase).await
        }
        UseCase::CatalogueCourse => {
            let catalogue = CatalogueCourse {
                course_id: Some(id),
                description: description(public()),
            };
            u.catalogue_course(ctx, catalogue).await
        }
        UseCase::ReviseCourse => {
            let revise = ReviseCourse {
                course_id: id,
                description: description(public()),
            };
            u.revise_course(ctx, revise).await
        }
        UseCase::RetireCourse => {
            let retire = RetireCourse {
                course_id: id,
                reason: "r".into(),
            };
            u.retire_course(ctx, retire).await
        }
        UseCase::ScheduleOffering => u.schedule_offering(ctx, schedule(id)).await,
        UseCase::ChangeOfferingCapacity => {
            let capacity = ChangeOfferingCapacity {
                offering_id: id,
                capacity: 3,
            };
            u.change_offering_capacity(ctx, capacity).await
        }
        UseCase::CancelOffering => {
            let cancel = CancelOffering {
                offering_id: id,
                reason: "r".into(),
            };
            u.cancel_offering(ctx, cancel).await
        }
        UseCase::RequestPlace => u.request_place(ctx, place()).await,
        UseCase::ApprovePlace => u.approve_place(ctx, place()).await,
        UseCase::RejectPlace => u.reject_place(ctx, change()).await,
        UseCase::CancelPlace => u.cancel_place(ctx, change()).await,
        UseCase::SubstituteParticipant => {
            let substitute = SubstituteParticipant {
                offering_id: id,
                employee_id: id,
                substitute_id: id,
            };
            u.substitute_participant(ctx, substitute).await
        }
        UseCase::RecordAttendance => {
            let attendance = RecordAttendance {
                offering_id: id,
                employee_id: id,
                attendance: Attendance::Attended,
            };
            u.record_attendance(ctx, attendance).await
        }
        UseCase::RecordCompletion => {
            let completion = RecordCompletion {
                offering_id: id,
                employee_id: id,
                result: Completion {
                    passed: true,
                    score: None,
                    knowledge_test_passed: None,
                    minutes: 60,
                    completed_on: date(),
                },
            };
            u.record_completion(ctx, completion).await
        }
        UseCase::GiveFeedback => {
            let feedback = GiveFeedback {
                offering_id: id,
                employee_id: id,
                immediate: None,
                follow_up: Some(Feedback::FollowUp {
                    applied_at_work: true,
                    comment: None,
                }),
            };
            u.give_feedback(ctx, feedback).await
        }
        UseCase::RevokeCompletion => u.revoke_completion(ctx, change()).await,
        UseCase::PublishCompetencyFramework => {
            let publish = PublishCompetencyFramework {
                framework_id: None,
                content: framework("Digitālā kompetence", 8),
            };
            u.publish_competency_framework(ctx, publish).await
        }
        UseCase::ReviseCompetencyFramework => {
            let revise = ReviseCompetencyFramework {
                framework_id: id,
                content: framework("Digitālā kompetence", 4),
            };
            u.revise_competency_framework(ctx, revise).await
        }
        UseCase::RetireCompetencyFramework => {
            let retire = RetireCompetencyFramework {
                framework_id: id,
                reason: "r".into(),
            };
            u.retire_competency_framework(ctx, retire).await
        }
        UseCase::AssessCompetency => {
            let assess = AssessCompetency {
                assessment_id: None,
                employee_id: id,
                framework_id: id,
                framework_version: 1,
                competency: "1.1".into(),
                level: 1,
                method: AssessmentMethod::Manager,
                assessed_on: date(),
                evidence_note: None,
            };
            u.assess_competency(ctx, assess).await
        }
        UseCase::ReviewTalent => {
            let review = ReviewTalent {
                review_id: None,
                employee_id: id,
                performance: MatrixRating::High,
                potential: MatrixRating::Low,
                reviewed_on: date(),
            };
            u.review_talent(ctx, review).await
        }
        UseCase::CreateDevelopmentPlan => {
            let create = CreateDevelopmentPlan {
                plan_id: None,
                employee_id: id,
                period: Period {
                    starts_on: date(),
                    ends_on: date(),
                },
                goals: vec![],
                activities: vec![PlanActivity {
                    activity_id: None,
                    kind: ActivityKind::Mentoring,
                    title: "Mentorings".into(),
                    course_id: None,
                    goal: None,
                }],
            };
            u.create_development_plan(ctx, create).await
        }
        UseCase::ApproveDevelopmentPlan => {
            let approve = ApproveDevelopmentPlan {
                plan_id: id,
                approved_on: date(),
            };
            u.approve_development_plan(ctx, approve).await
        }
        UseCase::RecordGoalProgress => {
            let progress = RecordGoalProgress {
                plan_id: id,
                goal_id: id,
                level: 1,
                recorded_on: date(),
                note: None,
            };
            u.record_goal_progress(ctx, progress).await
        }
        UseCase::CompleteDevelopmentActivity => {
            let complete = CompleteDevelopmentActivity {
                plan_id: id,
                activity_id: id,
                completed_on: date(),
                note: None,
            };
            u.complete_development_activity(ctx, complete).await
        }
        UseCase::ReviewDevelopmentPlan => {
            let review = ReviewDevelopmentPlan {
                plan_id: id,
                reviewed_on: date(),
                summary: "s".into(),
            };
            u.review_development_plan(ctx, review).await
        }
        UseCase::OpenFeedbackCycle => {
            let open = OpenFeedbackCycle {
                cycle_id: None,
                subject_id: id,
                framework_id: id,
                framework_version: 1,
                competencies: vec!["1.1".into()],
                deadline: date(),
                min_raters: None,
            };
            u.open_feedback_cycle(ctx, open).await
        }
        UseCase::InviteRater => {
            let invite = InviteRater {
                cycle_id: id,
                invitation_id: None,
                rater_id: id,
                relationship: Relationship::Peer,
            };
            u.invite_rater(ctx, invite).await
        }
        // Appends nothing, so answers with no position: a success here
        // would be a bug, as no principal of these tests is invited.
        UseCase::SubmitFeedback => {
            let submit = SubmitFeedback {
                cycle_id: id,
                ratings: vec![Rating {
                    competency: "1.1".into(),
                    level: 1,
                }],
                comment: None,
            };
            u.submit_feedback(ctx, submit)
                .await
                .map(|()| -> Accepted { panic!("a submission to a cycle that does not exist was kept") })
        }
        UseCase::CloseFeedbackCycle => u.close_feedback_cycle(ctx, CloseFeedbackCycle { cycle_id: id }).await,
        UseCase::CancelFeedbackCycle => {
            let cancel = CancelFeedbackCycle {
                cycle_id: id,
                reason: "r".into(),
            };
            u.cancel_feedback_cycle(ctx, cancel).await
        }
        UseCase::RecordFeedbackResult => {
            let record = RecordFeedbackResult {
                assessment_id: None,
                cycle_id: id,
                competency: "1.1".into(),
                level: 1,
                assessed_on: date(),
            };
            u.record_feedback_result(ctx, record).await
        }
        UseCase::PublishPlan => u
            .publish_plan(ctx)
            .await?
            .ok_or_else(|| CommandError::Invalid("already published".into())),
        UseCase::DefineIndicator => {
            let define = DefineIndicator {
                measure: "3.1".into(),
                text_lv: "t".into(),
                text_en: "t".into(),
                target: None,
                secondary_target: None,
            };
            u.define_indicator(ctx, define).await
        }
        UseCase::ChangeIndicatorTarget => {
            let change = ChangeIndicatorTarget {
                indicator_id: "3.1.1".into(),
                target: None,
                secondary_target: None,
                reason: "r".into(),
            };
            u.change_indicator_target(ctx, change).await
        }
        UseCase::RetireIndicator => {
            let retire = RetireIndicator {
                indicator_id: "3.1.1".into(),
                reason: "r".into(),
            };
            u.retire_indicator(ctx, retire).await
        }
        UseCase::RecordPlanProgress => {
            let record = RecordPlanProgress {
                record_id: id,
                indicator_id: "2.2.4".into(),
                kind: ProgressKind::ActivityHeld,
                institution_id: None,
                occurred_on: NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
                title: "t".into(),
            };
            u.record_plan_progress(ctx, record).await
        }
        UseCase::WithdrawPlanProgress => {
            let withdraw = WithdrawPlanProgress {
                record_id: id,
                reason: "r".into(),
            };
            u.withdraw_plan_progress(ctx, withdraw).await
        }
    }
}

/// A framework of one area and one competency on a scale of `levels`.
fn framework(title: &str, levels: u8) -> FrameworkContent {
    FrameworkContent {
        title: title.into(),
        areas: vec![Area {
            code: "1".into(),
            name: "Informācijpratība".into(),
            competencies: vec![Competency {
                code: "1.1".into(),
                name: "Datu meklēšana".into(),
                levels: (1..=levels)
                    .map(|number| Level {
                        number,
                        name: format!("{number}. līmenis"),
                        description: "Prot ar vadību".into(),
                        band: None,
                    })
                    .collect(),
                required: vec![RequiredLevel {
                    job_group: JobGroup::TopManager,
                    level: 2,
                }],
            }],
        }],
    }
}

/// A person signed in: an employee id with these roles, acting for `institution`.
fn person(employee_id: Uuid, roles: &[Role], institution: Uuid) -> Principal {
    Principal {
        subject: employee_id.to_string(),
        roles: roles.to_vec(),
        institutions: vec![institution],
        resors: vec![],
    }
}

fn acting(principal: &Principal) -> CommandContext {
    CommandContext::new(Uuid::now_v7(), principal.clone())
}

/// The policy's message, or a panic if the outcome is anything but a refusal by it.
fn denied(outcome: Result<Accepted, CommandError>) -> String {
    match outcome {
        Err(CommandError::Denied(d)) => d.to_string(),
        other => panic!("not denied: {other:?}"),
    }
}

/// Events outside the security streams: what the aggregates hold.
async fn aggregate_events(db: &common::TestDb) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events WHERE stream_id NOT LIKE 'security-%'")
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// One recorded refusal: its payload, and its own command and cause ids.
struct Refusal {
    payload: Value,
    command_id: Uuid,
    causation_id: Uuid,
}

/// Stream, type, schema version, payload, command id, causation id, occurred at.
type RefusalRow = (
    String,
    String,
    i32,
    sqlx::types::Json<Value>,
    Uuid,
    Uuid,
    chrono::DateTime<Utc>,
);

/// The refusals recorded, oldest first; each is in the stream of the UTC day it occurred.
async fn refusals(db: &common::TestDb) -> Vec<Refusal> {
    let rows: Vec<RefusalRow> = sqlx::query_as(
        "SELECT stream_id, event_type, schema_version, payload, command_id, causation_id, occurred_at
               FROM events WHERE stream_id LIKE 'security-%' ORDER BY position",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(stream, event_type, version, payload, command_id, causation_id, at)| {
            assert_eq!(stream, security::stream_id(at.date_naive()));
            assert_eq!((event_type.as_str(), version), ("AccessDenied", 1));
            Refusal {
                payload: payload.0,
                command_id,
                causation_id,
            }
        })
        .collect()
}

/// Hires someone into `institution` as Prasme itself.
async fn hired(u: &UseCases, institution: Uuid) -> Uuid {
    let ctx = ctx();
    u.hire_employee(&ctx, hire(institution)).await.unwrap();
    ctx.command_id
}

/// An offering of a course in VAS's public catalogue.
async fn public_offering(u: &UseCases) -> Uuid {
    let course = ctx();
    let catalogue = CatalogueCourse {
        course_id: None,
        description: description(public()),
    };
    u.catalogue_course(&course, catalogue).await.unwrap();
    let offering = ctx();
    u.schedule_offering(&offering, schedule(course.command_id))
        .await
        .unwrap();
    offering.command_id
}

fn place(offering_id: Uuid, employee_id: Uuid) -> PlaceId {
    PlaceId {
        offering_id,
        employee_id,
    }
}

async fn status(handler: &CommandHandler, offering: Uuid, employee: Uuid) -> PlaceStatus {
    let (state, _) = handler
        .state::<prasme_domain::offering::Offering>(offering)
        .await
        .unwrap();
    state.places.iter().find(|p| p.employee_id == employee).unwrap().status
}

#[tokio::test]
async fn an_hr_of_one_institution_cannot_reach_another_institutions_people() {
    let db = common::fresh_db().await;
    let handler = CommandHandler::new(EventStore::new(db.pool.clone()));
    let u = UseCases::new(handler.clone(), Vault::new(db.pool.clone()));
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    for id in [a, b] {
        u.register_institution(&ctx(), register(id)).await.unwrap();
    }
    let in_b = hired(&u, b).await;
    let offering = public_offering(&u).await;
    u.request_place(&ctx(), place(offering, in_b)).await.unwrap();
    let hr_a = person(Uuid::now_v7(), &[Role::InstitutionHr], a);
    let written = aggregate_events(&db).await;

    let transfer = |employee_id| TransferEmployee {
        employee_id,
        to_institution_id: a,
        effective_on: date(),
    };
    let hire_into_b = denied(u.hire_employee(&acting(&hr_a), hire(b)).await);
    let transferred = denied(u.transfer_employee(&acting(&hr_a), transfer(in_b)).await);
    let erase = EraseEmployeePersonalData { employee_id: in_b };
    let erased = denied(u.erase_employee_personal_data(&acting(&hr_a), erase).await);
    let approved = denied(u.approve_place(&acting(&hr_a), place(offering, in_b)).await);

    // Whether the target is out of reach or does not exist cannot be told apart.
    let nobody = denied(u.transfer_employee(&acting(&hr_a), transfer(Uuid::now_v7())).await);
    assert_eq!(nobody, transferred);
    let nowhere = denied(u.approve_place(&acting(&hr_a), place(Uuid::now_v7(), in_b)).await);
    assert_eq!(nowhere, approved);
    let no_institution = denied(u.hire_employee(&acting(&hr_a), hire(Uuid::now_v7())).await);
    assert_eq!(no_institution, hire_into_b);
    for message in [&hire_into_b, &transferred, &erased, &approved] {
        assert!(
            !message.contains(&in_b.to_string()) && !message.contains(&b.to_string()),
            "{message}"
        );
    }

    // Nothing was written or erased; each refusal was recorded.
    assert_eq!(aggregate_events(&db).await, written);
    let key: i64 = sqlx::query_scalar("SELECT count(*) FROM personal_data_keys WHERE subject_id = $1")
        .bind(in_b)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(key, 1, "the key of B's employee is still there");
    assert_eq!(status(&handler, offering, in_b).await, PlaceStatus::Requested);
    assert_eq!(refusals(&db).await.len(), 7);

    // In its own institution the same HR may do each of them.
    let hiring = acting(&hr_a);
    u.hire_employee(&hiring, hire(a)).await.unwrap();
    let in_a = hiring.command_id;
    u.request_place(&acting(&hr_a), place(offering, in_a)).await.unwrap();
    u.approve_place(&acting(&hr_a), place(offering, in_a)).await.unwrap();
    assert_eq!(status(&handler, offering, in_a).await, PlaceStatus::Enrolled);
    let away = TransferEmployee {
        employee_id: in_a,
        to_institution_id: b,
        effective_on: date(),
    };
    u.transfer_employee(&acting(&hr_a), away).await.unwrap();
    // Once in B, they are out of A's HR's reach.
    let erase = EraseEmployeePersonalData { employee_id: in_a };
    denied(u.erase_employee_personal_data(&acting(&hr_a), erase).await);
    db.drop_db().await;
}

#[tokio::test]
async fn a_manager_approves_only_a_direct_reports_place_and_an_employee_asks_only_for_themselves() {
    let db = common::fresh_db().await;
    let handler = CommandHandler::new(EventStore::new(db.pool.clone()));
    let u = UseCases::new(handler.clone(), Vault::new(db.pool.clone()));
    let institution = Uuid::now_v7();
    u.register_institution(&ctx(), register(institution)).await.unwrap();
    let (manager, report, colleague) = (
        hired(&u, institution).await,
        hired(&u, institution).await,
        hired(&u, institution).await,
    );
    let assign = AssignManager {
        employee_id: report,
        manager_id: manager,
    };
    u.assign_manager(&ctx(), assign).await.unwrap();
    let offering = public_offering(&u).await;

    // An employee asks for a place for themselves, never for a colleague.
    let employee = person(report, &[Role::Employee], institution);
    let for_colleague = u.request_place(&acting(&employee), place(offering, colleague)).await;
    denied(for_colleague);
    u.request_place(&acting(&employee), place(offering, report))
        .await
        .unwrap();
    u.request_place(&ctx(), place(offering, colleague)).await.unwrap();

    // The manager decides on their report's place, not on a colleague's;
    // being in the same institution is not enough.
    let boss = person(manager, &[Role::Manager], institution);
    denied(u.approve_place(&acting(&boss), place(offering, colleague)).await);
    assert_eq!(status(&handler, offering, colleague).await, PlaceStatus::Requested);
    u.approve_place(&acting(&boss), place(offering, report)).await.unwrap();
    assert_eq!(status(&handler, offering, report).await, PlaceStatus::Enrolled);

    // The employee cannot approve their own place either.
    let cancel = PlaceChange {
        offering_id: offering,
        employee_id: colleague,
        reason: "r".into(),
    };
    denied(u.reject_place(&acting(&employee), cancel).await);
    assert_eq!(refusals(&db).await.len(), 3);
    db.drop_db().await;
}

#[tokio::test]
async fn a_denied_command_writes_nothing_and_one_refusal_that_never_answers_for_it() {
    let db = common::fresh_db().await;
    let handler = CommandHandler::new(EventStore::new(db.pool.clone()));
    let u = UseCases::new(handler.clone(), Vault::new(db.pool.clone()));
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    for id in [a, b] {
        u.register_institution(&ctx(), register(id)).await.unwrap();
    }
    let hr_a = person(Uuid::now_v7(), &[Role::InstitutionHr, Role::Employee], a);
    let refused = CommandContext {
        correlation_id: Some(Uuid::now_v7()),
        ..acting(&hr_a)
    };
    let allocation = Uuid::now_v7();
    denied(u.allocate_training_budget(&refused, allocate(b, allocation, 100)).await);

    let (state, version) = handler.state::<Institution>(b).await.unwrap();
    assert_eq!((allocated(&state), version), (0, 1), "B's stream is untouched");
    let recorded = refusals(&db).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        recorded[0].payload,
        json!({
            "actor": hr_a.subject,
            "roles": ["INSTITUTION_HR", "EMPLOYEE"],
            "useCase": "AllocateTrainingBudget",
            "targetKind": "institution",
            "targetId": b,
            "commandId": refused.command_id,
        })
    );
    assert_ne!(recorded[0].command_id, refused.command_id);
    assert_eq!(recorded[0].causation_id, refused.command_id);
    let correlation: Uuid = sqlx::query_scalar("SELECT correlation_id FROM events WHERE stream_id LIKE 'security-%'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(Some(correlation), refused.correlation_id);

    // The same command id, sent by someone allowed, is a new command: the
    // refusal is not its first result.
    let allowed = CommandContext {
        command_id: refused.command_id,
        ..ctx()
    };
    let accepted = u
        .allocate_training_budget(&allowed, allocate(b, allocation, 100))
        .await
        .unwrap();
    assert!(!accepted.duplicate);
    assert_eq!(accepted.stream_version, 2);
    db.drop_db().await;
}

#[tokio::test]
async fn analysts_and_auditors_are_refused_every_command_before_anything_is_read_or_written() {
    let db = common::fresh_db().await;
    let u = use_cases(&db);
    let id = Uuid::now_v7();
    let institution = Uuid::now_v7();
    let mut asked = Vec::new();
    for role in [Role::VkAnalyst, Role::Auditor] {
        let principal = person(Uuid::now_v7(), &[role], institution);
        for use_case in UseCase::ALL {
            let ctx = acting(&principal);
            let outcome = call(&u, &ctx, use_case, id).await;
            assert!(
                matches!(&outcome, Err(CommandError::Denied(d)) if d.use_case == use_case),
                "{role:?} {use_case:?}: {outcome:?}"
            );
            // A refused submission is the one refusal not recorded: it
            // would say who tried to rate which 360 cycle.
            if use_case != UseCase::SubmitFeedback {
                asked.push((principal.subject.clone(), role, use_case, ctx.command_id));
            }
        }
    }
    // Refused before any fact was gathered: nothing written but the
    // refusals, no key made or erased.
    assert_eq!(aggregate_events(&db).await, 0);
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM personal_data_keys")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(keys, 0);

    // Each refusal names the aggregate the use case writes; a new one is
    // named by the command id.
    let recorded = refusals(&db).await;
    assert_eq!(recorded.len(), asked.len());
    assert!(recorded
        .iter()
        .all(|r| r.payload["useCase"] != UseCase::SubmitFeedback.name()));
    for (refusal, (actor, role, use_case, command_id)) in recorded.iter().zip(asked) {
        let (kind, target) = match use_case {
            UseCase::RegisterInstitution
            | UseCase::DeclareRemunerationBudget
            | UseCase::AllocateTrainingBudget
            | UseCase::CorrectTrainingAllocation => ("institution", id),
            UseCase::CatalogueCourse | UseCase::ReviseCourse | UseCase::RetireCourse => ("course", id),
            UseCase::HireEmployee => ("employee", command_id),
            UseCase::ChangeEmployeeRole
            | UseCase::TransferEmployee
            | UseCase::AssignManager
            | UseCase::RecordEmployeeLeft
            | UseCase::EraseEmployeePersonalData
            | UseCase::AssessCompetency
            | UseCase::ReviewTalent => ("employee", id),
            UseCase::ScheduleOffering => ("offering", command_id),
            UseCase::PublishCompetencyFramework => ("competencyFramework", command_id),
            UseCase::CreateDevelopmentPlan => ("developmentPlan", command_id),
            UseCase::ApproveDevelopmentPlan
            | UseCase::RecordGoalProgress
            | UseCase::CompleteDevelopmentActivity
            | UseCase::ReviewDevelopmentPlan => ("developmentPlan", id),
            UseCase::ReviseCompetencyFramework | UseCase::RetireCompetencyFramework => ("competencyFramework", id),
            UseCase::OpenFeedbackCycle => ("feedbackCycle", command_id),
            UseCase::InviteRater
            | UseCase::SubmitFeedback
            | UseCase::CloseFeedbackCycle
            | UseCase::CancelFeedbackCycle
            | UseCase::RecordFeedbackResult => ("feedbackCycle", id),
            UseCase::PublishPlan
            | UseCase::DefineIndicator
            | UseCase::ChangeIndicatorTarget
            | UseCase::RetireIndicator
            | UseCase::RecordPlanProgress
            | UseCase::WithdrawPlanProgress => ("plan", prasme_commands::plan_id().unwrap()),
            _ => ("offering", id),
        };
        assert_eq!(
            refusal.payload,
            json!({
                "actor": actor,
                "roles": [role.claim()],
                "useCase": format!("{use_case:?}"),
                "targetKind": kind,
                "targetId": target,
                "commandId": command_id,
            })
        );
    }

    // Prasme itself (the "test" principal) may run each of them: every one reaches its rules.
    for use_case in UseCase::ALL {
        let outcome = call(&u, &ctx(), use_case, Uuid::now_v7()).await;
        assert!(!matches!(outcome, Err(CommandError::Denied(_))), "{use_case:?}");
    }
    db.drop_db().await;
}

/// `NotFound` as the API writes it: `NOT_FOUND`.
fn wire(code: ErrorCode) -> String {
    let mut out = String::new();
    for (i, c) in format!("{code:?}").chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// The refusal's code and field, as the API names them.
fn refusal(outcome: Result<Accepted, CommandError>) -> Value {
    match outcome {
        Err(CommandError::Rejected(e)) => {
            let field: Vec<String> = e.field.iter().flat_map(|f| f.split('.')).map(str::to_owned).collect();
            json!({ "code": wire(e.code), "field": field })
        }
        other => panic!("not a refusal: {other:?}"),
    }
}

/// The API's single user error, without the `input` (and `description`) prefix.
fn api_refusal(payload: &Value) -> Value {
    let errors = payload["userErrors"].as_array().expect("user errors");
    assert_eq!(errors.len(), 1, "{payload}");
    let field: Vec<Value> = errors[0]["field"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .filter(|f| *f != "description")
        .cloned()
        .collect();
    json!({ "code": errors[0]["code"], "field": field })
}

#[tokio::test]
async fn an_importer_on_the_system_principal_is_refused_what_the_api_refuses() {
    let s = common::server::start().await;
    let importer = use_cases(&s.db);
    // An institution, a course since retired, and an employee who has left.
    let institution = Uuid::now_v7();
    importer
        .register_institution(&system(), register(institution))
        .await
        .unwrap();
    let course = Uuid::now_v7();
    let catalogue = CatalogueCourse {
        course_id: Some(course),
        description: description(public()),
    };
    importer.catalogue_course(&system(), catalogue).await.unwrap();
    let retire = RetireCourse {
        course_id: course,
        reason: "novecojis".into(),
    };
    importer.retire_course(&system(), retire).await.unwrap();
    let hiring = system();
    let employee = hiring.command_id;
    importer.hire_employee(&hiring, hire(institution)).await.unwrap();
    let leaving = RecordEmployeeLeft {
        employee_id: employee,
        left_on: date(),
    };
    importer.record_employee_left(&system(), leaving).await.unwrap();
    let unknown = Uuid::now_v7();

    // Each check on another aggregate, both ways.
    let request = importer
        .request_place(
            &system(),
            PlaceId {
                offering_id: unknown,
                employee_id: employee,
            },
        )
        .await;
    let api = s
        .mutate(
            "mutation($i: PlaceInput!) { requestPlace(input: $i) { userErrors { code field } } }",
            json!({ "i": { "offeringId": unknown, "employeeId": employee } }),
        )
        .await;
    assert_eq!(refusal(request), api_refusal(&api), "the employee has left");

    let scheduled = importer.schedule_offering(&system(), schedule(course)).await;
    let api = s
        .mutate(
            "mutation($i: ScheduleOfferingInput!) { scheduleOffering(input: $i) { userErrors { code field } } }",
            json!({ "i": { "courseId": course, "startsOn": "2035-03-01", "endsOn": "2035-03-02", "format": "ONLINE",
                           "capacity": 10, "costPerParticipantCents": 15000, "organiser": "VAS" } }),
        )
        .await;
    assert_eq!(refusal(scheduled), api_refusal(&api), "the course is retired");

    let hired = importer.hire_employee(&system(), hire(unknown)).await;
    let api = s
        .mutate(
            "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { userErrors { code field } } }",
            json!({ "i": { "institutionId": unknown, "name": "Anna Ozola", "jobGroups": ["NEW_EMPLOYEE"], "hiredOn": "2024-01-01" } }),
        )
        .await;
    assert_eq!(refusal(hired), api_refusal(&api), "no such institution");

    let owned = OwnerParts {
        level: OwnerLevel::Institution,
        resor: None,
        institution_id: Some(unknown),
        group: None,
    };
    let catalogue = CatalogueCourse {
        course_id: None,
        description: description(owned),
    };
    let catalogued = importer.catalogue_course(&system(), catalogue).await;
    let api = s
        .mutate(
            "mutation($i: CatalogueCourseInput!) { catalogueCourse(input: $i) { userErrors { code field } } }",
            json!({ "i": { "description": { "title": "Datu pratība", "owner": { "level": "INSTITUTION", "institutionId": unknown },
                "priority": "DIGITAL_TRANSFORMATION", "measures": ["4.1"], "courseType": "E_LEARNING",
                "knowledgeTest": true, "durationMinutes": 480, "language": "lv" } } }),
        )
        .await;
    assert_eq!(refusal(catalogued), api_refusal(&api), "no such owner institution");

    let feedback = GiveFeedback {
        offering_id: unknown,
        employee_id: employee,
        immediate: None,
        follow_up: None,
    };
    let given = importer.give_feedback(&system(), feedback).await;
    let api = s
        .mutate(
            "mutation($i: GiveFeedbackInput!) { giveFeedback(input: $i) { userErrors { code field } } }",
            json!({ "i": { "offeringId": unknown, "employeeId": employee } }),
        )
        .await;
    assert_eq!(refusal(given), api_refusal(&api), "exactly one kind of feedback");
    s.shut_down().await;
}

/// One GraphQL call to a server process at `addr`; returns the first field of `data`.
async fn over_http(http: &reqwest::Client, addr: std::net::SocketAddr, query: &str, input: Value) -> Value {
    let body: Value = http
        .post(format!("http://{addr}/graphql"))
        .json(&json!({ "query": query, "variables": { "input": input } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    body["data"].as_object().unwrap().values().next().unwrap().clone()
}

const ALLOCATE: &str = "mutation($input: AllocateTrainingBudgetInput!) { allocateTrainingBudget(input: $input) { streamVersion userErrors { code actualVersion } } }";

/// Each process runs on 8 connections, as a small deployment might: enough
/// for the writer, the listener, reads and projections.
#[tokio::test]
async fn two_server_processes_on_one_stream_catch_each_other_up() {
    let db = common::fresh_db().await;
    let here = common::process::ServerProcess::spawn(&db.url);
    let there = common::process::ServerProcess::spawn(&db.url);
    let http = common::server::client_with(&common::server::system_token());
    let registered = over_http(
        &http,
        here.addr,
        "mutation($input: RegisterInstitutionInput!) { registerInstitution(input: $input) { institutionId userErrors { code } } }",
        json!({ "name": "Divu procesu iestāde", "kind": "STATE", "resor": "FM" }),
    )
    .await;
    let id = registered["institutionId"].as_str().unwrap().to_owned();
    let allocate = |amount: i64, expected: Option<i64>| json!({ "institutionId": id, "year": 2027, "amountCents": amount, "fundingSource": "STATE_BUDGET", "expectedVersion": expected });

    // `here` keeps the stream at version 1; the other process allocates (version 2).
    let allocation = Uuid::now_v7();
    let mut first = allocate(500, None);
    first["allocationId"] = json!(allocation);
    assert_eq!(over_http(&http, there.addr, ALLOCATE, first).await["streamVersion"], 2);

    // Correcting that allocation needs the event `here` has not seen.
    let corrected = over_http(
        &http,
        here.addr,
        "mutation($input: CorrectTrainingAllocationInput!) { correctTrainingAllocation(input: $input) { streamVersion userErrors { code } } }",
        json!({ "institutionId": id, "allocationId": allocation, "amountCents": 700, "fundingSource": "STATE_BUDGET", "reason": "Precizēts" }),
    )
    .await;
    assert_eq!(corrected, json!({ "streamVersion": 3, "userErrors": [] }));

    // An expected version ahead of what `here` kept is checked against the stream,
    // and one behind it is refused with the stream's version.
    assert_eq!(
        over_http(&http, there.addr, ALLOCATE, allocate(100, None)).await["streamVersion"],
        4
    );
    let ahead = over_http(&http, here.addr, ALLOCATE, allocate(100, Some(4))).await;
    assert_eq!(ahead, json!({ "streamVersion": 5, "userErrors": [] }));
    let behind = over_http(&http, here.addr, ALLOCATE, allocate(1, Some(2))).await;
    assert_eq!(
        behind,
        json!({ "streamVersion": null, "userErrors": [{ "code": "WRONG_EXPECTED_VERSION", "actualVersion": 5 }] })
    );

    // Many writes from both processes at once: none refused, none lost.
    let racing: Vec<_> = (0..16)
        .map(|c| {
            let (http, addr, input) = (
                http.clone(),
                if c % 2 == 0 { here.addr } else { there.addr },
                allocate(10, None),
            );
            tokio::spawn(async move {
                for _ in 0..10 {
                    let answer = over_http(&http, addr, ALLOCATE, input.clone()).await;
                    assert_eq!(answer["userErrors"], json!([]), "{answer}");
                }
            })
        })
        .collect();
    for client in racing {
        client.await.unwrap();
    }
    let last = over_http(&http, there.addr, ALLOCATE, allocate(1, None)).await;
    assert_eq!(last["userErrors"], json!([]));
    let at = last["streamVersion"].as_i64().unwrap();
    assert_eq!(at, 5 + 160 + 1, "every write landed once");

    // Each process's read model saw every event, whichever process wrote it.
    let read = "query($input: UUID!) { institution(id: $input) { trainingBudget(year: 2027) { allocatedCents } } }";
    for server in [&here, &there] {
        let mut allocated = Value::Null;
        for _ in 0..100 {
            allocated =
                over_http(&http, server.addr, read, json!(id)).await["trainingBudget"]["allocatedCents"].clone();
            if allocated == json!(700 + 100 + 100 + 1600 + 1) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(allocated, json!(700 + 100 + 100 + 1600 + 1));
    }
    drop((here, there));
    db.drop_db().await;
}

#[tokio::test]
async fn vas_publishes_revises_and_retires_frameworks_and_no_one_else_does() {
    let db = common::fresh_db().await;
    let u = use_cases(&db);
    let institution = Uuid::now_v7();
    let vas_admin = || acting(&person(Uuid::now_v7(), &[Role::VasAdmin], institution));
    let vas = vas_admin();
    let published = u
        .publish_competency_framework(
            &vas,
            PublishCompetencyFramework {
                framework_id: None,
                content: framework("Digitālā kompetence", 8),
            },
        )
        .await
        .unwrap();
    let id = vas.command_id;
    let revise = |levels| ReviseCompetencyFramework {
        framework_id: id,
        content: framework("Digitālā kompetence", levels),
    };
    let revised = u.revise_competency_framework(&vas_admin(), revise(4)).await.unwrap();
    assert_eq!((published.stream_version, revised.stream_version), (1, 2));
    // Both versions stay: an assessment on version 1 may name level 8, on version 2 only up to 4.
    let reader = CommandHandler::new(EventStore::new(db.pool.clone()));
    let (framework_state, _) = reader.state::<Framework>(id).await.unwrap();
    assert!(framework_state.assessable(1, "1.1", 8).is_ok());
    assert_eq!(
        framework_state.assessable(2, "1.1", 8).unwrap_err().code,
        ErrorCode::OutOfRange
    );
    // HR of an institution may not touch the public administration's frameworks.
    let hr = acting(&person(Uuid::now_v7(), &[Role::InstitutionHr], institution));
    let refused = u.revise_competency_framework(&hr, revise(5)).await;
    assert!(matches!(refused, Err(CommandError::Denied(_))), "{refused:?}");
    let retired = u
        .retire_competency_framework(
            &vas_admin(),
            RetireCompetencyFramework {
                framework_id: id,
                reason: "DigComp 3.0".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(retired.stream_version, 3);
    let after = u.revise_competency_framework(&vas_admin(), revise(6)).await;
    assert_eq!(refusal(after)["code"], "INVALID_VALUE");
    db.drop_db().await;
}

/// Servers starting at once on one database publish the plan once between
/// them; none fails to start for it.
#[tokio::test]
async fn the_plan_is_published_once_however_many_servers_start_at_once() {
    let db = common::fresh_db().await;
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let u = use_cases(&db);
            tokio::spawn(async move { u.publish_plan(&ctx()).await })
        })
        .collect();
    let mut published = 0;
    for start in starts {
        published += usize::from(start.await.unwrap().unwrap().is_some());
    }
    assert_eq!(published, 1);
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'PlanPublished'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(events, 1);
    assert!(use_cases(&db).publish_plan(&ctx()).await.unwrap().is_none());
    db.drop_db().await;
}
