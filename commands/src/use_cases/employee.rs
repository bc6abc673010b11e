//! Employees: hiring, the changes of an employment, and lawful erasure of
//! personal data.

use chrono::NaiveDate;
use prasme_domain::employee::{Employee, EmployeeCommand, EmployeeFunction, JobGroup, PersonalData};
use prasme_domain::{DomainError, ErrorCode};
use serde::Serialize;
use uuid::Uuid;

use super::admission::Target;
use super::UseCases;
use crate::policy::UseCase;
use crate::{Accepted, CommandContext, CommandError};

#[derive(Serialize)]
pub struct HireEmployee {
    /// Defaults to the command id, so a retried command names the same employee.
    pub employee_id: Option<Uuid>,
    pub institution_id: Uuid,
    // Personal data stays out of the input's fingerprint, which is kept in
    // the events where erasure cannot reach it.
    #[serde(skip)]
    pub name: String,
    #[serde(skip)]
    pub email: Option<String>,
    #[serde(skip)]
    pub personal_code: Option<String>,
    pub job_groups: Vec<JobGroup>,
    pub civil_servant: bool,
    pub functions: Vec<EmployeeFunction>,
    pub hired_on: NaiveDate,
}

#[derive(Serialize)]
pub struct ChangeEmployeeRole {
    pub employee_id: Uuid,
    pub job_groups: Vec<JobGroup>,
    pub civil_servant: bool,
    pub functions: Vec<EmployeeFunction>,
    pub effective_on: NaiveDate,
}

#[derive(Serialize)]
pub struct TransferEmployee {
    pub employee_id: Uuid,
    pub to_institution_id: Uuid,
    pub effective_on: NaiveDate,
}

#[derive(Serialize)]
pub struct AssignManager {
    pub employee_id: Uuid,
    pub manager_id: Uuid,
}

#[derive(Serialize)]
pub struct RecordEmployeeLeft {
    pub employee_id: Uuid,
    pub left_on: NaiveDate,
}

#[derive(Serialize)]
pub struct EraseEmployeePersonalData {
    pub employee_id: Uuid,
}

fn no_employee(field: &'static str) -> DomainError {
    DomainError::on(field, ErrorCode::NotFound, "no employee is hired with this id")
}

impl UseCases {
    pub async fn hire_employee(&self, ctx: &CommandContext, input: HireEmployee) -> Result<Accepted, CommandError> {
        let employee_id = input.employee_id.unwrap_or(ctx.command_id);
        let target = Target::Hire {
            employee_id,
            institution_id: input.institution_id,
        };
        let cmd = self.admit(ctx, UseCase::HireEmployee, target, &input).await?;
        self.handler
            .execute_with::<Employee, _, _>(&cmd, employee_id, || async {
                let personal =
                    match PersonalData::new(&input.name, input.email.as_deref(), input.personal_code.as_deref()) {
                        Ok(personal) => personal,
                        Err(refusal) => return Ok(Err(refusal)),
                    };
                if let Err(refusal) = self.institution_exists(input.institution_id, "institutionId").await? {
                    return Ok(Err(refusal));
                }
                if let Err(refusal) = self.id_is_free::<Employee>(employee_id, "employeeId").await? {
                    return Ok(Err(refusal));
                }
                let (employee, _) = self.handler.state::<Employee>(employee_id).await?;
                if let Err(refusal) = employee.not_yet_hired() {
                    return Ok(Err(refusal));
                }
                let personal_data = self.vault.seal(employee_id, &personal).await?;
                self.vault.index_name(employee_id, &personal.name).await?;
                Ok(Ok(EmployeeCommand::Hire {
                    employee_id,
                    institution_id: input.institution_id,
                    job_groups: input.job_groups,
                    civil_servant: input.civil_servant,
                    functions: input.functions,
                    personal_data,
                    hired_on: input.hired_on,
                }))
            })
            .await
    }

    pub async fn change_employee_role(
        &self,
        ctx: &CommandContext,
        input: ChangeEmployeeRole,
    ) -> Result<Accepted, CommandError> {
        let id = input.employee_id;
        let cmd = self
            .admit(ctx, UseCase::ChangeEmployeeRole, Target::Employee(id), &input)
            .await?;
        let command = EmployeeCommand::ChangeRole {
            job_groups: input.job_groups,
            civil_servant: input.civil_servant,
            functions: input.functions,
            effective_on: input.effective_on,
        };
        self.handler.execute::<Employee>(&cmd, id, command).await
    }

    pub async fn transfer_employee(
        &self,
        ctx: &CommandContext,
        input: TransferEmployee,
    ) -> Result<Accepted, CommandError> {
        let id = input.employee_id;
        let cmd = self
            .admit(ctx, UseCase::TransferEmployee, Target::Employee(id), &input)
            .await?;
        self.handler
            .execute_with::<Employee, _, _>(&cmd, id, || async {
                Ok(self
                    .institution_exists(input.to_institution_id, "toInstitutionId")
                    .await?
                    .map(|()| EmployeeCommand::Transfer {
                        to_institution_id: input.to_institution_id,
                        effective_on: input.effective_on,
                    }))
            })
            .await
    }

    pub async fn assign_manager(&self, ctx: &CommandContext, input: AssignManager) -> Result<Accepted, CommandError> {
        let id = input.employee_id;
        let cmd = self
            .admit(
                ctx,
                UseCase::AssignManager,
                Target::ManagerAssignment {
                    employee_id: id,
                    manager_id: input.manager_id,
                },
                &input,
            )
            .await?;
        self.handler
            .execute_with::<Employee, _, _>(&cmd, id, || async {
                Ok(if self.handler.exists::<Employee>(input.manager_id).await? {
                    Ok(EmployeeCommand::AssignManager {
                        manager_id: input.manager_id,
                    })
                } else {
                    Err(no_employee("managerId"))
                })
            })
            .await
    }

    pub async fn record_employee_left(
        &self,
        ctx: &CommandContext,
        input: RecordEmployeeLeft,
    ) -> Result<Accepted, CommandError> {
        let id = input.employee_id;
        let cmd = self
            .admit(ctx, UseCase::RecordEmployeeLeft, Target::Employee(id), &input)
            .await?;
        let command = EmployeeCommand::RecordLeft { left_on: input.left_on };
        self.handler.execute::<Employee>(&cmd, id, command).await
    }

    /// Lawful erasure: destroys the employee's key, so their personal data is
    /// unreadable in every event, read model and export, while the history
    /// (and its hash chain) stays intact.
    pub async fn erase_employee_personal_data(
        &self,
        ctx: &CommandContext,
        input: EraseEmployeePersonalData,
    ) -> Result<Accepted, CommandError> {
        let id = input.employee_id;
        let cmd = self
            .admit(ctx, UseCase::EraseEmployeePersonalData, Target::Employee(id), &input)
            .await?;
        self.handler
            .execute_with::<Employee, _, _>(&cmd, id, || async {
                if !self.handler.exists::<Employee>(id).await? {
                    return Ok(Err(no_employee("employeeId")));
                }
                // The key goes first: once it is gone nothing can read the
                // data, whether or not the event lands (a retry records it).
                self.vault.erase(id).await?;
                Ok(Ok(EmployeeCommand::ErasePersonalData))
            })
            .await
    }
}
