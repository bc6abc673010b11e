//! Who a command is run for, and what time it is for it.

use chrono::{DateTime, Utc};
use prasme_domain::reference::Resor;
use uuid::Uuid;

/// The roles of the security policy (a later issue writes what each may do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Employee,
    Manager,
    InstitutionHr,
    ResorCoordinator,
    VasAdmin,
    VkAnalyst,
    Auditor,
    /// Prasme itself: the demo loader, importers, migrations of data.
    System,
}

/// Who is acting: recorded as the actor of every event a command writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// An employee id, a service name, or (until sign-in exists) what the
    /// client says in `X-Prasme-Actor`.
    pub subject: String,
    pub roles: Vec<Role>,
    /// Institutions whose data the principal acts on.
    pub institutions: Vec<Uuid>,
    /// Resors whose data the principal acts on.
    pub resors: Vec<Resor>,
}

impl Principal {
    /// A named part of Prasme itself, such as the demo loader.
    pub fn system(name: impl Into<String>) -> Self {
        Self {
            subject: name.into(),
            roles: vec![Role::System],
            institutions: vec![],
            resors: vec![],
        }
    }

    /// A caller known only by the name it gives (before sign-in exists).
    pub fn unverified(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            roles: vec![],
            institutions: vec![],
            resors: vec![],
        }
    }
}

/// What time it is for a command: the system's clock, or a fixed instant
/// (tests, and importers replaying what happened at a known time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    #[default]
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn now(self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(at) => at,
        }
    }
}

/// Tests and tools that name only who acts.
impl From<&str> for Principal {
    fn from(subject: &str) -> Self {
        Principal::unverified(subject)
    }
}
