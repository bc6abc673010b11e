//! Who a command is run for, and what time it is for it.

use chrono::{DateTime, Utc};
use prasme_domain::reference::Resor;
use uuid::Uuid;

/// The roles of the security policy (`policy.rs` says what each may do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Employee,
    Manager,
    InstitutionHr,
    ResorCoordinator,
    VasAdmin,
    VkAnalyst,
    /// The State Chancellery's keepers of the plan: they supplement its
    /// indicators and change its targets, as the plan allows.
    VkAdmin,
    Auditor,
    /// Prasme itself and the services it trusts: the demo loader, importers
    /// from the institutions' HR and finance systems, migrations of data.
    System,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Employee,
        Role::Manager,
        Role::InstitutionHr,
        Role::ResorCoordinator,
        Role::VasAdmin,
        Role::VkAnalyst,
        Role::VkAdmin,
        Role::Auditor,
        Role::System,
    ];

    /// The name a token's `roles` claim gives it.
    pub fn claim(self) -> &'static str {
        match self {
            Role::Employee => "EMPLOYEE",
            Role::Manager => "MANAGER",
            Role::InstitutionHr => "INSTITUTION_HR",
            Role::ResorCoordinator => "RESOR_COORDINATOR",
            Role::VasAdmin => "VAS_ADMIN",
            Role::VkAnalyst => "VK_ANALYST",
            Role::VkAdmin => "VK_ADMIN",
            Role::Auditor => "AUDITOR",
            Role::System => "SYSTEM",
        }
    }

    pub fn from_claim(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.claim() == name)
    }
}

/// Who is acting: recorded as the actor of every event a command writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// An employee id, or a service name: the verified subject of the
    /// caller's token, never a name the client chooses.
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

    /// The employee the principal is, when its subject is an employee id.
    pub fn employee_id(&self) -> Option<Uuid> {
        Uuid::parse_str(&self.subject).ok()
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
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

/// Tests and tools in the same process as Prasme that name only who acts
/// are a part of Prasme itself (see [`Principal::system`]). Requests from
/// outside always carry a verified token instead.
impl From<&str> for Principal {
    fn from(subject: &str) -> Self {
        Principal::system(subject)
    }
}
