//! Three years of offerings (2024–2026) of every course, played through the
//! whole lifecycle at the dates they happened (business time): requests,
//! approvals and waitlists, cancellations, substitutions' absence aside,
//! attendance with realistic shares of no-shows, results with failures, and
//! feedback. A few offerings are cancelled outright.

use chrono::{Days, NaiveDate, TimeZone, Utc};
use futures::{stream, StreamExt, TryStreamExt};
use prasme_commands::{Accepted, CommandContext, CommandError, CommandHandler};
use prasme_domain::offering::{Attendance, Completion, Feedback, Offering, OfferingCommand, OfferingFormat, Schedule};
use prasme_domain::Cents;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use super::{Loaded, ACTOR, NAMESPACE};

const SEED: u64 = 2024;
const YEARS: [i32; 3] = [2024, 2025, 2026];
/// Offerings played at once; each one's commands go in order.
const CONCURRENCY: usize = 8;

/// One offering's script: the commands and the business date of each.
struct Script {
    offering_id: Uuid,
    steps: Vec<(NaiveDate, OfferingCommand)>,
}

fn script(rng: &mut SmallRng, course: (Uuid, i32), year: i32, staff: &[(Uuid, Uuid)]) -> Script {
    let (course_id, minutes) = course;
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
        OfferingCommand::Schedule {
            offering_id,
            schedule: Schedule {
                course_id,
                starts_on,
                ends_on,
                format: formats[rng.gen_range(0..formats.len())],
                capacity,
                cost_per_participant: Cents(rng.gen_range(0..=40) * 500),
                organiser: "Valsts administrācijas skola".into(),
            },
        },
    )];
    let requested_on = starts_on - Days::new(30);
    // A few more ask than there are seats, so some wait.
    let mut people: Vec<(Uuid, Uuid)> = (0..capacity + rng.gen_range(0..5))
        .map(|_| staff[rng.gen_range(0..staff.len())])
        .collect();
    people.sort();
    people.dedup_by_key(|p| p.0);
    for (employee_id, institution_id) in &people {
        steps.push((
            requested_on,
            OfferingCommand::RequestPlace {
                employee_id: *employee_id,
                institution_id: *institution_id,
                today: requested_on,
            },
        ));
    }
    for (employee_id, _) in &people {
        steps.push((
            requested_on + Days::new(3),
            OfferingCommand::Approve {
                employee_id: *employee_id,
            },
        ));
    }
    // About one offering in twenty is cancelled before it runs.
    if rng.gen_range(0..20) == 0 {
        steps.push((
            starts_on - Days::new(7),
            OfferingCommand::Cancel {
                reason: "Nepietiekams dalībnieku skaits".into(),
            },
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
                OfferingCommand::CancelPlace {
                    employee_id: *e,
                    reason: "Darba pienākumi".into(),
                },
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
            OfferingCommand::RecordAttendance {
                employee_id: e,
                attendance,
            },
        ));
        if !matches!(attendance, Attendance::Attended | Attendance::PartiallyAttended) {
            continue;
        }
        let passed = rng.gen_range(0..100) < 90;
        steps.push((
            ends_on,
            OfferingCommand::RecordCompletion {
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
            },
        ));
        if rng.gen_range(0..100) < 60 {
            let mut rating = || rng.gen_range(3..=5);
            steps.push((
                ends_on,
                OfferingCommand::GiveFeedback {
                    employee_id: e,
                    feedback: Feedback::Immediate {
                        organisation: rating(),
                        content: rating(),
                        trainer: rating(),
                        usefulness: rating(),
                        methods: rating(),
                    },
                },
            ));
        }
    }
    Script { offering_id, steps }
}

pub(super) async fn load(
    commands: &CommandHandler,
    courses: &[(Uuid, i32)],
    staff: &[(Uuid, Uuid)],
    loaded: &mut Loaded,
) -> Result<(), CommandError> {
    let mut rng = SmallRng::seed_from_u64(SEED);
    let scripts: Vec<Script> = YEARS
        .iter()
        .flat_map(|year| courses.iter().map(move |c| (*year, *c)))
        .map(|(year, course)| script(&mut rng, course, year, staff))
        .collect();
    loaded.offerings += scripts.len();
    let results: Vec<Vec<Accepted>> = stream::iter(scripts)
        .map(|script| async move {
            let mut accepted = Vec::with_capacity(script.steps.len());
            for (n, (date, command)) in script.steps.iter().enumerate() {
                let command_id = Uuid::new_v5(&script.offering_id, &n.to_be_bytes());
                let mut ctx = CommandContext::new(command_id, ACTOR);
                ctx.occurred_at = date.and_hms_opt(9, 0, 0).map(|t| Utc.from_utc_datetime(&t));
                accepted.push(commands.execute::<Offering>(&ctx, script.offering_id, command).await?);
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
