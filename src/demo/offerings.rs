//! Three years of offerings (2024–2026) of every course, played through the
//! whole lifecycle at the dates they happened (business time): requests,
//! approvals and waitlists, cancellations, substitutions' absence aside,
//! attendance with realistic shares of no-shows, results with failures, and
//! feedback. A few offerings are cancelled outright.

use chrono::{Days, NaiveDate, TimeZone, Utc};
use futures::{stream, StreamExt, TryStreamExt};
use prasme_commands::{
    Accepted, CancelOffering, Clock, CommandContext, CommandError, GiveFeedback, PlaceChange, PlaceId,
    RecordAttendance, RecordCompletion, ScheduleOffering, UseCases,
};
use prasme_domain::offering::{Attendance, Completion, Feedback, OfferingFormat, Schedule};
use prasme_domain::Cents;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use super::catalogue::Catalogued;
use super::{context, Loaded, NAMESPACE};

const SEED: u64 = 2024;
const YEARS: [i32; 3] = [2024, 2025, 2026];
/// Offerings played at once; each one's commands go in order.
const CONCURRENCY: usize = 8;

/// One use case on an offering.
enum Step {
    Schedule(ScheduleOffering),
    Request(PlaceId),
    Approve(PlaceId),
    Cancel(CancelOffering),
    CancelPlace(PlaceChange),
    Attendance(RecordAttendance),
    Completion(RecordCompletion),
    Feedback(GiveFeedback),
}

impl Step {
    async fn run(self, use_cases: &UseCases, ctx: &CommandContext) -> Result<Accepted, CommandError> {
        match self {
            Step::Schedule(input) => use_cases.schedule_offering(ctx, input).await,
            Step::Request(input) => use_cases.request_place(ctx, input).await,
            Step::Approve(input) => use_cases.approve_place(ctx, input).await,
            Step::Cancel(input) => use_cases.cancel_offering(ctx, input).await,
            Step::CancelPlace(input) => use_cases.cancel_place(ctx, input).await,
            Step::Attendance(input) => use_cases.record_attendance(ctx, input).await,
            Step::Completion(input) => use_cases.record_completion(ctx, input).await,
            Step::Feedback(input) => use_cases.give_feedback(ctx, input).await,
        }
    }
}

/// One offering's script: the use cases and the business date of each.
struct Script {
    offering_id: Uuid,
    steps: Vec<(NaiveDate, Step)>,
}

fn script(
    rng: &mut SmallRng,
    course: Catalogued,
    year: i32,
    staff: &[(Uuid, Uuid)],
    leaders: &[(Uuid, Uuid)],
) -> Script {
    let (course_id, minutes, for_leaders) = course;
    // A leaders' course is taken by leaders (annex 2, measures 1.3 and 3.1).
    let staff = if for_leaders && !leaders.is_empty() {
        leaders
    } else {
        staff
    };
    let offering_id = Uuid::new_v5(&NAMESPACE, format!("offering:{course_id}:{year}").as_bytes());
    let starts_on = NaiveDate::from_ymd_opt(year, rng.gen_range(2..=11), rng.gen_range(1..=28)).unwrap_or_default();
    let days = u64::try_from(minutes / 480).unwrap_or(0);
    let ends_on = starts_on + Days::new(days);
    let capacity = rng.gen_range(12..=25);
    let formats = [
        OfferingFormat::OnSite,
        OfferingFormat::Online,
        OfferingFormat::SelfPaced,
    ];
    let mut steps = vec![(
        starts_on - Days::new(60),
        Step::Schedule(ScheduleOffering {
            offering_id: Some(offering_id),
            schedule: Schedule {
                course_id,
                starts_on,
                ends_on,
                format: formats[rng.gen_range(0..formats.len())],
                capacity,
                cost_per_participant: Cents(rng.gen_range(0..=40) * 500),
                organiser: "Valsts administrācijas skola".into(),
            },
        }),
    )];
    let requested_on = starts_on - Days::new(30);
    // A few more ask than there are seats, so some wait.
    let mut people: Vec<(Uuid, Uuid)> = (0..capacity + rng.gen_range(0..5))
        .map(|_| staff[rng.gen_range(0..staff.len())])
        .collect();
    people.sort();
    people.dedup_by_key(|p| p.0);
    let place = |employee_id: Uuid| PlaceId {
        offering_id,
        employee_id,
    };
    for (employee_id, _) in &people {
        steps.push((requested_on, Step::Request(place(*employee_id))));
    }
    for (employee_id, _) in &people {
        steps.push((requested_on + Days::new(3), Step::Approve(place(*employee_id))));
    }
    // About one offering in twenty is cancelled before it runs.
    if rng.gen_range(0..20) == 0 {
        steps.push((
            starts_on - Days::new(7),
            Step::Cancel(CancelOffering {
                offering_id,
                reason: "Nepietiekams dalībnieku skaits".into(),
            }),
        ));
        return Script { offering_id, steps };
    }
    let mut enrolled: Vec<Uuid> = people.iter().take(capacity as usize).map(|p| p.0).collect();
    // About 8 % cannot come and say so in time; the first waiting takes the seat.
    let mut dropped = Vec::new();
    for e in &enrolled {
        if rng.gen_range(0..100) < 8 {
            steps.push((
                starts_on - Days::new(5),
                Step::CancelPlace(PlaceChange {
                    offering_id,
                    employee_id: *e,
                    reason: "Darba pienākumi".into(),
                }),
            ));
            dropped.push(*e);
        }
    }
    let waiting: Vec<Uuid> = people.iter().skip(capacity as usize).map(|p| p.0).collect();
    enrolled.retain(|e| !dropped.contains(e));
    enrolled.extend(waiting.into_iter().take(dropped.len()));
    for e in enrolled {
        let attendance = match rng.gen_range(0..100) {
            0..=84 => Attendance::Attended,
            85..=89 => Attendance::PartiallyAttended,
            90..=94 => Attendance::NoShowJustified,
            _ => Attendance::NoShowUnjustified,
        };
        steps.push((
            ends_on,
            Step::Attendance(RecordAttendance {
                offering_id,
                employee_id: e,
                attendance,
            }),
        ));
        if !matches!(attendance, Attendance::Attended | Attendance::PartiallyAttended) {
            continue;
        }
        let passed = rng.gen_range(0..100) < 90;
        steps.push((
            ends_on,
            Step::Completion(RecordCompletion {
                offering_id,
                employee_id: e,
                result: Completion {
                    passed,
                    score: Some(if passed {
                        rng.gen_range(55..=100)
                    } else {
                        rng.gen_range(10..55)
                    }),
                    knowledge_test_passed: Some(passed),
                    minutes: if attendance == Attendance::Attended {
                        minutes
                    } else {
                        minutes / 2
                    },
                    completed_on: ends_on,
                },
            }),
        ));
        if rng.gen_range(0..100) < 60 {
            let mut rating = || rng.gen_range(3..=5);
            steps.push((
                ends_on,
                Step::Feedback(GiveFeedback {
                    offering_id,
                    employee_id: e,
                    follow_up: None,
                    immediate: Some(Feedback::Immediate {
                        organisation: rating(),
                        content: rating(),
                        trainer: rating(),
                        usefulness: rating(),
                        methods: rating(),
                    }),
                }),
            ));
        }
    }
    Script { offering_id, steps }
}

pub(super) async fn load(
    use_cases: &UseCases,
    courses: &[Catalogued],
    staff: &[(Uuid, Uuid)],
    leaders: &[(Uuid, Uuid)],
    loaded: &mut Loaded,
) -> Result<(), CommandError> {
    let mut rng = SmallRng::seed_from_u64(SEED);
    let scripts: Vec<Script> = YEARS
        .iter()
        .flat_map(|year| courses.iter().map(move |c| (*year, *c)))
        .map(|(year, course)| script(&mut rng, course, year, staff, leaders))
        .collect();
    loaded.offerings += scripts.len();
    let results: Vec<Vec<Accepted>> = stream::iter(scripts)
        .map(|script| async move {
            let mut accepted = Vec::with_capacity(script.steps.len());
            for (n, (date, step)) in script.steps.into_iter().enumerate() {
                let mut ctx = context(Uuid::new_v5(&script.offering_id, &n.to_be_bytes()));
                if let Some(nine) = date.and_hms_opt(9, 0, 0) {
                    ctx.clock = Clock::Fixed(Utc.from_utc_datetime(&nine));
                }
                accepted.push(step.run(use_cases, &ctx).await?);
            }
            Ok::<_, CommandError>(accepted)
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    for accepted in results.iter().flatten() {
        loaded.count(accepted);
    }
    Ok(())
}

/// The mandatory induction e-course for political officials and top
/// managers (measure 1.3's output, *obligātas īsas ievada e-mācības*),
/// run once in 2026 for every leader, so that the demo shows indicator
/// 1.3.2 under way.
pub(super) async fn induction(
    use_cases: &UseCases,
    course_id: Uuid,
    leaders: &[(Uuid, Uuid)],
    loaded: &mut Loaded,
) -> Result<(), CommandError> {
    let offering_id = Uuid::new_v5(&NAMESPACE, format!("induction:{course_id}").as_bytes());
    let starts_on = NaiveDate::from_ymd_opt(2026, 9, 14).unwrap_or_default();
    let seats = i32::try_from(leaders.len()).unwrap_or(i32::MAX).max(1);
    let mut steps = vec![(
        starts_on - Days::new(45),
        Step::Schedule(ScheduleOffering {
            offering_id: Some(offering_id),
            schedule: Schedule {
                course_id,
                starts_on,
                ends_on: starts_on,
                format: OfferingFormat::SelfPaced,
                capacity: seats,
                cost_per_participant: Cents(0),
                organiser: "Valsts administrācijas skola".into(),
            },
        }),
    )];
    for (employee_id, _) in leaders {
        let place = || PlaceId {
            offering_id,
            employee_id: *employee_id,
        };
        steps.push((starts_on - Days::new(30), Step::Request(place())));
        steps.push((starts_on - Days::new(27), Step::Approve(place())));
        steps.push((
            starts_on,
            Step::Attendance(RecordAttendance {
                offering_id,
                employee_id: *employee_id,
                attendance: Attendance::Attended,
            }),
        ));
    }
    for (n, (date, step)) in steps.into_iter().enumerate() {
        let mut ctx = context(Uuid::new_v5(&offering_id, &n.to_be_bytes()));
        if let Some(nine) = date.and_hms_opt(9, 0, 0) {
            ctx.clock = Clock::Fixed(Utc.from_utc_datetime(&nine));
        }
        loaded.count(&step.run(use_cases, &ctx).await?);
    }
    Ok(())
}
