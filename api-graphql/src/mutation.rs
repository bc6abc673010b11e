//! Commands. Each mutation takes one `input` with an optional `commandId`
//! (idempotency key: sending it again returns the first result and writes
//! nothing) and an optional `expectedVersion` of the institution's stream.

use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject};
use prasme_commands::{
    Accepted, AllocateTrainingBudget, CommandContext, CommandError, CorrectTrainingAllocation,
    DeclareRemunerationBudget, RegisterInstitution, UseCases,
};
use std::marker::PhantomData;

use uuid::Uuid;

use crate::context::{api, principal, read_models, reads};
use crate::errors::{db, user_errors, UserError};
use crate::model::{
    institution_budget, FundingSource, Institution, InstitutionBudget, InstitutionKind, Resor, StrategicPriority,
};
use crate::payload::{names, payload_type_name, MutationName};
use crate::scalars::{Cents, Position};
use prasme_projections::budget::read;

#[derive(Default)]
pub struct InstitutionMutation;

/// What every command payload reports.
#[derive(SimpleObject, Default)]
pub struct Outcome {
    /// Global position of the last event written; pass it as `atLeastPosition` to read your write.
    pub position: Option<Position>,
    /// The stream's version after the command.
    pub stream_version: Option<i64>,
    /// True when this `commandId` had been executed before and nothing new was written.
    pub duplicate: bool,
    /// Why the command was refused, with nothing written; empty when it was accepted.
    pub user_errors: Vec<UserError>,
}

impl Outcome {
    fn accepted(a: &Accepted) -> Self {
        Self {
            position: Some(Position(a.position)),
            stream_version: Some(a.stream_version),
            duplicate: a.duplicate,
            user_errors: vec![],
        }
    }

    fn refused(user_errors: Vec<UserError>) -> Self {
        Self {
            user_errors,
            ..Default::default()
        }
    }
}

/// The context of the command this request sends: its id (chosen here when
/// the client sent none), the principal and the expected version.
pub(crate) fn command(
    ctx: &Context<'_>,
    command_id: Option<Uuid>,
    expected_version: Option<i64>,
) -> async_graphql::Result<CommandContext> {
    let mut cc = CommandContext::new(command_id.unwrap_or_else(Uuid::now_v7), principal(ctx)?.clone());
    cc.expected_version = expected_version;
    Ok(cc)
}

/// The use cases, for a resolver that calls one.
pub(crate) fn use_cases<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a UseCases> {
    Ok(&api(ctx)?.use_cases)
}

/// A use case's outcome: accepted, or refused with user errors; anything
/// else is a GraphQL error.
pub(crate) fn settle(
    result: Result<Accepted, CommandError>,
) -> async_graphql::Result<Result<Accepted, Vec<UserError>>> {
    match result {
        Ok(a) => Ok(Ok(a)),
        Err(e) => Ok(Err(user_errors(e)?)),
    }
}

/// The aggregate id that ends a stream id such as `employee-<uuid>` or
/// `competency-framework-<uuid>`: a reused command id answers with its
/// first result, whichever stream that was.
pub(crate) fn stream_uuid(stream_id: &str) -> Option<Uuid> {
    let start = stream_id.len().checked_sub(36)?;
    let (kind, id) = (stream_id.get(..start)?, stream_id.get(start..)?);
    kind.ends_with('-').then(|| Uuid::parse_str(id).ok()).flatten()
}

pub(crate) fn outcome(result: &Result<Accepted, Vec<UserError>>) -> Outcome {
    match result {
        Ok(a) => Outcome::accepted(a),
        Err(errors) => Outcome::refused(errors.clone()),
    }
}

/// An institution to register.
#[derive(InputObject)]
pub struct RegisterInstitutionInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another
    /// input under the same id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// Chosen by the server when absent.
    pub institution_id: Option<Uuid>,
    /// The institution's name: not empty, at most 200 characters, no control characters;
    /// surrounding spaces are trimmed.
    pub name: String,
    /// State administration or municipal institution.
    pub kind: InstitutionKind,
    /// Required for state institutions; municipal ones have none.
    pub resor: Option<Resor>,
    /// Its remuneration budget also pays other institutions' staff (exempts it from the 5 % rule).
    #[graphql(default)]
    pub funds_other_institutions_staff: bool,
}

/// What `registerInstitution` answers.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct RegisterInstitutionPayload {
    /// The registered institution's id (on a retry, the one the first command registered); null
    /// when the command was refused.
    pub institution_id: Option<Uuid>,
    #[graphql(flatten)]
    pub outcome: Outcome,
}

#[ComplexObject]
impl RegisterInstitutionPayload {
    /// The institution as the read model has it once this command is projected.
    async fn institution(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Institution>> {
        let (Some(id), Some(position)) = (self.institution_id, self.outcome.position) else {
            return Ok(None);
        };
        let api = api(ctx)?;
        api.reach(read_models::INSTITUTIONS, Some(position.0)).await?;
        Ok(read::institution_by_id(&*reads(ctx).await?, id)
            .await
            .map_err(db)?
            .map(Into::into))
    }
}

/// A year's remuneration (payroll) budget to declare for an institution.
#[derive(InputObject)]
pub struct DeclareRemunerationBudgetInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another
    /// input under the same id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the stream is at this
    /// version.
    pub expected_version: Option<i64>,
    /// The institution whose budget it is; NOT_FOUND when none is registered with this id.
    pub institution_id: Uuid,
    /// A year from 2021 to 2035: the range every operation accepts.
    pub year: i32,
    /// The year's remuneration (payroll) budget; a later declaration for the same year replaces it.
    pub amount_cents: Cents,
}

/// Training money to allocate to an institution for a year.
#[derive(InputObject)]
pub struct AllocateTrainingBudgetInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another
    /// input under the same id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the stream is at this
    /// version.
    pub expected_version: Option<i64>,
    /// The institution the money is for; NOT_FOUND when none is registered with this id.
    pub institution_id: Uuid,
    /// Defaults to the command id, so a retried command names the same allocation.
    pub allocation_id: Option<Uuid>,
    /// A year from 2021 to 2035: the range every operation accepts.
    pub year: i32,
    /// The amount in euro cents, more than 0; the year's allocations together may not exceed
    /// 10 000 000 000 000 cents.
    pub amount_cents: Cents,
    /// Where the money comes from.
    pub funding_source: FundingSource,
    /// The strategic priority the money is for; null when it is tied to none.
    pub priority: Option<StrategicPriority>,
}

/// A correction of an earlier allocation: its new amount, funding source and priority. The
/// allocation keeps its year.
#[derive(InputObject)]
pub struct CorrectTrainingAllocationInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another
    /// input under the same id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the stream is at this
    /// version.
    pub expected_version: Option<i64>,
    /// The institution the allocation belongs to.
    pub institution_id: Uuid,
    /// The allocation to correct; NOT_FOUND when the institution has none with this id.
    pub allocation_id: Uuid,
    /// The corrected amount; 0 withdraws the allocation.
    pub amount_cents: Cents,
    /// The funding source the allocation has from now on.
    pub funding_source: FundingSource,
    /// The strategic priority it has from now on; null for none.
    pub priority: Option<StrategicPriority>,
    /// Why it is corrected: not empty, at most 1000 characters, no control characters.
    pub reason: String,
}

/// The payload of commands that change an institution's budget for a year.
#[derive(SimpleObject)]
#[graphql(complex, name_type)]
pub struct BudgetCommandPayload<M: MutationName> {
    /// The institution the command was sent for.
    pub institution_id: Uuid,
    /// The allocation the command created or corrected, if any.
    pub allocation_id: Option<Uuid>,
    #[graphql(skip)]
    pub declared_year: Option<i32>,
    #[graphql(flatten)]
    pub outcome: Outcome,
    #[graphql(skip)]
    mutation: PhantomData<M>,
}
payload_type_name!(BudgetCommandPayload);

#[ComplexObject]
impl<M: MutationName> BudgetCommandPayload<M> {
    /// The budget year the command changed.
    async fn year(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<i32>> {
        if self.declared_year.is_some() {
            return Ok(self.declared_year);
        }
        let (Some(allocation_id), Some(position)) = (self.allocation_id, self.outcome.position) else {
            return Ok(None);
        };
        // A correction keeps its allocation's year, which the read model knows
        // once it has caught up with the command.
        let api = api(ctx)?;
        api.reach(read_models::INSTITUTIONS, Some(position.0)).await?;
        read::allocation_year(&*reads(ctx).await?, self.institution_id, allocation_id)
            .await
            .map_err(db)
    }

    /// The year's budget as the read model has it once this command is projected.
    async fn budget(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<InstitutionBudget>> {
        let (Some(year), Some(position)) = (self.year(ctx).await?, self.outcome.position) else {
            return Ok(None);
        };
        api(ctx)?.reach(read_models::INSTITUTIONS, Some(position.0)).await?;
        institution_budget(ctx, self.institution_id, year).await
    }
}

#[Object]
impl InstitutionMutation {
    /// Registers a state or municipal institution. A state institution belongs to a resor; a
    /// municipal one to none.
    async fn register_institution(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The institution to register.")] input: RegisterInstitutionInput,
    ) -> async_graphql::Result<RegisterInstitutionPayload> {
        let cc = command(ctx, input.command_id, None)?;
        let register = RegisterInstitution {
            institution_id: input.institution_id,
            name: input.name,
            kind: input.kind.into(),
            resor: input.resor.map(Into::into),
            funds_other_institutions_staff: input.funds_other_institutions_staff,
        };
        let result = settle(use_cases(ctx)?.register_institution(&cc, register).await)?;
        // A repeated command answers with the institution it registered first.
        let institution_id = result.as_ref().ok().and_then(|a| stream_uuid(&a.stream_id));
        Ok(RegisterInstitutionPayload {
            institution_id,
            outcome: outcome(&result),
        })
    }

    /// Declares an institution's remuneration (payroll) budget for a year, against which the 5 %
    /// rule is measured; a later declaration for the same year replaces it.
    async fn declare_remuneration_budget(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The budget to declare.")] input: DeclareRemunerationBudgetInput,
    ) -> async_graphql::Result<BudgetCommandPayload<names::DeclareRemunerationBudget>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let declare = DeclareRemunerationBudget {
            institution_id: input.institution_id,
            year: input.year,
            amount: input.amount_cents.into(),
        };
        let result = settle(use_cases(ctx)?.declare_remuneration_budget(&cc, declare).await)?;
        Ok(BudgetCommandPayload {
            institution_id: input.institution_id,
            allocation_id: None,
            declared_year: result.is_ok().then_some(input.year),
            outcome: outcome(&result),
            mutation: PhantomData,
        })
    }

    /// Allocates training money to an institution for a year, from one funding source and, if
    /// given, for one strategic priority.
    async fn allocate_training_budget(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The allocation to make.")] input: AllocateTrainingBudgetInput,
    ) -> async_graphql::Result<BudgetCommandPayload<names::AllocateTrainingBudget>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let allocation_id = input.allocation_id.unwrap_or(cc.command_id);
        let allocate = AllocateTrainingBudget {
            institution_id: input.institution_id,
            allocation_id: Some(allocation_id),
            year: input.year,
            amount: input.amount_cents.into(),
            funding_source: input.funding_source.into(),
            priority: input.priority.map(Into::into),
        };
        let result = settle(use_cases(ctx)?.allocate_training_budget(&cc, allocate).await)?;
        Ok(BudgetCommandPayload {
            institution_id: input.institution_id,
            allocation_id: result.is_ok().then_some(allocation_id),
            declared_year: result.is_ok().then_some(input.year),
            outcome: outcome(&result),
            mutation: PhantomData,
        })
    }

    /// Replaces an allocation's amount, funding source and priority, giving a reason; an amount of
    /// 0 withdraws it. A correction that changes nothing is refused with NOTHING_TO_CHANGE.
    async fn correct_training_allocation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The correction to make.")] input: CorrectTrainingAllocationInput,
    ) -> async_graphql::Result<BudgetCommandPayload<names::CorrectTrainingAllocation>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let correct = CorrectTrainingAllocation {
            institution_id: input.institution_id,
            allocation_id: input.allocation_id,
            amount: input.amount_cents.into(),
            funding_source: input.funding_source.into(),
            priority: input.priority.map(Into::into),
            reason: input.reason,
        };
        let result = settle(use_cases(ctx)?.correct_training_allocation(&cc, correct).await)?;
        Ok(BudgetCommandPayload {
            institution_id: input.institution_id,
            allocation_id: result.is_ok().then_some(input.allocation_id),
            declared_year: None,
            outcome: outcome(&result),
            mutation: PhantomData,
        })
    }
}
