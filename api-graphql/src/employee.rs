//! Employees over GraphQL: hiring and the changes of an employment, and
//! personal data that is sealed on the way in, opened on the way out, and
//! gone for good once erased.

use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, SimpleObject};
use prasme_commands::{
    AssignManager, ChangeEmployeeRole, EraseEmployeePersonalData, HireEmployee, RecordEmployeeLeft, TransferEmployee,
};
use prasme_domain::employee as domain;
use prasme_projections::employee::read::{self, EmployeeRow};
use prasme_projections::offering::read as offering_read;
use uuid::Uuid;

use crate::complexity::page;
use crate::context::{api, read_models, reads};
use crate::errors::{db, UserError};
use crate::model::Institution;
use crate::mutation::{command, outcome, settle, stream_uuid, use_cases, Outcome};
use crate::offering::{Place, PlaceStatus};
use crate::paging::{connection, window, Keyed};
use crate::scalars::{Date, Position};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::employee::JobGroup")]
pub enum JobGroup {
    NewEmployee,
    HrSpecialist,
    LawEnforcement,
    EuFundsSpecialist,
    MiddleOrLowerManager,
    TopManager,
    PoliticalOfficial,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::employee::EmployeeFunction")]
pub enum EmployeeFunction {
    ControlOrSupervision,
    ClientService,
    Procurement,
    WhistleblowingContact,
    EthicsTrustPerson,
    InternalTrainer,
    Mentor,
    DigitalAgent,
}

/// Personal data, readable only while the employee's key exists.
#[derive(SimpleObject)]
pub struct PersonalDataView {
    pub name: String,
    pub email: Option<String>,
    pub personal_code: Option<String>,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Employee {
    pub id: Uuid,
    pub job_groups: Vec<JobGroup>,
    pub functions: Vec<EmployeeFunction>,
    pub civil_servant: bool,
    pub hired_on: Date,
    pub left_on: Option<Date>,
    /// True once the personal data was erased: it is unreadable everywhere.
    pub personal_data_erased: bool,
    #[graphql(skip)]
    pub institution_id: Uuid,
    #[graphql(skip)]
    pub manager_id: Option<Uuid>,
    #[graphql(skip)]
    pub sealed: domain::SealedPersonalData,
}

#[ComplexObject]
impl Employee {
    async fn institution(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Institution>> {
        crate::model::institution(ctx, self.institution_id).await
    }

    async fn manager(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        match self.manager_id {
            Some(id) => employee_by_id(ctx, id).await,
            None => Ok(None),
        }
    }

    /// The employee's places in these statuses (every status when none is
    /// given), by the offering's start date; 50 a page unless `first` or
    /// `last` says.
    #[graphql(complexity = "page(first.or(last).unwrap_or(50), child_complexity)")]
    async fn places(
        &self,
        ctx: &Context<'_>,
        status: Option<Vec<PlaceStatus>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Keyed<Place>> {
        let window = window(first, after, last, before, 50)?;
        let statuses: Vec<_> = status.into_iter().flatten().map(Into::into).collect();
        let page = offering_read::employee_places(&*reads(ctx).await?, self.id, &statuses, &window)
            .await
            .map_err(db)?;
        Ok(connection(&window, page, Place::from))
    }

    /// Null once erased.
    async fn personal_data(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PersonalDataView>> {
        if self.personal_data_erased {
            return Ok(None);
        }
        let opened = api(ctx)?
            .vault
            .open(self.id, &self.sealed)
            .await
            .map_err(|e| crate::errors::internal_because(e, "the personal data could not be read"))?;
        Ok(opened.map(|p| PersonalDataView {
            name: p.name,
            email: p.email,
            personal_code: p.personal_code,
        }))
    }
}

impl From<EmployeeRow> for Employee {
    fn from(r: EmployeeRow) -> Self {
        Self {
            id: r.id,
            job_groups: r.job_groups.into_iter().map(Into::into).collect(),
            functions: r.functions.into_iter().map(Into::into).collect(),
            civil_servant: r.civil_servant,
            hired_on: Date(r.hired_on),
            left_on: r.left_on.map(Date),
            personal_data_erased: r.personal_erased,
            institution_id: r.institution_id,
            manager_id: r.manager_id,
            sealed: r.sealed,
        }
    }
}

pub(crate) async fn employee_by_id(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<Employee>> {
    let row = read::employee_by_id(&*reads(ctx).await?, id).await.map_err(db)?;
    Ok(row.map(Into::into))
}

/// Refuses a query about an employee who was never hired, rather than
/// answering it with an empty record.
pub(crate) async fn require_employee(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<()> {
    match read::employee_by_id(&*reads(ctx).await?, id).await.map_err(db)? {
        Some(_) => Ok(()),
        None => Err(crate::errors::not_found("no employee has this id")),
    }
}

#[derive(Default)]
pub struct EmployeeQuery;

#[Object]
impl EmployeeQuery {
    async fn employee(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Option<Employee>> {
        api(ctx)?
            .reach(read_models::EMPLOYEES, at_least_position.map(|p| p.0))
            .await?;
        crate::errors::found(employee_by_id(ctx, id).await?, "no employee has this id")
    }

    /// An institution's employees, current and former, by id; 50 a page
    /// unless `first` or `last` says.
    #[graphql(complexity = "page(first.or(last).unwrap_or(50), child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn employees(
        &self,
        ctx: &Context<'_>,
        institution_id: Uuid,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Keyed<Employee>> {
        let api = api(ctx)?;
        api.reach(read_models::EMPLOYEES, at_least_position.map(|p| p.0))
            .await?;
        crate::query::require_institution(ctx, institution_id).await?;
        let window = window(first, after, last, before, 50)?;
        let page = read::employees_of(&*reads(ctx).await?, institution_id, &window)
            .await
            .map_err(db)?;
        Ok(connection(&window, page, Employee::from))
    }
}

#[derive(InputObject)]
pub struct HireEmployeeInput {
    pub command_id: Option<Uuid>,
    /// Defaults to the command id, so a retried command names the same employee.
    pub employee_id: Option<Uuid>,
    pub institution_id: Uuid,
    pub name: String,
    pub email: Option<String>,
    /// Latvian personal code, DDMMYY-NNNNN.
    pub personal_code: Option<String>,
    pub job_groups: Vec<JobGroup>,
    #[graphql(default)]
    pub civil_servant: bool,
    #[graphql(default)]
    pub functions: Vec<EmployeeFunction>,
    pub hired_on: Date,
}

#[derive(InputObject)]
pub struct ChangeEmployeeRoleInput {
    pub command_id: Option<Uuid>,
    pub expected_version: Option<i64>,
    pub employee_id: Uuid,
    pub job_groups: Vec<JobGroup>,
    pub civil_servant: bool,
    #[graphql(default)]
    pub functions: Vec<EmployeeFunction>,
    pub effective_on: Date,
}

#[derive(InputObject)]
pub struct TransferEmployeeInput {
    pub command_id: Option<Uuid>,
    pub expected_version: Option<i64>,
    pub employee_id: Uuid,
    pub to_institution_id: Uuid,
    pub effective_on: Date,
}

#[derive(InputObject)]
pub struct AssignManagerInput {
    pub command_id: Option<Uuid>,
    pub expected_version: Option<i64>,
    pub employee_id: Uuid,
    pub manager_id: Uuid,
}

#[derive(InputObject)]
pub struct RecordEmployeeLeftInput {
    pub command_id: Option<Uuid>,
    pub expected_version: Option<i64>,
    pub employee_id: Uuid,
    pub left_on: Date,
}

#[derive(InputObject)]
pub struct EraseEmployeePersonalDataInput {
    pub command_id: Option<Uuid>,
    pub employee_id: Uuid,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct EmployeePayload {
    pub employee_id: Option<Uuid>,
    #[graphql(flatten)]
    pub outcome: Outcome,
}

#[ComplexObject]
impl EmployeePayload {
    /// The employee as the read model has it once this command is projected.
    async fn employee(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        let (Some(id), Some(position)) = (self.employee_id, self.outcome.position) else {
            return Ok(None);
        };
        api(ctx)?.reach(read_models::EMPLOYEES, Some(position.0)).await?;
        employee_by_id(ctx, id).await
    }
}

/// A reused command id answers with its first result, whichever stream that was.
fn payload(result: Result<prasme_commands::Accepted, Vec<UserError>>) -> EmployeePayload {
    EmployeePayload {
        employee_id: result.as_ref().ok().and_then(|a| stream_uuid(&a.stream_id)),
        outcome: outcome(&result),
    }
}

fn sorted<D: Ord, G: Copy + Into<D>>(items: &[G]) -> Vec<D> {
    items.iter().map(|g| (*g).into()).collect()
}

#[derive(Default)]
pub struct EmployeeMutation;

#[Object]
impl EmployeeMutation {
    async fn hire_employee(
        &self,
        ctx: &Context<'_>,
        input: HireEmployeeInput,
    ) -> async_graphql::Result<EmployeePayload> {
        let cc = command(ctx, input.command_id, None);
        let hire = HireEmployee {
            employee_id: input.employee_id,
            institution_id: input.institution_id,
            name: input.name,
            email: input.email,
            personal_code: input.personal_code,
            job_groups: sorted(&input.job_groups),
            civil_servant: input.civil_servant,
            functions: sorted(&input.functions),
            hired_on: input.hired_on.0,
        };
        Ok(payload(settle(use_cases(ctx)?.hire_employee(&cc, hire).await)?))
    }

    async fn change_employee_role(
        &self,
        ctx: &Context<'_>,
        input: ChangeEmployeeRoleInput,
    ) -> async_graphql::Result<EmployeePayload> {
        let cc = command(ctx, input.command_id, input.expected_version);
        let change = ChangeEmployeeRole {
            employee_id: input.employee_id,
            job_groups: sorted(&input.job_groups),
            civil_servant: input.civil_servant,
            functions: sorted(&input.functions),
            effective_on: input.effective_on.0,
        };
        Ok(payload(settle(
            use_cases(ctx)?.change_employee_role(&cc, change).await,
        )?))
    }

    async fn transfer_employee(
        &self,
        ctx: &Context<'_>,
        input: TransferEmployeeInput,
    ) -> async_graphql::Result<EmployeePayload> {
        let cc = command(ctx, input.command_id, input.expected_version);
        let transfer = TransferEmployee {
            employee_id: input.employee_id,
            to_institution_id: input.to_institution_id,
            effective_on: input.effective_on.0,
        };
        Ok(payload(settle(use_cases(ctx)?.transfer_employee(&cc, transfer).await)?))
    }

    async fn assign_manager(
        &self,
        ctx: &Context<'_>,
        input: AssignManagerInput,
    ) -> async_graphql::Result<EmployeePayload> {
        let cc = command(ctx, input.command_id, input.expected_version);
        let assign = AssignManager {
            employee_id: input.employee_id,
            manager_id: input.manager_id,
        };
        Ok(payload(settle(use_cases(ctx)?.assign_manager(&cc, assign).await)?))
    }

    async fn record_employee_left(
        &self,
        ctx: &Context<'_>,
        input: RecordEmployeeLeftInput,
    ) -> async_graphql::Result<EmployeePayload> {
        let cc = command(ctx, input.command_id, input.expected_version);
        let left = RecordEmployeeLeft {
            employee_id: input.employee_id,
            left_on: input.left_on.0,
        };
        Ok(payload(settle(use_cases(ctx)?.record_employee_left(&cc, left).await)?))
    }

    /// Lawful erasure: destroys the employee's key, so their personal data is
    /// unreadable in every event, read model and export, while the history
    /// (and its hash chain) stays intact.
    async fn erase_employee_personal_data(
        &self,
        ctx: &Context<'_>,
        input: EraseEmployeePersonalDataInput,
    ) -> async_graphql::Result<EmployeePayload> {
        let cc = command(ctx, input.command_id, None);
        let erase = EraseEmployeePersonalData {
            employee_id: input.employee_id,
        };
        Ok(payload(settle(
            use_cases(ctx)?.erase_employee_personal_data(&cc, erase).await,
        )?))
    }
}
