//! Where a person stood on a business date, as the KPI engine counts them:
//! institution (and so resor and state or municipal), job groups, civil
//! servant or not, and functions. Built from the employee's events in the
//! order recorded, with the same rule as `Employee::standing_on`: the
//! entry in force on a date is the latest-dated one not after it, and of
//! equal dates the one recorded last. So a back-dated transfer moves the
//! facts dated after it, as known from then on.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::employee::{in_force, EmployeeEvent, EmployeeFunction, JobGroup};

/// A role as recorded: what an indicator's `who` is matched against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    pub job_groups: Vec<JobGroup>,
    pub civil_servant: bool,
    pub functions: Vec<EmployeeFunction>,
}

/// An employee's history, as much as the engine needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Career {
    pub hired_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    pub institutions: Vec<(NaiveDate, Uuid)>,
    pub roles: Vec<(NaiveDate, Role)>,
}

/// Where a person stood on one date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub institution_id: Uuid,
    pub role: Role,
}

impl Career {
    /// The career an employee event starts, or how it changes `self`; none
    /// for events that change nothing the engine counts.
    pub fn after(career: Option<Career>, event: &EmployeeEvent) -> Option<Career> {
        match (career, event) {
            (
                _,
                EmployeeEvent::EmployeeHired {
                    institution_id,
                    job_groups,
                    civil_servant,
                    functions,
                    hired_on,
                    ..
                },
            ) => Some(Career {
                hired_on: *hired_on,
                left_on: None,
                institutions: vec![(*hired_on, *institution_id)],
                roles: vec![(
                    *hired_on,
                    Role {
                        job_groups: job_groups.clone(),
                        civil_servant: *civil_servant,
                        functions: functions.clone(),
                    },
                )],
            }),
            (
                Some(mut c),
                EmployeeEvent::EmployeeRoleChanged {
                    job_groups,
                    civil_servant,
                    functions,
                    effective_on,
                    ..
                },
            ) => {
                c.roles.push((
                    *effective_on,
                    Role {
                        job_groups: job_groups.clone(),
                        civil_servant: *civil_servant,
                        functions: functions.clone(),
                    },
                ));
                Some(c)
            }
            (
                Some(mut c),
                EmployeeEvent::EmployeeTransferred {
                    to_institution_id,
                    effective_on,
                    ..
                },
            ) => {
                c.institutions.push((*effective_on, *to_institution_id));
                Some(c)
            }
            (Some(mut c), EmployeeEvent::EmployeeLeft { left_on, .. }) => {
                c.left_on = Some(*left_on);
                Some(c)
            }
            (c, _) => c,
        }
    }

    /// Where the person stood on `date`; none before the hire or after
    /// they left.
    pub fn on(&self, date: NaiveDate) -> Option<Profile> {
        if date < self.hired_on || self.left_on.is_some_and(|left| date > left) {
            return None;
        }
        Some(Profile {
            institution_id: *in_force(&self.institutions, date)?,
            role: in_force(&self.roles, date)?.clone(),
        })
    }

    /// Functions the person holds from `date` that they did not hold the
    /// day before: a designation (an ethics trust person delegated, an
    /// internal trainer named) is a fact dated when it starts.
    pub fn designations(&self) -> Vec<(NaiveDate, EmployeeFunction)> {
        let mut dates: Vec<NaiveDate> = self.roles.iter().map(|(d, _)| *d).collect();
        dates.sort();
        dates.dedup();
        let mut out = Vec::new();
        for date in dates {
            let Some(now) = self.on(date) else { continue };
            let before = date.pred_opt().and_then(|d| self.on(d));
            for f in &now.role.functions {
                if !before.as_ref().is_some_and(|b| b.role.functions.contains(f)) {
                    out.push((date, *f));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn hired(on: &str, institution: Uuid, functions: Vec<EmployeeFunction>) -> EmployeeEvent {
        EmployeeEvent::EmployeeHired {
            employee_id: Uuid::nil(),
            institution_id: institution,
            job_groups: vec![JobGroup::TopManager],
            civil_servant: true,
            functions,
            personal_data: crate::employee::SealedPersonalData {
                nonce: String::new(),
                ciphertext: String::new(),
            },
            hired_on: d(on),
        }
    }

    #[test]
    fn given_a_transfer_in_march_when_asked_before_and_after_then_old_then_new_institution() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let c = Career::after(None, &hired("2022-01-10", a, vec![])).unwrap();
        let c = Career::after(
            Some(c),
            &EmployeeEvent::EmployeeTransferred {
                employee_id: Uuid::nil(),
                from_institution_id: a,
                to_institution_id: b,
                effective_on: d("2023-03-01"),
            },
        )
        .unwrap();
        assert_eq!(c.on(d("2023-02-28")).unwrap().institution_id, a);
        assert_eq!(c.on(d("2023-03-01")).unwrap().institution_id, b);
        assert!(c.on(d("2022-01-09")).is_none(), "not yet hired");
    }

    #[test]
    fn given_a_function_gained_later_when_listing_designations_then_dated_when_it_starts() {
        let a = Uuid::from_u128(1);
        let c = Career::after(None, &hired("2022-01-10", a, vec![EmployeeFunction::Mentor])).unwrap();
        let c = Career::after(
            Some(c),
            &EmployeeEvent::EmployeeRoleChanged {
                employee_id: Uuid::nil(),
                institution_id: a,
                job_groups: vec![JobGroup::TopManager],
                civil_servant: true,
                functions: vec![EmployeeFunction::Mentor, EmployeeFunction::EthicsTrustPerson],
                effective_on: d("2024-05-01"),
            },
        )
        .unwrap();
        assert_eq!(
            c.designations(),
            vec![
                (d("2022-01-10"), EmployeeFunction::Mentor),
                (d("2024-05-01"), EmployeeFunction::EthicsTrustPerson)
            ]
        );
    }

    #[test]
    fn given_an_employee_who_left_when_asked_after_then_nowhere() {
        let c = Career::after(None, &hired("2022-01-10", Uuid::from_u128(1), vec![])).unwrap();
        let c = Career::after(
            Some(c),
            &EmployeeEvent::EmployeeLeft {
                employee_id: Uuid::nil(),
                institution_id: Uuid::from_u128(1),
                left_on: d("2023-06-30"),
            },
        )
        .unwrap();
        assert!(c.on(d("2023-06-30")).is_some());
        assert!(c.on(d("2023-07-01")).is_none());
    }
}
