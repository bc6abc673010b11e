//! A read's scope, in SQL: every reader of people, places, budgets and
//! aggregates takes one and puts its condition in the `WHERE` clause
//! before the keyset window and in its `count(*)`, so that pages, cursors
//! and totals count only what the caller may see, and a row out of scope is
//! answered exactly like a row that does not exist.

use prasme_domain::access::ReadReach;
use prasme_domain::course::OwnerLevel;
use prasme_domain::reference::wire_name;
use sqlx::PgPool;
use uuid::Uuid;

/// What a reach resolves to for one request: institution and employee ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadScope {
    all: bool,
    institutions: Vec<Uuid>,
    employees: Vec<Uuid>,
    public_catalogue: bool,
}

impl ReadScope {
    /// Every row: Prasme's own reads (the subscriptions' change feed, tools).
    pub fn everything() -> Self {
        Self {
            all: true,
            institutions: vec![],
            employees: vec![],
            public_catalogue: false,
        }
    }

    /// Resolves a reach as the read models stand: a resor's institutions,
    /// a manager's current direct reports.
    pub async fn resolve(pool: &PgPool, reach: &ReadReach) -> Result<Self, sqlx::Error> {
        if reach.anywhere {
            return Ok(Self::everything());
        }
        let mut institutions = reach.institutions.clone();
        if !reach.resors.is_empty() {
            let resors: Vec<String> = reach.resors.iter().map(wire_name).collect();
            let of_resors: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM rm_institution WHERE resor = ANY ($1)")
                .bind(resors)
                .fetch_all(pool)
                .await?;
            institutions.extend(of_resors);
        }
        let mut employees = reach.employees.clone();
        if let Some(manager) = reach.reports_of {
            let reports: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM rm_employee WHERE manager_id = $1")
                .bind(manager)
                .fetch_all(pool)
                .await?;
            employees.extend(reports);
        }
        Ok(Self {
            all: false,
            institutions,
            employees,
            public_catalogue: reach.public_catalogue,
        })
    }

    /// Whether every row is in scope.
    pub fn covers_everything(&self) -> bool {
        self.all
    }

    /// Whether rows of this institution are in scope.
    pub fn covers_institution(&self, id: Uuid) -> bool {
        self.all || self.institutions.contains(&id)
    }

    /// The condition on a row of a person or a record, given the SQL of its
    /// institution column, its employee column (rows of people) and its
    /// offering column (places, which VAS sees in its catalogue's
    /// offerings).
    ///
    /// The ids are written into the SQL as literals rather than bound: a
    /// UUID prints as hex digits and hyphens only, so nothing can be
    /// injected, and each reader keeps its own parameter numbering.
    pub(crate) fn condition(&self, institution: &str, employee: Option<&str>, offering: Option<&str>) -> String {
        if self.all {
            return "TRUE".to_owned();
        }
        let mut any = Vec::new();
        if !self.institutions.is_empty() {
            any.push(format!("{institution} = ANY ({})", uuid_array(&self.institutions)));
        }
        if let (Some(employee), false) = (employee, self.employees.is_empty()) {
            any.push(format!("{employee} = ANY ({})", uuid_array(&self.employees)));
        }
        if self.public_catalogue {
            let levels = [OwnerLevel::PublicAdministration, OwnerLevel::ProfessionalGroup]
                .iter()
                .map(|l| format!("'{}'", wire_name(l)))
                .collect::<Vec<_>>()
                .join(", ");
            let catalogue = format!(
                "SELECT o.id FROM rm_offering o JOIN rm_course c ON c.id = o.course_id WHERE c.owner_level IN ({levels})"
            );
            match (offering, employee) {
                (Some(offering), _) => any.push(format!("{offering} IN ({catalogue})")),
                // VAS reads the people who hold a place in its catalogue,
                // to administer their enrolments.
                (None, Some(employee)) => any.push(format!(
                    "{employee} IN (SELECT p.employee_id FROM rm_place p WHERE p.offering_id IN ({catalogue}))"
                )),
                (None, None) => {}
            }
        }
        if any.is_empty() {
            "FALSE".to_owned()
        } else {
            format!("({})", any.join(" OR "))
        }
    }
}

fn uuid_array(ids: &[Uuid]) -> String {
    let items: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    format!("'{{{}}}'::uuid[]", items.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(institutions: Vec<Uuid>, employees: Vec<Uuid>, public_catalogue: bool) -> ReadScope {
        ReadScope {
            all: false,
            institutions,
            employees,
            public_catalogue,
        }
    }

    #[test]
    fn an_empty_scope_matches_nothing_and_everything_matches_all() {
        assert_eq!(scope(vec![], vec![], false).condition("i", Some("e"), None), "FALSE");
        assert_eq!(ReadScope::everything().condition("i", Some("e"), None), "TRUE");
    }

    #[test]
    fn a_person_in_scope_matches_by_either_column() {
        let c = scope(vec![Uuid::from_u128(1)], vec![Uuid::from_u128(2)], false).condition("p.i", Some("p.e"), None);
        assert!(
            c.contains("p.i = ANY ('{00000000-0000-0000-0000-000000000001}'::uuid[])"),
            "{c}"
        );
        assert!(c.contains(" OR p.e = ANY ("), "{c}");
    }

    #[test]
    fn employees_do_not_widen_a_read_of_institution_records() {
        assert_eq!(
            scope(vec![], vec![Uuid::from_u128(2)], false).condition("i", None, None),
            "FALSE"
        );
    }

    #[test]
    fn the_public_catalogue_reaches_places_in_it_and_the_people_holding_them() {
        assert_eq!(scope(vec![], vec![], true).condition("i", None, None), "FALSE");
        assert!(scope(vec![], vec![], true)
            .condition("i", Some("id"), None)
            .contains("id IN (SELECT p.employee_id FROM rm_place p"));
        assert!(scope(vec![], vec![], true)
            .condition("i", Some("e"), Some("p.offering_id"))
            .contains("PUBLIC_ADMINISTRATION"));
    }
}
