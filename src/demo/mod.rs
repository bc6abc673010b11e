//! A realistic demo dataset, generated from fixed seeds with deterministic
//! ids and command ids, so loading it twice changes nothing: institutions and
//! their training budgets, a course catalogue covering the five priorities,
//! a few thousand employees, competency frameworks, assessments, talent
//! reviews, development plans and 360-degree feedback cycles.

mod budget;
mod catalogue;
mod competence;
mod feedback;
mod frameworks;
pub mod generator;
mod offerings;
mod people;
mod plan_progress;

use prasme_commands::{Accepted, CommandContext, CommandError, Principal, Role, UseCases};
use prasme_domain::employee::JobGroup;
use prasme_domain::reference::Resor;
use uuid::Uuid;

/// The system principal the demo's commands are run for.
const ACTOR: &str = "demo-loader";

/// The context of one of the demo's commands.
fn context(command_id: Uuid) -> CommandContext {
    CommandContext::new(command_id, Principal::system(ACTOR))
}

/// Namespace for the dataset's deterministic ids.
const NAMESPACE: Uuid = Uuid::from_u128(0x7072_6173_6d65_0000_0000_0000_0000_0001);

/// What loading the dataset did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Loaded {
    pub institutions: usize,
    pub courses: usize,
    pub frameworks: usize,
    pub employees: usize,
    pub offerings: usize,
    pub commands: usize,
    /// Commands that had been loaded before and wrote nothing this time.
    pub already_loaded: usize,
    pub last_position: i64,
}

impl Loaded {
    fn count(&mut self, accepted: &Accepted) {
        self.commands += 1;
        self.already_loaded += usize::from(accepted.duplicate);
        self.last_position = self.last_position.max(accepted.position);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Command(#[from] CommandError),
}

/// Loads the dataset through the same use cases as the API, so it passes
/// the same checks.
pub async fn load(use_cases: &UseCases) -> Result<Loaded, DemoError> {
    let mut loaded = Loaded::default();
    // The plan first, as on a server started before any data: each fact is
    // then counted as it arrives instead of all at the plan's publication.
    let plan = Uuid::new_v5(&NAMESPACE, b"plan");
    if let Some(accepted) = use_cases.publish_plan(&context(plan)).await? {
        loaded.count(&accepted);
    }
    budget::load(use_cases, &mut loaded).await?;
    let courses = catalogue::load(use_cases, &mut loaded).await?;
    frameworks::load(use_cases, &mut loaded).await?;
    let staff = people::load(use_cases, &mut loaded).await?;
    let places: Vec<(Uuid, Uuid)> = staff.iter().map(|s| (s.id, s.institution)).collect();
    let leaders: Vec<(Uuid, Uuid)> = staff
        .iter()
        .filter(|s| {
            s.job_groups
                .iter()
                .any(|g| matches!(g, JobGroup::TopManager | JobGroup::PoliticalOfficial))
        })
        .map(|s| (s.id, s.institution))
        .collect();
    offerings::load(use_cases, &courses, &places, &leaders, &mut loaded).await?;
    offerings::induction(use_cases, catalogue::induction_course(), &leaders, &mut loaded).await?;
    competence::load(use_cases, &staff, &mut loaded).await?;
    feedback::load(use_cases, &staff, &mut loaded).await?;
    plan_progress::load(use_cases, &mut loaded).await?;
    Ok(loaded)
}

/// Who a demo token is for: a person of the dataset in each role.
#[derive(Debug, Clone)]
pub struct DemoPrincipal {
    pub role: Role,
    pub subject: String,
    pub institution: Option<Uuid>,
    pub resor: Option<Resor>,
    /// Who that is, in words.
    pub who: String,
}

/// One demo person per role, all of the dataset: the State Chancellery's
/// head (a MANAGER with direct reports), one of those reports (EMPLOYEE),
/// a colleague in HR, the head of the Ministry of Finance as resor
/// coordinator, VAS and VK staff, and an auditor.
pub fn principals() -> Vec<DemoPrincipal> {
    let by_name = |name: &str| {
        budget::institutions()
            .into_iter()
            .find(|d| d.name == name)
            .map(|d| budget::institution_id(&d))
            .unwrap_or_default()
    };
    let vk = by_name("Valsts kanceleja");
    let vas = by_name("Valsts administrācijas skola");
    let fm = by_name("Finanšu ministrija");
    let person = |role, institution: Uuid, n: usize, resor: Option<Resor>, who: &str| DemoPrincipal {
        role,
        subject: people::employee_id(institution, n).to_string(),
        institution: Some(institution),
        resor,
        who: who.to_owned(),
    };
    vec![
        person(
            Role::Employee,
            vk,
            1,
            None,
            "a State Chancellery employee reporting to its head",
        ),
        person(
            Role::Manager,
            vk,
            0,
            None,
            "the head of the State Chancellery, with direct reports",
        ),
        person(
            Role::InstitutionHr,
            vk,
            people::DIRECT_REPORTS + 1,
            None,
            "HR of the State Chancellery",
        ),
        person(
            Role::ResorCoordinator,
            fm,
            0,
            Some(Resor::Fm),
            "the Ministry of Finance, for its resor",
        ),
        person(
            Role::VasAdmin,
            vas,
            0,
            None,
            "the School of Public Administration (VAS)",
        ),
        person(
            Role::VkAnalyst,
            vk,
            people::DIRECT_REPORTS + 2,
            None,
            "a State Chancellery analyst",
        ),
        person(
            Role::Auditor,
            vk,
            people::DIRECT_REPORTS + 3,
            None,
            "an internal auditor",
        ),
        person(
            Role::VkAdmin,
            vk,
            people::DIRECT_REPORTS + 4,
            None,
            "a State Chancellery keeper of the plan",
        ),
    ]
}
