//! Employees over GraphQL: hiring and the changes of an employment, and
//! personal data that is sealed on the way in, opened on the way out, and
//! gone for good once erased.

use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, SimpleObject, ID};
use prasme_commands::{
    AssignManager, ChangeEmployeeRole, EraseEmployeePersonalData, HireEmployee, RecordEmployeeLeft, TransferEmployee,
};
use prasme_domain::employee as domain;
use prasme_domain::name_search;
use prasme_projections::employee::read::{self, EmployeeRow};
use prasme_projections::offering::read as offering_read;
use std::marker::PhantomData;

use prasme_commands::ReadOf;
use uuid::Uuid;

use crate::complexity::page;
use crate::context::{api, read_models, reads, scope};
use crate::errors::{bad_input, db, UserError};
use crate::model::Institution;
use crate::mutation::{command, outcome, settle, stream_uuid, use_cases, Outcome};
use crate::offering::{Place, PlaceStatus};
use crate::paging::{connection, window, Keyed};
use crate::payload::{names, payload_type_name, MutationName};
use crate::scalars::{Date, Position};

/// A target group of the learning and development plan that an employee belongs to.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::employee::JobGroup")]
pub enum JobGroup {
    /// A new employee.
    NewEmployee,
    /// A human-resources management or development specialist.
    HrSpecialist,
    /// A law-enforcement employee.
    LawEnforcement,
    /// An EU funds management specialist.
    EuFundsSpecialist,
    /// A middle or lower-level manager.
    MiddleOrLowerManager,
    /// A top-level manager.
    TopManager,
    /// A political official.
    PoliticalOfficial,
}

/// A function an employee holds that the plan's indicators count.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::employee::EmployeeFunction")]
pub enum EmployeeFunction {
    /// Carries out control or supervision.
    ControlOrSupervision,
    /// Serves clients.
    ClientService,
    /// Works in procurement.
    Procurement,
    /// The contact person for whistleblowers.
    WhistleblowingContact,
    /// An ethics trust person.
    EthicsTrustPerson,
    /// An internal trainer.
    InternalTrainer,
    /// A mentor.
    Mentor,
    /// A digital agent, of the network that spreads digital skills.
    DigitalAgent,
    /// Makes policy.
    PolicyMaking,
    /// Works in a client service centre (KAC, VPVKAC).
    ClientServiceCentre,
}

/// Personal data, readable only while the employee's key exists.
#[derive(SimpleObject)]
pub struct PersonalDataView {
    /// The employee's name, as given when they were hired (trimmed).
    pub name: String,
    /// The employee's e-mail address, in lowercase; null when none was given.
    pub email: Option<String>,
    /// The Latvian personal code, DDMMYY-NNNNN; null when none was given.
    pub personal_code: Option<String>,
}

/// A person employed in the public administration, in one institution at a time.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Employee {
    #[graphql(skip)]
    pub id: Uuid,
    /// The plan's target groups the employee belongs to: at least one, no duplicates.
    pub job_groups: Vec<JobGroup>,
    /// The functions the employee holds that indicators count: no duplicates, possibly none.
    pub functions: Vec<EmployeeFunction>,
    /// True when the employee is a civil servant.
    pub civil_servant: bool,
    /// The day the employment started.
    pub hired_on: Date,
    /// The day the employee left; null while they still work.
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
    /// The employee's id: a UUID that names this employee and nothing else, so `node(id:)` finds it.
    pub(crate) async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// The institution the employee works in, or the last one they worked in once they left.
    async fn institution(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Institution>> {
        crate::model::institution(ctx, self.institution_id).await
    }

    /// The employee's manager; null when none is assigned. A transfer clears it.
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
        #[graphql(desc = "Only places in these statuses; all when absent or empty.")] status: Option<Vec<PlaceStatus>>,
        #[graphql(
            desc = "How many places to read from the start (after `after`), 1 to 500; 50 when neither \
                           `first` nor `last` is given. Not together with `last`."
        )]
        first: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the places after it.")] after: Option<String>,
        #[graphql(
            desc = "How many places to read from the end (before `before`), 1 to 500. Not together with \
                           `first`."
        )]
        last: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the places before it.")] before: Option<String>,
    ) -> async_graphql::Result<Keyed<Place>> {
        let window = window(first, after, last, before, 50)?;
        let statuses: Vec<_> = status.into_iter().flatten().map(Into::into).collect();
        let scope = scope(ctx, ReadOf::Personal).await?;
        let page = offering_read::employee_places(&*reads(ctx).await?, scope, self.id, &statuses, &window)
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

/// The employee, if the caller may read them: one out of scope is
/// answered exactly as one that does not exist.
pub(crate) async fn employee_by_id(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<Employee>> {
    let scope = scope(ctx, ReadOf::Personal).await?;
    let row = read::employee_by_id(&*reads(ctx).await?, scope, id).await.map_err(db)?;
    Ok(row.map(Into::into))
}

/// Refuses a query about an employee who was never hired, rather than
/// answering it with an empty record.
pub(crate) async fn require_employee(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<()> {
    let scope = scope(ctx, ReadOf::Personal).await?;
    match read::employee_by_id(&*reads(ctx).await?, scope, id).await.map_err(db)? {
        Some(_) => Ok(()),
        None => Err(crate::errors::not_found("no employee has this id")),
    }
}

#[derive(Default)]
pub struct EmployeeQuery;

#[Object]
impl EmployeeQuery {
    /// The employee with this id, whether or not they left; null with a NOT_FOUND error when there is none.
    async fn employee(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The employee's id.")] id: Uuid,
        #[graphql(
            desc = "Waits (bounded) until the read models include this event-log position, such as a \
                           mutation's `position`, to read one's own writes; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Option<Employee>> {
        api(ctx)?
            .reach(read_models::EMPLOYEES, at_least_position.map(|p| p.0))
            .await?;
        crate::errors::found(employee_by_id(ctx, id).await?, "no employee has this id")
    }

    /// An institution's employees by id: those who work there now and those who left it while working there (not
    /// those transferred away); 50 a page unless `first` or `last` says.
    #[graphql(complexity = "page(first.or(last).unwrap_or(50), child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn employees(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The institution; NOT_FOUND when no institution has this id.")] institution_id: Uuid,
        #[graphql(
            desc = "Only employees whose name has a word starting with each word of this search, in any letter \
                    case and with or without diacritics (\"kalni\" finds Kalniņa): 1 to 4 words of at least 3 \
                    letters. Names are matched through a blind index, never in clear; an erased person is never \
                    found."
        )]
        search: Option<String>,
        #[graphql(
            desc = "How many employees to read from the start (after `after`), 1 to 500; 50 when neither \
                           `first` nor `last` is given. Not together with `last`."
        )]
        first: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the employees after it.")] after: Option<String>,
        #[graphql(
            desc = "How many employees to read from the end (before `before`), 1 to 500. Not together with \
                           `first`."
        )]
        last: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the employees before it.")] before: Option<String>,
        #[graphql(
            desc = "Waits (bounded) until the read models include this event-log position, such as a \
                           mutation's `position`, to read one's own writes; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Keyed<Employee>> {
        let api = api(ctx)?;
        api.reach(read_models::EMPLOYEES, at_least_position.map(|p| p.0))
            .await?;
        crate::query::require_institution(ctx, institution_id).await?;
        let window = window(first, after, last, before, 50)?;
        let name_tokens = match search {
            Some(search) => {
                let terms =
                    name_search::search_terms(&search).map_err(|e| bad_input(format!("search: {}", e.message)))?;
                Some(api.vault.search_tokens(&terms).await.map_err(db)?)
            }
            None => None,
        };
        let scope = scope(ctx, ReadOf::Personal).await?;
        let page = read::employees_of(
            &*reads(ctx).await?,
            scope,
            institution_id,
            name_tokens.as_deref(),
            &window,
        )
        .await
        .map_err(db)?;
        Ok(connection(&window, page, Employee::from))
    }
}

/// A person starting work in an institution. The name, e-mail and personal code are sealed with a key of the
/// employee's own and never stored in clear text.
#[derive(InputObject)]
pub struct HireEmployeeInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// Defaults to the command id, so a retried command names the same employee.
    pub employee_id: Option<Uuid>,
    /// The institution the employee starts in; NOT_FOUND unless it is registered.
    pub institution_id: Uuid,
    /// The employee's name: trimmed, 1 to 200 characters, no control characters.
    pub name: String,
    /// The employee's e-mail address, kept in lowercase; blank counts as none.
    pub email: Option<String>,
    /// Latvian personal code, DDMMYY-NNNNN.
    pub personal_code: Option<String>,
    /// The plan's target groups the employee belongs to; at least one.
    pub job_groups: Vec<JobGroup>,
    /// True for a civil servant; false by default.
    #[graphql(default)]
    pub civil_servant: bool,
    /// The functions the employee holds that indicators count; none by default.
    #[graphql(default)]
    pub functions: Vec<EmployeeFunction>,
    /// The day the employment starts; any date is accepted.
    pub hired_on: Date,
}

/// A new role for an employee: job groups, civil-servant status and functions replace the current ones together.
#[derive(InputObject)]
pub struct ChangeEmployeeRoleInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the stream is at this version.
    pub expected_version: Option<i64>,
    /// The employee whose role changes.
    pub employee_id: Uuid,
    /// The new job groups; at least one.
    pub job_groups: Vec<JobGroup>,
    /// The new civil-servant status.
    pub civil_servant: bool,
    /// The new functions; none by default, so leaving it out clears the current ones.
    #[graphql(default)]
    pub functions: Vec<EmployeeFunction>,
    /// The day the new role takes effect; not before the hire date.
    pub effective_on: Date,
}

/// A move of an employee to another institution; the employment continues.
#[derive(InputObject)]
pub struct TransferEmployeeInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the stream is at this version.
    pub expected_version: Option<i64>,
    /// The employee who moves.
    pub employee_id: Uuid,
    /// The institution the employee moves to: a registered one, not the one they work in now.
    pub to_institution_id: Uuid,
    /// The day the move takes effect; not before the hire date.
    pub effective_on: Date,
}

/// A manager for an employee, replacing any earlier one.
#[derive(InputObject)]
pub struct AssignManagerInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the stream is at this version.
    pub expected_version: Option<i64>,
    /// The employee who gets the manager.
    pub employee_id: Uuid,
    /// The manager: another employee's id.
    pub manager_id: Uuid,
}

/// The end of an employment.
#[derive(InputObject)]
pub struct RecordEmployeeLeftInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the stream is at this version.
    pub expected_version: Option<i64>,
    /// The employee who left.
    pub employee_id: Uuid,
    /// The day the employee left; not before the hire date.
    pub left_on: Date,
}

/// A lawful erasure of an employee's personal data.
#[derive(InputObject)]
pub struct EraseEmployeePersonalDataInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// The employee whose personal data is erased, whether or not they left.
    pub employee_id: Uuid,
}

/// What an employee command answers with.
#[derive(SimpleObject)]
#[graphql(complex, name_type)]
pub struct EmployeePayload<M: MutationName> {
    /// The employee the command wrote to; null when the command was refused.
    pub employee_id: Option<Uuid>,
    #[graphql(flatten)]
    pub outcome: Outcome,
    #[graphql(skip)]
    mutation: PhantomData<M>,
}
payload_type_name!(EmployeePayload);

#[ComplexObject]
impl<M: MutationName> EmployeePayload<M> {
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
fn payload<M: MutationName>(result: Result<prasme_commands::Accepted, Vec<UserError>>) -> EmployeePayload<M> {
    EmployeePayload {
        employee_id: result.as_ref().ok().and_then(|a| stream_uuid(&a.stream_id)),
        outcome: outcome(&result),
        mutation: PhantomData,
    }
}

fn sorted<D: Ord, G: Copy + Into<D>>(items: &[G]) -> Vec<D> {
    items.iter().map(|g| (*g).into()).collect()
}

#[derive(Default)]
pub struct EmployeeMutation;

#[Object]
impl EmployeeMutation {
    /// Hires a person into an institution. Refused in `userErrors` when the name, e-mail or personal code is
    /// malformed, with NOT_FOUND for an unknown institution, ALREADY_EXISTS when an employee has this id, or
    /// REQUIRED when no job group is given.
    async fn hire_employee(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The person to hire.")] input: HireEmployeeInput,
    ) -> async_graphql::Result<EmployeePayload<names::HireEmployee>> {
        let cc = command(ctx, input.command_id, None)?;
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

    /// Replaces an employee's job groups, civil-servant status and functions. Refused in `userErrors` with
    /// NOT_FOUND for an unknown employee, INVALID_VALUE once they left, REQUIRED without a job group,
    /// NOTHING_TO_CHANGE when the role is the same, or OUT_OF_RANGE when `effectiveOn` is before the hire.
    async fn change_employee_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The employee and their new role.")] input: ChangeEmployeeRoleInput,
    ) -> async_graphql::Result<EmployeePayload<names::ChangeEmployeeRole>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
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

    /// Moves an employee to another institution and clears their manager. Refused in `userErrors` with NOT_FOUND
    /// for an unknown employee or institution, INVALID_VALUE once they left, NOTHING_TO_CHANGE when they already
    /// work there, or OUT_OF_RANGE when `effectiveOn` is before the hire.
    async fn transfer_employee(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The employee and where they move.")] input: TransferEmployeeInput,
    ) -> async_graphql::Result<EmployeePayload<names::TransferEmployee>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let transfer = TransferEmployee {
            employee_id: input.employee_id,
            to_institution_id: input.to_institution_id,
            effective_on: input.effective_on.0,
        };
        Ok(payload(settle(use_cases(ctx)?.transfer_employee(&cc, transfer).await)?))
    }

    /// Gives an employee a manager, replacing any earlier one. Refused in `userErrors` with NOT_FOUND for an
    /// unknown employee or manager, INVALID_VALUE once the employee left or when they would manage themselves, or
    /// NOTHING_TO_CHANGE when this manager is already assigned.
    async fn assign_manager(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The employee and their manager.")] input: AssignManagerInput,
    ) -> async_graphql::Result<EmployeePayload<names::AssignManager>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let assign = AssignManager {
            employee_id: input.employee_id,
            manager_id: input.manager_id,
        };
        Ok(payload(settle(use_cases(ctx)?.assign_manager(&cc, assign).await)?))
    }

    /// Records that an employee left; afterwards only the erasure of their personal data is accepted. Refused in
    /// `userErrors` with NOT_FOUND for an unknown employee, INVALID_VALUE when they already left, or OUT_OF_RANGE
    /// when `leftOn` is before the hire.
    async fn record_employee_left(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The employee and the day they left.")] input: RecordEmployeeLeftInput,
    ) -> async_graphql::Result<EmployeePayload<names::RecordEmployeeLeft>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
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
        #[graphql(desc = "The employee whose personal data is erased.")] input: EraseEmployeePersonalDataInput,
    ) -> async_graphql::Result<EmployeePayload<names::EraseEmployeePersonalData>> {
        let cc = command(ctx, input.command_id, None)?;
        let erase = EraseEmployeePersonalData {
            employee_id: input.employee_id,
        };
        Ok(payload(settle(
            use_cases(ctx)?.erase_employee_personal_data(&cc, erase).await,
        )?))
    }
}
