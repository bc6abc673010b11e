//! Who may read what: the read side of the security policy, one table,
//! (role, kind of read) → reach. The readers in `projections` apply the
//! reach in SQL; no resolver decides anything itself.

use prasme_domain::access::ReadReach;

use crate::principal::{Principal, Role};

/// The kinds of read the API serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadOf {
    /// Institutions' names and kinds, resors, the course catalogue and
    /// offerings' schedules: what anyone signed in needs to find a course.
    Directory,
    /// Institutions' training budgets and payroll declarations.
    Budget,
    /// People: employees, their personal data, places, rosters,
    /// transcripts, certificates and learning hours.
    Personal,
    /// Aggregates over people (learning time of an institution, training
    /// activity, feedback summaries), with small cells suppressed.
    Aggregates,
    /// Operators' metrics.
    Operations,
}

impl ReadOf {
    pub const ALL: [ReadOf; 5] = [
        ReadOf::Directory,
        ReadOf::Budget,
        ReadOf::Personal,
        ReadOf::Aggregates,
        ReadOf::Operations,
    ];
}

/// How far one role reads one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reads {
    Nothing,
    Own,
    OwnAndReports,
    OwnInstitution,
    OwnResor,
    PublicCatalogue,
    Anywhere,
}

/// The table. Rows are roles, columns the kinds of [`ReadOf::ALL`]:
/// Directory, Budget, Personal, Aggregates, Operations.
fn table(role: Role) -> [Reads; 5] {
    use Reads::*;
    match role {
        Role::Employee => [Anywhere, Nothing, Own, Nothing, Nothing],
        Role::Manager => [Anywhere, Nothing, OwnAndReports, Nothing, Nothing],
        Role::InstitutionHr => [Anywhere, OwnInstitution, OwnInstitution, OwnInstitution, Nothing],
        Role::ResorCoordinator => [Anywhere, OwnResor, OwnResor, OwnResor, Nothing],
        Role::VasAdmin => [Anywhere, Nothing, PublicCatalogue, Anywhere, Nothing],
        Role::VkAnalyst | Role::VkAdmin => [Anywhere, Anywhere, Nothing, Anywhere, Nothing],
        Role::Auditor => [Anywhere, Anywhere, Anywhere, Anywhere, Nothing],
        Role::System => [Anywhere; 5],
    }
}

/// The rows of `kind` the principal may read: the union over its roles.
pub fn read_reach(principal: &Principal, kind: ReadOf) -> ReadReach {
    let column = ReadOf::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    let mut reach = ReadReach::default();
    for role in &principal.roles {
        match table(*role)[column] {
            Reads::Nothing => {}
            Reads::Own => reach.employees.extend(principal.employee_id()),
            Reads::OwnAndReports => {
                reach.employees.extend(principal.employee_id());
                reach.reports_of = principal.employee_id();
            }
            Reads::OwnInstitution => reach.institutions.extend(principal.institutions.iter().copied()),
            Reads::OwnResor => reach.resors.extend(principal.resors.iter().copied()),
            Reads::PublicCatalogue => reach.public_catalogue = true,
            Reads::Anywhere => reach.anywhere = true,
        }
    }
    reach
}

/// Whether the principal may read anything of `kind`.
pub fn may_read(principal: &Principal, kind: ReadOf) -> bool {
    !read_reach(principal, kind).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use prasme_domain::reference::Resor;
    use uuid::Uuid;

    fn principal(roles: &[Role]) -> Principal {
        Principal {
            subject: Uuid::from_u128(7).to_string(),
            roles: roles.to_vec(),
            institutions: vec![Uuid::from_u128(1)],
            resors: vec![Resor::Fm],
        }
    }

    #[test]
    fn an_employee_reads_only_themself_and_no_aggregate() {
        let reach = read_reach(&principal(&[Role::Employee]), ReadOf::Personal);
        assert_eq!(reach.employees, vec![Uuid::from_u128(7)]);
        assert!(!reach.anywhere && reach.institutions.is_empty() && reach.reports_of.is_none());
        assert!(!may_read(&principal(&[Role::Employee]), ReadOf::Aggregates));
        assert!(!may_read(&principal(&[Role::Employee]), ReadOf::Budget));
    }

    #[test]
    fn a_manager_reads_their_direct_reports() {
        let reach = read_reach(&principal(&[Role::Manager]), ReadOf::Personal);
        assert_eq!(reach.reports_of, Some(Uuid::from_u128(7)));
    }

    #[test]
    fn hr_and_resor_coordinators_read_within_their_organisation() {
        let hr = read_reach(&principal(&[Role::InstitutionHr]), ReadOf::Personal);
        assert_eq!(hr.institutions, vec![Uuid::from_u128(1)]);
        assert!(!hr.anywhere && hr.resors.is_empty());
        let coordinator = read_reach(&principal(&[Role::ResorCoordinator]), ReadOf::Budget);
        assert_eq!(coordinator.resors, vec![Resor::Fm]);
        assert!(coordinator.institutions.is_empty());
    }

    #[test]
    fn a_vk_analyst_reads_aggregates_everywhere_and_no_person() {
        let analyst = principal(&[Role::VkAnalyst]);
        assert!(read_reach(&analyst, ReadOf::Aggregates).anywhere);
        assert!(read_reach(&analyst, ReadOf::Budget).anywhere);
        assert!(!may_read(&analyst, ReadOf::Personal));
    }

    #[test]
    fn vas_reads_places_of_its_catalogue_only() {
        let reach = read_reach(&principal(&[Role::VasAdmin]), ReadOf::Personal);
        assert!(reach.public_catalogue && !reach.anywhere && reach.institutions.is_empty());
    }

    #[test]
    fn several_roles_read_the_union_and_only_system_reads_operations() {
        let both = read_reach(&principal(&[Role::Employee, Role::InstitutionHr]), ReadOf::Personal);
        assert_eq!(both.employees, vec![Uuid::from_u128(7)]);
        assert_eq!(both.institutions, vec![Uuid::from_u128(1)]);
        for role in Role::ALL {
            assert_eq!(
                may_read(&principal(&[role]), ReadOf::Operations),
                role == Role::System,
                "{role:?}"
            );
            assert!(may_read(&principal(&[role]), ReadOf::Directory), "{role:?}");
        }
    }
}
