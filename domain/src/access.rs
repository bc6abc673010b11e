//! What a read may see, as data: the security policy (in `commands`)
//! decides it for a principal, and the read models' readers (in
//! `projections`) put it in the `WHERE` clause of every statement, before
//! the keyset window, so that pages, cursors and totals count only what the
//! caller may see.

use uuid::Uuid;

use crate::reference::Resor;

/// The rows of one kind a principal may read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadReach {
    /// Every row.
    pub anywhere: bool,
    /// Rows of people and records of these institutions.
    pub institutions: Vec<Uuid>,
    /// Rows of the institutions of these resors.
    pub resors: Vec<Resor>,
    /// Rows of these people (the principal themself).
    pub employees: Vec<Uuid>,
    /// Rows of the people this employee currently manages.
    pub reports_of: Option<Uuid>,
    /// Places in offerings of the public-administration catalogue (VAS's).
    pub public_catalogue: bool,
}

impl ReadReach {
    pub fn anywhere() -> Self {
        Self {
            anywhere: true,
            ..Self::default()
        }
    }

    /// Whether nothing at all is in reach.
    pub fn is_empty(&self) -> bool {
        !self.anywhere
            && self.institutions.is_empty()
            && self.resors.is_empty()
            && self.employees.is_empty()
            && self.reports_of.is_none()
            && !self.public_catalogue
    }
}
