//! The demo's 360-degree feedback: in a few institutions, a cycle on the
//! head's first direct report against the middle-manager framework. The
//! head opens it and invites the report themself, the head as manager,
//! three fellow reports as peers and two colleagues as "other". Everyone
//! answers as themselves; most cycles are closed, so their reports show
//! the peers released and the two "other" raters counted but hidden, and
//! a couple stay open with some answers still to come.
//!
//! The deadline follows the day of loading (a cycle cannot open with one in
//! the past), so a cycle loaded on an earlier day is left as it is.

use std::collections::HashSet;

use chrono::{Days, Utc};
use futures::{stream, StreamExt, TryStreamExt};
use prasme_commands::{
    Accepted, CloseFeedbackCycle, CommandContext, CommandError, InviteRater, OpenFeedbackCycle, RecordFeedbackResult,
    SubmitFeedback, UseCases,
};
use prasme_domain::calendar::date_in_latvia;
use prasme_domain::feedback_cycle::{Rating, Relationship};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use super::competence::{as_employee, as_head};
use super::frameworks::{framework_id, middle_managers};
use super::people::{employee_id, Staff};
use super::{context, Loaded, NAMESPACE};

/// Institutions with a cycle, and how many of those stay open.
const CYCLES: usize = 8;
const STILL_OPEN: usize = 2;
/// The competencies rated: the framework's first ones.
const RATED: usize = 3;
const SEED: u64 = 3600;

/// Who rates the subject (employee 1, the head's first direct report), by
/// their number in the institution.
const RATERS: [(usize, Relationship); 7] = [
    (1, Relationship::Myself),
    (0, Relationship::Manager),
    (2, Relationship::Peer),
    (3, Relationship::Peer),
    (4, Relationship::Peer),
    (5, Relationship::Other),
    (6, Relationship::Other),
];

const COMMENTS: [&str; 4] = [
    "Skaidri formulē mērķus un uzklausa komandu.",
    "Varētu biežāk deleģēt un dot atgriezenisko saiti.",
    "Sanāksmes ir labi sagatavotas.",
    "Pārmaiņu laikā pietrūka informācijas par nākamajiem soļiem.",
];

fn id(key: String) -> Uuid {
    Uuid::new_v5(&NAMESPACE, key.as_bytes())
}

fn as_sent(command_id: Uuid, who: prasme_commands::Principal) -> CommandContext {
    let mut ctx = context(command_id);
    ctx.principal = who;
    ctx
}

/// Opens, fills and (unless `stays_open`) closes one institution's cycle.
/// Returns what the log took; nothing when the cycle was opened on an
/// earlier day.
async fn cycle(use_cases: &UseCases, institution: Uuid, stays_open: bool) -> Result<Vec<Accepted>, CommandError> {
    let mut rng = SmallRng::seed_from_u64(SEED ^ institution.as_u128() as u64);
    let head = as_head(institution);
    let today = date_in_latvia(Utc::now());
    let competencies: Vec<String> = middle_managers()
        .areas
        .iter()
        .flat_map(|a| &a.competencies)
        .take(RATED)
        .map(|c| c.code.clone())
        .collect();
    let cycle_id = id(format!("feedback-cycle:{institution}"));
    let opened = use_cases
        .open_feedback_cycle(
            &as_sent(cycle_id, head.clone()),
            OpenFeedbackCycle {
                cycle_id: None,
                subject_id: employee_id(institution, 1),
                framework_id: framework_id("middle-managers"),
                framework_version: 1,
                competencies: competencies.clone(),
                deadline: today.checked_add_days(Days::new(45)).unwrap_or(today),
                min_raters: None,
            },
        )
        .await;
    let mut accepted = match opened {
        Ok(a) => vec![a],
        Err(CommandError::IdempotencyKeyReused { .. }) => return Ok(vec![]),
        Err(e) => return Err(e),
    };
    for (n, relationship) in RATERS {
        let invite = InviteRater {
            cycle_id,
            invitation_id: None,
            rater_id: employee_id(institution, n),
            relationship,
        };
        let ctx = as_sent(id(format!("feedback-invite:{cycle_id}:{n}")), head.clone());
        accepted.push(use_cases.invite_rater(&ctx, invite).await?);
    }
    let mut peer_levels = Vec::new();
    for (n, relationship) in RATERS {
        if stays_open && rng.gen_bool(0.5) {
            continue;
        }
        let ratings: Vec<Rating> = competencies
            .iter()
            .map(|code| Rating {
                competency: code.clone(),
                level: rng.gen_range(2..=4),
            })
            .collect();
        if relationship == Relationship::Peer {
            peer_levels.push(ratings[0].level);
        }
        let comment = rng
            .gen_bool(0.5)
            .then(|| COMMENTS[rng.gen_range(0..COMMENTS.len())].to_owned());
        let rater = employee_id(institution, n);
        let ctx = as_sent(Uuid::now_v7(), as_employee(rater, institution));
        let submitted = use_cases
            .submit_feedback(
                &ctx,
                SubmitFeedback {
                    cycle_id,
                    ratings,
                    comment,
                },
            )
            .await;
        match submitted {
            // Given on an earlier load (already submitted, or the cycle closed since).
            Ok(()) | Err(CommandError::Rejected(_)) => {}
            Err(e) => return Err(e),
        }
    }
    if stays_open {
        return Ok(accepted);
    }
    let close = as_sent(id(format!("feedback-close:{cycle_id}")), head.clone());
    accepted.push(
        use_cases
            .close_feedback_cycle(&close, CloseFeedbackCycle { cycle_id })
            .await?,
    );
    // The peers' view of the first competency becomes a 360 assessment.
    let mean = peer_levels.iter().map(|l| f64::from(*l)).sum::<f64>() / peer_levels.len().max(1) as f64;
    let result = RecordFeedbackResult {
        assessment_id: None,
        cycle_id,
        competency: competencies[0].clone(),
        level: mean.round() as u8,
        assessed_on: today,
    };
    let ctx = as_sent(id(format!("feedback-result:{cycle_id}")), head);
    accepted.push(use_cases.record_feedback_result(&ctx, result).await?);
    Ok(accepted)
}

/// Runs a cycle in each of the first institutions that have every rater.
pub(super) async fn load(use_cases: &UseCases, staff: &[Staff], loaded: &mut Loaded) -> Result<(), CommandError> {
    let hired: HashSet<Uuid> = staff.iter().map(|s| s.id).collect();
    let mut institutions: Vec<Uuid> = Vec::new();
    for person in staff {
        let i = person.institution;
        let complete = RATERS.iter().all(|(n, _)| hired.contains(&employee_id(i, *n)));
        if !institutions.contains(&i) && complete {
            institutions.push(i);
        }
        if institutions.len() == CYCLES {
            break;
        }
    }
    let results: Vec<Vec<Accepted>> = stream::iter(institutions.into_iter().enumerate())
        .map(|(k, institution)| cycle(use_cases, institution, k < STILL_OPEN))
        .buffer_unordered(4)
        .try_collect()
        .await?;
    for accepted in results.iter().flatten() {
        loaded.count(accepted);
    }
    Ok(())
}
