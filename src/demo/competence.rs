//! The demo's competence records and development plans, from a fixed seed:
//! - most institution heads assessed against the top-manager framework at
//!   an assessment centre, and some middle and lower managers against theirs,
//!   so that measures 3.1 and 3.2 stand partly met;
//! - digital self-assessments of a share of all staff (measure 4.1), and
//!   the heads' assessments of their direct reports;
//! - the heads' talent reviews of those reports on the development matrix;
//! - a development plan for each report, most of them approved by the head.
//!
//! Every command runs as the person who would send it (the employee for a
//! self-assessment and their own plan, the head for what a manager does),
//! so it passes the same policy as the API.

use chrono::NaiveDate;
use futures::{stream, StreamExt, TryStreamExt};
use prasme_commands::{
    Accepted, ApproveDevelopmentPlan, AssessCompetency, CommandContext, CommandError, CreateDevelopmentPlan,
    PlanActivity, PlanGoal, Principal, ReviewTalent, Role, UseCases,
};
use prasme_domain::assessment::{AssessmentMethod, MatrixRating};
use prasme_domain::competency::FrameworkContent;
use prasme_domain::development_plan::{ActivityKind, Period};
use prasme_domain::employee::JobGroup;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use super::frameworks::{digital, framework_id, middle_managers, top_managers};
use super::people::{employee_id, Staff, DIRECT_REPORTS};
use super::{context, Loaded, NAMESPACE};

const SEED: u64 = 360;
const CONCURRENCY: usize = 16;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The employee themself, signed in.
pub(super) fn as_employee(id: Uuid, institution: Uuid) -> Principal {
    Principal {
        subject: id.to_string(),
        roles: vec![Role::Employee],
        institutions: vec![institution],
        resors: vec![],
    }
}

/// An institution's head, signed in as the manager of its direct reports.
pub(super) fn as_head(institution: Uuid) -> Principal {
    Principal {
        subject: employee_id(institution, 0).to_string(),
        roles: vec![Role::Manager],
        institutions: vec![institution],
        resors: vec![],
    }
}

/// A command, the principal who sends it, and its deterministic id.
enum Command {
    Assess(Principal, AssessCompetency),
    Review(Principal, ReviewTalent),
    Plan(Principal, CreateDevelopmentPlan),
    Approve(Principal, ApproveDevelopmentPlan),
}

impl Command {
    fn id(&self) -> Uuid {
        let key = match self {
            Command::Assess(_, a) => format!(
                "assess:{}:{}:{}:{:?}",
                a.employee_id, a.framework_id, a.competency, a.method
            ),
            Command::Review(_, r) => format!("talent-review:{}", r.employee_id),
            Command::Plan(_, p) => format!("plan:{}", p.employee_id),
            Command::Approve(_, a) => format!("approve:{}", a.plan_id),
        };
        Uuid::new_v5(&NAMESPACE, key.as_bytes())
    }

    async fn send(self, use_cases: &UseCases) -> Result<Accepted, CommandError> {
        let mut ctx: CommandContext = context(self.id());
        match self {
            Command::Assess(who, assess) => {
                ctx.principal = who;
                use_cases.assess_competency(&ctx, assess).await
            }
            Command::Review(who, review) => {
                ctx.principal = who;
                use_cases.review_talent(&ctx, review).await
            }
            Command::Plan(who, plan) => {
                ctx.principal = who;
                use_cases.create_development_plan(&ctx, plan).await
            }
            Command::Approve(who, approve) => {
                ctx.principal = who;
                use_cases.approve_development_plan(&ctx, approve).await
            }
        }
    }
}

/// The codes and scale sizes of a framework's competencies, in its order.
fn scales(content: &FrameworkContent) -> Vec<(String, u8)> {
    content
        .areas
        .iter()
        .flat_map(|a| &a.competencies)
        .map(|c| (c.code.clone(), c.levels.len() as u8))
        .collect()
}

fn assess(
    who: Principal,
    employee: &Staff,
    framework: &str,
    (code, levels): &(String, u8),
    level: u8,
    method: AssessmentMethod,
    on: NaiveDate,
) -> Command {
    Command::Assess(
        who,
        AssessCompetency {
            assessment_id: None,
            employee_id: employee.id,
            framework_id: framework_id(framework),
            framework_version: 1,
            competency: code.clone(),
            level: level.clamp(1, *levels),
            method,
            assessed_on: on.max(employee.hired_on),
            evidence_note: None,
        },
    )
}

/// The commands, in an order in which each one's prerequisites come first.
fn commands(staff: &[Staff]) -> Vec<Vec<Command>> {
    let mut rng = SmallRng::seed_from_u64(SEED);
    let system = || Principal::system(super::ACTOR);
    let (top, middle, digital) = (scales(&top_managers()), scales(&middle_managers()), scales(&digital()));
    let mut assessments = Vec::new();
    let mut reviews = Vec::new();
    let mut plans = Vec::new();
    let mut approvals = Vec::new();
    for person in staff {
        let heads = person.job_groups.contains(&JobGroup::TopManager);
        if heads && rng.gen_bool(0.7) {
            for scale in &top {
                let level = rng.gen_range(2..=scale.1);
                let on = date(2026, 2, 10);
                assessments.push(assess(
                    system(),
                    person,
                    "top-managers",
                    scale,
                    level,
                    AssessmentMethod::AssessmentCentre,
                    on,
                ));
            }
        }
        if person.job_groups.contains(&JobGroup::MiddleOrLowerManager) && rng.gen_bool(0.4) {
            for scale in middle.iter().take(3) {
                let level = rng.gen_range(1..=scale.1);
                let on = date(2026, 3, 12);
                assessments.push(assess(
                    system(),
                    person,
                    "middle-managers",
                    scale,
                    level,
                    AssessmentMethod::AssessmentCentre,
                    on,
                ));
            }
        }
        if rng.gen_bool(0.08) {
            let me = as_employee(person.id, person.institution);
            for scale in digital.iter().take(2) {
                let level = rng.gen_range(2..=5);
                let on = date(2026, 4, 15);
                assessments.push(assess(
                    me.clone(),
                    person,
                    "digital",
                    scale,
                    level,
                    AssessmentMethod::SelfAssessment,
                    on,
                ));
            }
        }
        let Some(n) = (1..=DIRECT_REPORTS).find(|n| employee_id(person.institution, *n) == person.id) else {
            continue;
        };
        let head = as_head(person.institution);
        for scale in digital.iter().skip(2).take(2) {
            let level = rng.gen_range(2..=6);
            let on = date(2026, 5, 20);
            assessments.push(assess(
                head.clone(),
                person,
                "digital",
                scale,
                level,
                AssessmentMethod::Manager,
                on,
            ));
        }
        let ratings = [MatrixRating::Low, MatrixRating::Medium, MatrixRating::High];
        reviews.push(Command::Review(
            head.clone(),
            ReviewTalent {
                review_id: None,
                employee_id: person.id,
                performance: ratings[rng.gen_range(0..3)],
                potential: ratings[rng.gen_range(0..3)],
                reviewed_on: date(2026, 6, 1).max(person.hired_on),
            },
        ));
        let plan_id = Uuid::new_v5(&NAMESPACE, format!("plan:{}", person.id).as_bytes());
        plans.push(Command::Plan(
            as_employee(person.id, person.institution),
            plan(person, plan_id, &digital[2], rng.gen_range(3..=6)),
        ));
        if n < DIRECT_REPORTS {
            approvals.push(Command::Approve(
                head,
                ApproveDevelopmentPlan {
                    plan_id,
                    approved_on: date(2026, 1, 20),
                },
            ));
        }
    }
    vec![assessments, reviews, plans, approvals]
}

/// A 2026 plan: reach `target` in one digital competency through a course,
/// mentoring and job shadowing, plus some self-study.
fn plan(person: &Staff, plan_id: Uuid, (code, levels): &(String, u8), target: u8) -> CreateDevelopmentPlan {
    let activity = |kind, title: &str, goal| PlanActivity {
        activity_id: None,
        kind,
        title: title.to_owned(),
        course_id: None,
        goal,
    };
    CreateDevelopmentPlan {
        plan_id: Some(plan_id),
        employee_id: person.id,
        period: Period {
            starts_on: date(2026, 1, 1),
            ends_on: date(2026, 12, 31),
        },
        goals: vec![PlanGoal {
            goal_id: None,
            framework_id: framework_id("digital"),
            framework_version: 1,
            competency: code.clone(),
            target_level: target.min(*levels),
        }],
        activities: vec![
            activity(ActivityKind::Mentoring, "Mentorings pie kolēģa no IT nodaļas", Some(0)),
            activity(ActivityKind::JobShadowing, "Ēnošana datu analītiķu komandā", Some(0)),
            activity(
                ActivityKind::WorkplaceLearning,
                "Datu paneļa izveide savā nodaļā",
                Some(0),
            ),
            activity(ActivityKind::SelfStudy, "Tiešsaistes materiāli par datu pratību", None),
        ],
    }
}

/// Records the competence commands, one kind after another.
pub(super) async fn load(use_cases: &UseCases, staff: &[Staff], loaded: &mut Loaded) -> Result<(), CommandError> {
    for batch in commands(staff) {
        let results: Vec<Accepted> = stream::iter(batch)
            .map(|command| command.send(use_cases))
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        for accepted in &results {
            loaded.count(accepted);
        }
    }
    Ok(())
}
