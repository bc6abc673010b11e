//! The employee aggregate: employment in one institution at a time, job
//! groups and functions that the plan's indicators count (seed 000 §5.2,
//! annex 2), a manager, and personal data that is only ever held sealed.
//!
//! Personal data (name, e-mail, personal code) never appears in an event in
//! clear text: the command layer seals it with a key of the employee's own,
//! kept outside the event log. Erasing the key makes every copy unreadable
//! (crypto-shredding) while the history stays verifiable.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::reference::Resor;
use crate::validate::{self, MAX_NAME_CHARS};
use crate::{Decider, DomainError, ErrorCode};

/// The plan's target groups an employee can belong to (seed 000 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobGroup {
    NewEmployee,
    HrSpecialist,
    LawEnforcement,
    EuFundsSpecialist,
    MiddleOrLowerManager,
    TopManager,
    PoliticalOfficial,
}

/// Functions that indicators count (annex 2, measures 1.1–1.6, 2.1, 4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EmployeeFunction {
    ControlOrSupervision,
    ClientService,
    Procurement,
    WhistleblowingContact,
    EthicsTrustPerson,
    InternalTrainer,
    Mentor,
    DigitalAgent,
    /// Makes policy (1.4 #2: "politikas veidotāji").
    PolicyMaking,
    /// Works in a client service centre (KAC, VPVKAC; 4.2 #1).
    ClientServiceCentre,
}

/// Personal data in clear text: exists only in memory, between the API and
/// the vault that seals it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonalData {
    pub name: String,
    pub email: Option<String>,
    /// Latvian personal code, `DDMMYY-NNNNN` (the newer codes have the same shape).
    pub personal_code: Option<String>,
}

impl PersonalData {
    /// Validated and normalised personal data.
    pub fn new(name: &str, email: Option<&str>, personal_code: Option<&str>) -> Result<Self, DomainError> {
        let name = validate::text("name", name, MAX_NAME_CHARS)?;
        let email = email
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| {
                let valid = e.len() <= 254
                    && e.split_once('@').is_some_and(|(local, domain)| {
                        !local.is_empty() && domain.contains('.') && !e.chars().any(char::is_whitespace)
                    });
                if valid {
                    Ok(e.to_lowercase())
                } else {
                    Err(DomainError::on(
                        "email",
                        ErrorCode::InvalidValue,
                        "not an e-mail address",
                    ))
                }
            })
            .transpose()?;
        let personal_code = personal_code
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| {
                let b = c.as_bytes();
                let valid =
                    b.len() == 12 && b[6] == b'-' && b.iter().enumerate().all(|(i, ch)| i == 6 || ch.is_ascii_digit());
                if valid {
                    Ok(c.to_owned())
                } else {
                    Err(DomainError::on(
                        "personalCode",
                        ErrorCode::InvalidValue,
                        "a personal code has the form DDMMYY-NNNNN",
                    ))
                }
            })
            .transpose()?;
        Ok(Self {
            name,
            email,
            personal_code,
        })
    }
}

/// Personal data sealed with the employee's key (XChaCha20-Poly1305), as hex.
/// Opaque to the domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SealedPersonalData {
    pub nonce: String,
    pub ciphertext: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmployeeCommand {
    Hire {
        employee_id: Uuid,
        institution_id: Uuid,
        job_groups: Vec<JobGroup>,
        civil_servant: bool,
        functions: Vec<EmployeeFunction>,
        personal_data: SealedPersonalData,
        hired_on: NaiveDate,
    },
    ChangeRole {
        job_groups: Vec<JobGroup>,
        civil_servant: bool,
        functions: Vec<EmployeeFunction>,
        effective_on: NaiveDate,
    },
    /// The target institution's existence is checked by the caller.
    Transfer {
        to_institution_id: Uuid,
        effective_on: NaiveDate,
    },
    /// The manager's existence is checked by the caller.
    AssignManager {
        manager_id: Uuid,
    },
    RecordLeft {
        left_on: NaiveDate,
    },
    ErasePersonalData,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum EmployeeEvent {
    EmployeeHired {
        employee_id: Uuid,
        institution_id: Uuid,
        job_groups: Vec<JobGroup>,
        civil_servant: bool,
        functions: Vec<EmployeeFunction>,
        personal_data: SealedPersonalData,
        hired_on: NaiveDate,
    },
    EmployeeRoleChanged {
        employee_id: Uuid,
        institution_id: Uuid,
        job_groups: Vec<JobGroup>,
        civil_servant: bool,
        functions: Vec<EmployeeFunction>,
        effective_on: NaiveDate,
    },
    EmployeeTransferred {
        employee_id: Uuid,
        from_institution_id: Uuid,
        to_institution_id: Uuid,
        effective_on: NaiveDate,
    },
    ManagerAssigned {
        employee_id: Uuid,
        institution_id: Uuid,
        manager_id: Uuid,
    },
    EmployeeLeft {
        employee_id: Uuid,
        institution_id: Uuid,
        left_on: NaiveDate,
    },
    /// The employee's key was destroyed: every sealed copy of their personal
    /// data is unreadable from now on.
    EmployeePersonalDataErased { employee_id: Uuid },
}

crate::domain_event!(EmployeeEvent {
    EmployeeHired,
    EmployeeRoleChanged,
    EmployeeTransferred,
    ManagerAssigned,
    EmployeeLeft,
    EmployeePersonalDataErased,
});

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Employee {
    pub id: Option<Uuid>,
    pub institution_id: Option<Uuid>,
    pub hired_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    pub manager_id: Option<Uuid>,
    pub job_groups: Vec<JobGroup>,
    pub civil_servant: bool,
    pub functions: Vec<EmployeeFunction>,
    pub erased: bool,
    /// Where they worked from which date, in the order recorded: a
    /// back-dated fact (an assessment, a talent review) is counted where
    /// the employee stood on its date, not where they stand today.
    pub institution_history: Vec<(NaiveDate, Uuid)>,
    /// Their job groups from which date, in the order recorded.
    pub role_history: Vec<(NaiveDate, Vec<JobGroup>)>,
}

/// Where an employee stood on a business date: what indicators 3.1, 3.2
/// and 4.1 count a fact about them by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Standing {
    pub institution_id: Uuid,
    /// The institution's resor; none for a municipality.
    pub resor: Option<Resor>,
    pub job_groups: Vec<JobGroup>,
}

/// The entry in force on `date`: the latest-dated one not after it, and of
/// equal dates the one recorded last.
pub fn in_force<T>(history: &[(NaiveDate, T)], date: NaiveDate) -> Option<&T> {
    history
        .iter()
        .enumerate()
        .filter(|(_, (from, _))| *from <= date)
        .max_by_key(|(i, (from, _))| (*from, *i))
        .map(|(_, (_, t))| t)
}

impl Employee {
    /// Where the employee stood on `date`, refused on `field` when they
    /// were not employed then (before the hire, after leaving). The resor
    /// is the institution's, which the caller reads and fills in.
    pub fn standing_on(&self, field: &'static str, date: NaiveDate) -> Result<Standing, DomainError> {
        let (Some(_), Some(hired_on), Some(today_at)) = (self.id, self.hired_on, self.institution_id) else {
            return Err(DomainError::on(
                "employeeId",
                ErrorCode::NotFound,
                "no employee is hired with this id",
            ));
        };
        if date < hired_on || self.left_on.is_some_and(|left| date > left) {
            return Err(DomainError::on(
                field,
                ErrorCode::OutOfRange,
                format!("the employee was not employed on {date}"),
            ));
        }
        let institution_id = *in_force(&self.institution_history, date).unwrap_or(&today_at);
        let job_groups = in_force(&self.role_history, date).unwrap_or(&self.job_groups).clone();
        Ok(Standing {
            institution_id,
            resor: None,
            job_groups,
        })
    }

    fn current(&self) -> Result<(Uuid, Uuid), DomainError> {
        self.working("employeeId", "the employee has left; record a new hire instead")
    }

    /// The employee's id and institution while they work there: what a
    /// command about them on another aggregate (a place, a substitution)
    /// needs, refused on `field` otherwise.
    pub fn at_work(&self, field: &'static str) -> Result<(Uuid, Uuid), DomainError> {
        self.working(field, "the employee has left")
    }

    fn working(&self, field: &'static str, once_left: &'static str) -> Result<(Uuid, Uuid), DomainError> {
        let (Some(id), Some(institution)) = (self.id, self.institution_id) else {
            return Err(DomainError::on(
                field,
                ErrorCode::NotFound,
                "no employee is hired with this id",
            ));
        };
        if self.left_on.is_some() {
            return Err(DomainError::on(field, ErrorCode::InvalidValue, once_left));
        }
        Ok((id, institution))
    }

    /// A date no earlier than the hire.
    fn not_before_hire(&self, field: &'static str, date: NaiveDate) -> Result<NaiveDate, DomainError> {
        match self.hired_on {
            Some(hired) if date < hired => Err(DomainError::on(
                field,
                ErrorCode::OutOfRange,
                format!("{field} is before the hire on {hired}"),
            )),
            _ => Ok(date),
        }
    }
}

fn role<T: Ord + Copy>(field: &'static str, items: &[T], required: bool) -> Result<Vec<T>, DomainError> {
    let mut sorted = items.to_vec();
    sorted.sort();
    sorted.dedup();
    if required && sorted.is_empty() {
        return Err(DomainError::on(
            field,
            ErrorCode::Required,
            format!("{field} must name at least one"),
        ));
    }
    Ok(sorted)
}

impl Employee {
    /// A hire needs an id no employee has had. Asked before personal data is
    /// sealed too, so that a refused hire never makes a key for an id that
    /// may have been erased.
    pub fn not_yet_hired(&self) -> Result<(), DomainError> {
        match self.id {
            Some(_) => Err(DomainError::on(
                "employeeId",
                ErrorCode::AlreadyExists,
                "an employee with this id exists",
            )),
            None => Ok(()),
        }
    }
}

impl Decider for Employee {
    type Command = EmployeeCommand;
    type Event = EmployeeEvent;
    type State = Employee;

    fn stream_id(id: Uuid) -> String {
        format!("employee-{id}")
    }

    fn decide(command: &EmployeeCommand, state: &Employee) -> Result<Vec<EmployeeEvent>, DomainError> {
        use EmployeeCommand as C;
        use EmployeeEvent as E;
        match command {
            C::Hire {
                employee_id,
                institution_id,
                job_groups,
                civil_servant,
                functions,
                personal_data,
                hired_on,
            } => {
                state.not_yet_hired()?;
                Ok(vec![E::EmployeeHired {
                    employee_id: *employee_id,
                    institution_id: *institution_id,
                    job_groups: role("jobGroups", job_groups, true)?,
                    civil_servant: *civil_servant,
                    functions: role("functions", functions, false)?,
                    personal_data: personal_data.clone(),
                    hired_on: *hired_on,
                }])
            }
            C::ChangeRole {
                job_groups,
                civil_servant,
                functions,
                effective_on,
            } => {
                let (employee_id, institution_id) = state.current()?;
                let job_groups = role("jobGroups", job_groups, true)?;
                let functions = role("functions", functions, false)?;
                if job_groups == state.job_groups
                    && functions == state.functions
                    && *civil_servant == state.civil_servant
                {
                    return Err(DomainError::new(
                        ErrorCode::NothingToChange,
                        None,
                        "the role is unchanged",
                    ));
                }
                Ok(vec![E::EmployeeRoleChanged {
                    employee_id,
                    institution_id,
                    job_groups,
                    civil_servant: *civil_servant,
                    functions,
                    effective_on: state.not_before_hire("effectiveOn", *effective_on)?,
                }])
            }
            C::Transfer {
                to_institution_id,
                effective_on,
            } => {
                let (employee_id, from) = state.current()?;
                if *to_institution_id == from {
                    return Err(DomainError::on(
                        "toInstitutionId",
                        ErrorCode::NothingToChange,
                        "the employee already works there",
                    ));
                }
                Ok(vec![E::EmployeeTransferred {
                    employee_id,
                    from_institution_id: from,
                    to_institution_id: *to_institution_id,
                    effective_on: state.not_before_hire("effectiveOn", *effective_on)?,
                }])
            }
            C::AssignManager { manager_id } => {
                let (employee_id, institution_id) = state.current()?;
                if *manager_id == employee_id {
                    return Err(DomainError::on(
                        "managerId",
                        ErrorCode::InvalidValue,
                        "an employee cannot manage themselves",
                    ));
                }
                if state.manager_id == Some(*manager_id) {
                    return Err(DomainError::on(
                        "managerId",
                        ErrorCode::NothingToChange,
                        "already this employee's manager",
                    ));
                }
                Ok(vec![E::ManagerAssigned {
                    employee_id,
                    institution_id,
                    manager_id: *manager_id,
                }])
            }
            C::RecordLeft { left_on } => {
                let (employee_id, institution_id) = state.current()?;
                Ok(vec![E::EmployeeLeft {
                    employee_id,
                    institution_id,
                    left_on: state.not_before_hire("leftOn", *left_on)?,
                }])
            }
            C::ErasePersonalData => {
                let Some(employee_id) = state.id else {
                    return Err(DomainError::on(
                        "employeeId",
                        ErrorCode::NotFound,
                        "no employee is hired with this id",
                    ));
                };
                if state.erased {
                    return Err(DomainError::on(
                        "employeeId",
                        ErrorCode::NothingToChange,
                        "the personal data is already erased",
                    ));
                }
                Ok(vec![E::EmployeePersonalDataErased { employee_id }])
            }
        }
    }

    fn evolve(mut state: Employee, event: &EmployeeEvent) -> Employee {
        use EmployeeEvent as E;
        match event {
            E::EmployeeHired {
                employee_id,
                institution_id,
                job_groups,
                civil_servant,
                functions,
                hired_on,
                ..
            } => {
                state.id = Some(*employee_id);
                state.institution_id = Some(*institution_id);
                state.hired_on = Some(*hired_on);
                state.job_groups = job_groups.clone();
                state.civil_servant = *civil_servant;
                state.functions = functions.clone();
                state.institution_history = vec![(*hired_on, *institution_id)];
                state.role_history = vec![(*hired_on, job_groups.clone())];
            }
            E::EmployeeRoleChanged {
                job_groups,
                civil_servant,
                functions,
                effective_on,
                ..
            } => {
                state.job_groups = job_groups.clone();
                state.civil_servant = *civil_servant;
                state.functions = functions.clone();
                state.role_history.push((*effective_on, job_groups.clone()));
            }
            E::EmployeeTransferred {
                to_institution_id,
                effective_on,
                ..
            } => {
                state.institution_id = Some(*to_institution_id);
                state.institution_history.push((*effective_on, *to_institution_id));
                // A manager belongs to the old institution's structure.
                state.manager_id = None;
            }
            E::ManagerAssigned { manager_id, .. } => state.manager_id = Some(*manager_id),
            E::EmployeeLeft { left_on, .. } => state.left_on = Some(*left_on),
            E::EmployeePersonalDataErased { .. } => state.erased = true,
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EmployeeCommand as C;
    use EmployeeEvent as E;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn sealed() -> SealedPersonalData {
        SealedPersonalData {
            nonce: "00".into(),
            ciphertext: "ff".into(),
        }
    }

    fn hired() -> E {
        E::EmployeeHired {
            employee_id: Uuid::from_u128(1),
            institution_id: Uuid::from_u128(10),
            job_groups: vec![JobGroup::HrSpecialist],
            civil_servant: true,
            functions: vec![EmployeeFunction::Mentor],
            personal_data: sealed(),
            hired_on: date("2024-02-01"),
        }
    }

    fn when(given: &[E], command: C) -> Result<Vec<E>, DomainError> {
        Employee::decide(&command, &Employee::fold(given))
    }

    fn code(r: Result<Vec<E>, DomainError>) -> (ErrorCode, Option<&'static str>) {
        let e = r.expect_err("refused");
        (e.code, e.field)
    }

    #[test]
    fn a_standing_is_taken_as_of_its_date_even_when_the_change_was_recorded_late() {
        let transferred = E::EmployeeTransferred {
            employee_id: Uuid::from_u128(1),
            from_institution_id: Uuid::from_u128(10),
            to_institution_id: Uuid::from_u128(20),
            effective_on: date("2025-03-01"),
        };
        // Recorded after the transfer, effective before it.
        let promoted = E::EmployeeRoleChanged {
            employee_id: Uuid::from_u128(1),
            institution_id: Uuid::from_u128(20),
            job_groups: vec![JobGroup::MiddleOrLowerManager],
            civil_servant: true,
            functions: vec![],
            effective_on: date("2025-01-01"),
        };
        let left = E::EmployeeLeft {
            employee_id: Uuid::from_u128(1),
            institution_id: Uuid::from_u128(20),
            left_on: date("2026-06-30"),
        };
        let state = Employee::fold(&[hired(), transferred, promoted, left]);
        let on = |d| state.standing_on("assessedOn", date(d));
        assert_eq!(on("2024-12-31").unwrap().job_groups, vec![JobGroup::HrSpecialist]);
        let february = on("2025-02-28").unwrap();
        assert_eq!(february.institution_id, Uuid::from_u128(10));
        assert_eq!(february.job_groups, vec![JobGroup::MiddleOrLowerManager]);
        assert_eq!(on("2025-03-01").unwrap().institution_id, Uuid::from_u128(20));
        for outside in ["2024-01-31", "2026-07-01"] {
            let e = on(outside).unwrap_err();
            assert_eq!((e.code, e.field), (ErrorCode::OutOfRange, Some("assessedOn")));
        }
        let e = Employee::default()
            .standing_on("assessedOn", date("2025-01-01"))
            .unwrap_err();
        assert_eq!((e.code, e.field), (ErrorCode::NotFound, Some("employeeId")));
    }

    #[test]
    fn hiring_needs_a_job_group_and_sorts_the_role() {
        let hire = |groups: Vec<JobGroup>| C::Hire {
            employee_id: Uuid::from_u128(1),
            institution_id: Uuid::from_u128(10),
            job_groups: groups,
            civil_servant: true,
            functions: vec![EmployeeFunction::Mentor, EmployeeFunction::Mentor],
            personal_data: sealed(),
            hired_on: date("2024-02-01"),
        };
        assert_eq!(code(when(&[], hire(vec![]))), (ErrorCode::Required, Some("jobGroups")));
        assert_eq!(when(&[], hire(vec![JobGroup::HrSpecialist])), Ok(vec![hired()]));
        assert_eq!(
            code(when(&[hired()], hire(vec![JobGroup::TopManager]))),
            (ErrorCode::AlreadyExists, Some("employeeId"))
        );
    }

    #[test]
    fn a_transfer_moves_the_employee_and_drops_the_manager() {
        let given = [
            hired(),
            E::ManagerAssigned {
                employee_id: Uuid::from_u128(1),
                institution_id: Uuid::from_u128(10),
                manager_id: Uuid::from_u128(2),
            },
        ];
        let then = when(
            &given,
            C::Transfer {
                to_institution_id: Uuid::from_u128(11),
                effective_on: date("2025-01-01"),
            },
        )
        .unwrap();
        let state = Employee::fold(given.iter().chain(then.iter()));
        assert_eq!(state.institution_id, Some(Uuid::from_u128(11)));
        assert_eq!(state.manager_id, None);
        let same = when(
            &given,
            C::Transfer {
                to_institution_id: Uuid::from_u128(10),
                effective_on: date("2025-01-01"),
            },
        );
        assert_eq!(code(same), (ErrorCode::NothingToChange, Some("toInstitutionId")));
        let early = when(
            &given,
            C::Transfer {
                to_institution_id: Uuid::from_u128(11),
                effective_on: date("2023-01-01"),
            },
        );
        assert_eq!(code(early), (ErrorCode::OutOfRange, Some("effectiveOn")));
    }

    #[test]
    fn nothing_happens_to_someone_who_left_but_erasure() {
        let left = E::EmployeeLeft {
            employee_id: Uuid::from_u128(1),
            institution_id: Uuid::from_u128(10),
            left_on: date("2025-06-30"),
        };
        let given = [hired(), left];
        assert_eq!(
            code(when(
                &given,
                C::RecordLeft {
                    left_on: date("2025-07-01")
                }
            ))
            .0,
            ErrorCode::InvalidValue
        );
        assert_eq!(
            code(when(
                &given,
                C::AssignManager {
                    manager_id: Uuid::from_u128(3)
                }
            ))
            .0,
            ErrorCode::InvalidValue
        );
        let erased = when(&given, C::ErasePersonalData).unwrap();
        assert_eq!(
            erased,
            vec![E::EmployeePersonalDataErased {
                employee_id: Uuid::from_u128(1)
            }]
        );
        let again = [hired(), erased[0].clone()];
        assert_eq!(
            code(when(&again, C::ErasePersonalData)),
            (ErrorCode::NothingToChange, Some("employeeId"))
        );
    }

    #[test]
    fn managers_and_roles_must_change_something() {
        let me = C::AssignManager {
            manager_id: Uuid::from_u128(1),
        };
        assert_eq!(code(when(&[hired()], me)), (ErrorCode::InvalidValue, Some("managerId")));
        let same_role = C::ChangeRole {
            job_groups: vec![JobGroup::HrSpecialist],
            civil_servant: true,
            functions: vec![EmployeeFunction::Mentor],
            effective_on: date("2025-01-01"),
        };
        assert_eq!(code(when(&[hired()], same_role)).0, ErrorCode::NothingToChange);
        assert_eq!(
            code(when(
                &[],
                C::RecordLeft {
                    left_on: date("2025-01-01")
                }
            )),
            (ErrorCode::NotFound, Some("employeeId"))
        );
    }

    #[test]
    fn personal_data_is_validated_before_sealing() {
        let ok = PersonalData::new(" Anna Liepa ", Some("Anna.Liepa@VK.gov.lv"), Some("010190-12345")).unwrap();
        assert_eq!(
            (ok.name.as_str(), ok.email.as_deref()),
            ("Anna Liepa", Some("anna.liepa@vk.gov.lv"))
        );
        assert_eq!(PersonalData::new("", None, None).unwrap_err().field, Some("name"));
        assert_eq!(
            PersonalData::new("A", Some("anna"), None).unwrap_err().field,
            Some("email")
        );
        assert_eq!(
            PersonalData::new("A", None, Some("0101901234")).unwrap_err().field,
            Some("personalCode")
        );
        assert_eq!(
            PersonalData::new("A", Some(" "), Some("")).unwrap().email,
            None,
            "blank means absent"
        );
    }
}
