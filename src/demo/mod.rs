//! A realistic demo dataset, generated from fixed seeds with deterministic
//! ids and command ids, so loading it twice changes nothing: institutions and
//! their training budgets, a course catalogue covering the five priorities,
//! and a few thousand employees.

mod budget;
mod catalogue;
mod offerings;
mod people;

use prasme_commands::{Accepted, CommandContext, CommandError, Principal, UseCases};
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
    budget::load(use_cases, &mut loaded).await?;
    let courses = catalogue::load(use_cases, &mut loaded).await?;
    let staff = people::load(use_cases, &mut loaded).await?;
    offerings::load(use_cases, &courses, &staff, &mut loaded).await?;
    Ok(loaded)
}
