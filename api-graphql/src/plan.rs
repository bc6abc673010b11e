//! The Learning and Development Plan over GraphQL: the plan as published
//! (annex 2's priorities, measures and result indicators with their
//! targets, annex 5's funding, seed 001's yearly targets) and the State
//! Chancellery's supplements (VK_ADMIN).

use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, SimpleObject};
use prasme_commands::{
    ChangeIndicatorTarget, DefineIndicator, RecordPlanProgress, RetireIndicator, WithdrawPlanProgress,
};
use prasme_domain::kpi::Computation;
use prasme_domain::plan as domain;
use prasme_projections::plan::read::{self, IndicatorRow, PlanRow};
use std::marker::PhantomData;
use std::sync::Arc;
use uuid::Uuid;

use crate::context::{api, read_models, reads};
use crate::errors::{db, not_found, year_argument, UserError};
use crate::kpi::{IndicatorStatus, KpiSeries, KpiSnapshot};
use crate::mutation::{command, outcome, settle, use_cases, Outcome};
use crate::payload::{names, payload_type_name, MutationName};
use crate::scalars::{Cents, Date, DateTime, Position};

/// What an indicator is measured against.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::plan::TargetKind")]
pub enum TargetKind {
    /// At least `value` (people, events).
    AtLeastCount,
    /// At least `value` percent of a population.
    AtLeastPercent,
    /// From `min` to `max`, both included.
    RangeCount,
    /// One in every `unit`.
    Every,
    /// A yes/no thing: set up, created, published.
    Milestone,
}

/// The units an EVERY target covers.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::plan::CoverageUnit")]
pub enum CoverageUnit {
    /// Every state administration institution.
    StateInstitution,
    /// Every resor.
    Resor,
}

/// A target as the plan states it.
#[derive(SimpleObject, Clone)]
pub struct IndicatorTarget {
    /// Its kind.
    pub kind: TargetKind,
    /// With AT_LEAST_COUNT and AT_LEAST_PERCENT.
    pub value: Option<i64>,
    /// With RANGE_COUNT.
    pub min: Option<i64>,
    /// With RANGE_COUNT.
    pub max: Option<i64>,
    /// With EVERY.
    pub unit: Option<CoverageUnit>,
    #[graphql(skip)]
    pub(crate) target: domain::Target,
}

impl From<domain::Target> for IndicatorTarget {
    fn from(t: domain::Target) -> Self {
        let (kind, value, range, unit) = match t {
            domain::Target::AtLeastCount { value } => (TargetKind::AtLeastCount, Some(i64::from(value)), None, None),
            domain::Target::AtLeastPercent { value } => {
                (TargetKind::AtLeastPercent, Some(i64::from(value)), None, None)
            }
            domain::Target::RangeCount { min, max } => (TargetKind::RangeCount, None, Some((min, max)), None),
            domain::Target::Every { unit } => (TargetKind::Every, None, None, Some(unit.into())),
            domain::Target::Milestone => (TargetKind::Milestone, None, None, None),
        };
        Self {
            kind,
            value,
            min: range.map(|r| i64::from(r.0)),
            max: range.map(|r| i64::from(r.1)),
            unit,
            target: t,
        }
    }
}

/// A target to set: `kind` with the fields it needs.
#[derive(InputObject)]
pub struct IndicatorTargetInput {
    /// Its kind.
    pub kind: TargetKind,
    /// Required with AT_LEAST_COUNT (1 or more) and AT_LEAST_PERCENT (1 to 100).
    pub value: Option<i64>,
    /// Required with RANGE_COUNT.
    pub min: Option<i64>,
    /// Required with RANGE_COUNT, at least `min`.
    pub max: Option<i64>,
    /// Required with EVERY.
    pub unit: Option<CoverageUnit>,
}

impl From<IndicatorTargetInput> for domain::TargetSpec {
    fn from(t: IndicatorTargetInput) -> Self {
        Self {
            kind: t.kind.into(),
            value: t.value,
            min: t.min,
            max: t.max,
            unit: t.unit.map(Into::into),
        }
    }
}

/// One result indicator of a measure.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct PlanIndicator {
    /// Its measure's code and its number, such as "3.1.1".
    pub indicator_id: String,
    /// 1, 2, … within its measure.
    pub number: i32,
    /// As the plan words it, in Latvian (the source).
    pub text_lv: String,
    /// An English translation.
    pub text_en: String,
    /// Null for a monitoring count with no target.
    pub target: Option<IndicatorTarget>,
    /// A second target of the same indicator (1.1.4: every state institution, and at least 200 in all).
    pub secondary_target: Option<IndicatorTarget>,
    /// True once the State Chancellery retired it.
    pub retired: bool,
    /// Why it was retired.
    pub retire_reason: Option<String>,
    /// The log position that defined it: the plan's publication, or a supplement.
    pub defined_at: Position,
    /// The log position of its last change.
    pub position: Position,
    /// Why the ledger cannot compute it; null for a computed indicator (docs/kpis.md lists them).
    pub not_computable_reason: Option<String>,
    #[graphql(skip)]
    deadline_year: i32,
    #[graphql(skip)]
    kpis: Option<Arc<KpiSnapshot>>,
}

impl PlanIndicator {
    pub(crate) fn kpi_series(&self) -> Vec<KpiSeries> {
        self.kpis
            .as_ref()
            .map(|k| {
                k.indicator(
                    &self.indicator_id,
                    [
                        self.target.as_ref().map(|t| t.target),
                        self.secondary_target.as_ref().map(|t| t.target),
                    ],
                    self.deadline_year,
                )
            })
            .unwrap_or_default()
    }
}

#[ComplexObject]
impl PlanIndicator {
    /// Its computed series with their values, for the year and instant the plan was read for; empty for an
    /// indicator not computed.
    async fn series(&self) -> Vec<KpiSeries> {
        self.kpi_series()
    }

    /// The first series' count (for a share, its numerator); null for an indicator not computed.
    async fn actual(&self) -> Option<i64> {
        self.kpi_series().first().map(|s| s.count)
    }

    /// The worse of its series' statuses; null for a monitoring count with no target, or one not computed.
    async fn status(&self) -> Option<IndicatorStatus> {
        KpiSnapshot::status(&self.kpi_series())
    }
}

impl From<IndicatorRow> for PlanIndicator {
    fn from(i: IndicatorRow) -> Self {
        Self {
            indicator_id: i.indicator_id,
            number: i.number,
            text_lv: i.text_lv,
            text_en: i.text_en,
            target: i.target.map(Into::into),
            secondary_target: i.secondary_target.map(Into::into),
            retired: i.retired,
            retire_reason: i.retire_reason,
            defined_at: Position(i.defined_at),
            position: Position(i.position),
            not_computable_reason: match i.computation {
                Some(Computation::NotComputable { reason }) => Some(reason),
                Some(Computation::Computed { .. }) => None,
                None => Some("defined without a computation".to_owned()),
            },
            deadline_year: 0,
            kpis: None,
        }
    }
}

/// A measure of annex 2.
#[derive(SimpleObject)]
pub struct PlanMeasure {
    /// "1.1" to "5.5".
    pub code: String,
    /// In Latvian (the source).
    pub title_lv: String,
    /// An English translation.
    pub title_en: String,
    /// The outputs ("Darbības rezultāts"), bullet by bullet, in Latvian.
    pub outputs_lv: Vec<String>,
    /// The responsible institutions.
    pub responsible: Vec<String>,
    /// The co-responsible institutions.
    pub co_responsible: Vec<String>,
    /// The cooperating institutions.
    pub cooperating: Vec<String>,
    /// The year the measure is due.
    pub deadline_year: i32,
    /// Its result indicators by number, retired ones included.
    pub indicators: Vec<PlanIndicator>,
}

/// Where a priority's money comes from, as annex 5 splits it.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::plan::FundingSource")]
pub enum PlanFundingSource {
    /// The state budget.
    StateBudget,
    /// EU funds.
    Eu,
    /// The year's total, where the annex gives it.
    Total,
}

/// A year's funding of a priority.
#[derive(SimpleObject)]
pub struct YearFunding {
    /// The year.
    pub year: i32,
    /// Where it comes from.
    pub source: PlanFundingSource,
    /// The amount.
    pub amount_cents: Cents,
}

/// One of the five strategic priorities.
#[derive(SimpleObject)]
pub struct PlanPriority {
    /// 1 to 5.
    pub number: i32,
    /// In Latvian (the source).
    pub title_lv: String,
    /// An English translation.
    pub title_en: String,
    /// The indicative funding annex 2 states.
    pub indicative_funding_cents: Option<Cents>,
    /// The funding sentence as the annex words it.
    pub funding_note_lv: Option<String>,
    /// Annex 5's planned learners over the period; null where the source gives none (P4, P5).
    pub planned_learners: Option<i32>,
    /// Annex 5's funding by year and source, as far as the source gives it.
    pub funding_by_year: Vec<YearFunding>,
    /// Its measures in order.
    pub measures: Vec<PlanMeasure>,
}

/// Whether a yearly target is a floor or a ceiling.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::plan::Direction")]
pub enum TargetDirection {
    /// At least the value.
    AtLeast,
    /// At most the value (turnover).
    AtMost,
}

/// A year's target value.
#[derive(SimpleObject)]
pub struct YearTarget {
    /// The year.
    pub year: i32,
    /// The value, in the target's unit.
    pub value: i32,
}

/// One of seed 001's yearly targets: the State Chancellery's strategy 2025–2029, set for its own staff.
#[derive(SimpleObject)]
pub struct ChancelleryTarget {
    /// The strategy's objective, such as "M2.3"; several targets share one.
    pub code: String,
    /// In Latvian (the source).
    pub text_lv: String,
    /// An English translation.
    pub text_en: String,
    /// The unit of the values: PERCENT.
    pub unit: String,
    /// Floor or ceiling.
    pub direction: TargetDirection,
    /// The value per year.
    pub targets: Vec<YearTarget>,
    /// What the source adds: data source, years it is not measured.
    pub note: String,
}

/// The Learning and Development Plan 2021–2027, as published and supplemented.
#[derive(SimpleObject)]
pub struct Plan {
    /// The plan's id, the same on every server.
    pub plan_id: Uuid,
    /// "lap-2021-2027".
    pub code: String,
    /// In Latvian (the source).
    pub title_lv: String,
    /// An English translation.
    pub title_en: String,
    /// Where the data comes from.
    pub source: String,
    /// The five priorities in order.
    pub priorities: Vec<PlanPriority>,
    /// Seed 001's yearly targets.
    pub chancellery_targets: Vec<ChancelleryTarget>,
    /// The log position of the plan's publication.
    pub position: Position,
}

impl From<PlanRow> for Plan {
    fn from(p: PlanRow) -> Self {
        Self {
            plan_id: p.plan_id,
            code: p.code,
            title_lv: p.title_lv,
            title_en: p.title_en,
            source: p.source,
            position: Position(p.position),
            chancellery_targets: p
                .chancellery_targets
                .into_iter()
                .map(|t| ChancelleryTarget {
                    code: t.code,
                    text_lv: t.text_lv,
                    text_en: t.text_en,
                    unit: t.unit,
                    direction: t.direction.into(),
                    targets: t
                        .targets
                        .into_iter()
                        .map(|y| YearTarget {
                            year: y.year,
                            value: i32::from(y.value),
                        })
                        .collect(),
                    note: t.note,
                })
                .collect(),
            priorities: p
                .priorities
                .into_iter()
                .map(|p| PlanPriority {
                    number: p.number,
                    title_lv: p.title_lv,
                    title_en: p.title_en,
                    indicative_funding_cents: p.indicative_funding_cents.map(Cents),
                    funding_note_lv: p.funding_note_lv,
                    planned_learners: p.planned_learners,
                    funding_by_year: p
                        .funding_by_year
                        .into_iter()
                        .map(|f| YearFunding {
                            year: f.year,
                            source: f.source.into(),
                            amount_cents: Cents(f.amount_cents),
                        })
                        .collect(),
                    measures: p
                        .measures
                        .into_iter()
                        .map(|m| PlanMeasure {
                            code: m.code,
                            title_lv: m.title_lv,
                            title_en: m.title_en,
                            outputs_lv: m.outputs_lv,
                            responsible: m.responsible,
                            co_responsible: m.co_responsible,
                            cooperating: m.cooperating,
                            deadline_year: m.deadline_year,
                            indicators: m
                                .indicators
                                .into_iter()
                                .map(|i| PlanIndicator {
                                    deadline_year: m.deadline_year,
                                    ..i.into()
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// An indicator to add to a measure (the State Chancellery, VK_ADMIN).
#[derive(InputObject)]
pub struct DefineIndicatorInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the plan's stream is at this version.
    pub expected_version: Option<i64>,
    /// The measure's code, such as "3.1"; NOT_FOUND when the plan has none.
    pub measure: String,
    /// The indicator in Latvian: trimmed, 1 to 1 000 characters.
    pub text_lv: String,
    /// The indicator in English: trimmed, 1 to 1 000 characters.
    pub text_en: String,
    /// None for a monitoring count.
    pub target: Option<IndicatorTargetInput>,
    /// A second target of the same indicator.
    pub secondary_target: Option<IndicatorTargetInput>,
}

/// New targets for an indicator.
#[derive(InputObject)]
pub struct ChangeIndicatorTargetInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the plan's stream is at this version.
    pub expected_version: Option<i64>,
    /// Such as "3.1.1"; NOT_FOUND when the plan has none, INVALID_VALUE when it is retired.
    pub indicator_id: String,
    /// The new target; null makes it a monitoring count.
    pub target: Option<IndicatorTargetInput>,
    /// The new second target.
    pub secondary_target: Option<IndicatorTargetInput>,
    /// Why: trimmed, 1 to 1 000 characters. It stays in the history for good.
    pub reason: String,
}

/// The kinds of progress the State Chancellery records.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::plan::ProgressKind")]
pub enum ProgressKind {
    /// Set up, created, adopted (a network, a group, a handbook).
    MilestoneReached,
    /// A methodological or good-practice material published.
    MaterialPublished,
    /// An institution joined (the innovation network) or took up a shared tool.
    InstitutionJoined,
    /// An activity held (a sprint, a prototype implemented).
    ActivityHeld,
}

/// Progress to record against an indicator that counts recorded progress (the ones whose series count RECORDED
/// facts: milestones, materials, institutions joining, activities).
#[derive(InputObject)]
pub struct RecordPlanProgressInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the plan's stream is at this version.
    pub expected_version: Option<i64>,
    /// The record's id; defaults to the command id, so a retry names the same record.
    pub record_id: Option<Uuid>,
    /// Such as "2.2.4"; refused with INVALID_VALUE when the indicator is computed from other events.
    pub indicator_id: String,
    /// What happened.
    pub kind: ProgressKind,
    /// The institution it is about: required by an indicator that counts institutions (1.1.5, 2.2.2).
    pub institution_id: Option<Uuid>,
    /// When it happened (a year from 2021 to 2035).
    pub occurred_on: Date,
    /// What it is, for people: a title, trimmed, 1 to 1 000 characters.
    pub title: String,
}

/// A progress record to withdraw.
#[derive(InputObject)]
pub struct WithdrawPlanProgressInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the plan's stream is at this version.
    pub expected_version: Option<i64>,
    /// The record.
    pub record_id: Uuid,
    /// Why: trimmed, 1 to 1 000 characters. It stays in the history for good.
    pub reason: String,
}

/// An indicator to retire.
#[derive(InputObject)]
pub struct RetireIndicatorInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the plan's stream is at this version.
    pub expected_version: Option<i64>,
    /// Such as "3.1.1".
    pub indicator_id: String,
    /// Why: trimmed, 1 to 1 000 characters. It stays in the history for good.
    pub reason: String,
}

/// What a plan command answers with.
#[derive(SimpleObject)]
#[graphql(complex, name_type)]
pub struct PlanPayload<M: MutationName> {
    #[graphql(flatten)]
    pub outcome: Outcome,
    #[graphql(skip)]
    mutation: PhantomData<M>,
}
payload_type_name!(PlanPayload);

#[ComplexObject]
impl<M: MutationName> PlanPayload<M> {
    /// The plan as the read model has it once this command is projected; null when the command was refused.
    async fn plan(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Plan>> {
        let Some(position) = self.outcome.position else {
            return Ok(None);
        };
        api(ctx)?.reach(read_models::KPIS, Some(position.0)).await?;
        with_kpis(ctx, None, None).await
    }
}

fn payload<M: MutationName>(result: Result<prasme_commands::Accepted, Vec<UserError>>) -> PlanPayload<M> {
    PlanPayload {
        outcome: outcome(&result),
        mutation: PhantomData,
    }
}

#[derive(Default)]
pub struct PlanMutation;

#[Object]
impl PlanMutation {
    /// Adds a result indicator to a measure (VK_ADMIN): it takes the measure's next number. Refused in `userErrors`
    /// with NOT_FOUND on `measure`, REQUIRED or OUT_OF_RANGE on a target's numbers, or a text out of bounds.
    async fn define_indicator(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The indicator.")] input: DefineIndicatorInput,
    ) -> async_graphql::Result<PlanPayload<names::DefineIndicator>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let define = DefineIndicator {
            measure: input.measure,
            text_lv: input.text_lv,
            text_en: input.text_en,
            target: input.target.map(Into::into),
            secondary_target: input.secondary_target.map(Into::into),
        };
        Ok(payload(settle(use_cases(ctx)?.define_indicator(&cc, define).await)?))
    }

    /// Changes an indicator's targets (VK_ADMIN), with a reason. Refused with NOT_FOUND or INVALID_VALUE (retired) on
    /// `indicatorId`, NOTHING_TO_CHANGE when the targets are the same.
    async fn change_indicator_target(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The indicator and its new targets.")] input: ChangeIndicatorTargetInput,
    ) -> async_graphql::Result<PlanPayload<names::ChangeIndicatorTarget>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let change = ChangeIndicatorTarget {
            indicator_id: input.indicator_id,
            target: input.target.map(Into::into),
            secondary_target: input.secondary_target.map(Into::into),
            reason: input.reason,
        };
        Ok(payload(settle(
            use_cases(ctx)?.change_indicator_target(&cc, change).await,
        )?))
    }

    /// Retires an indicator (VK_ADMIN), with a reason: it stays in the plan, marked retired.
    async fn retire_indicator(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The indicator and why.")] input: RetireIndicatorInput,
    ) -> async_graphql::Result<PlanPayload<names::RetireIndicator>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let retire = RetireIndicator {
            indicator_id: input.indicator_id,
            reason: input.reason,
        };
        Ok(payload(settle(use_cases(ctx)?.retire_indicator(&cc, retire).await)?))
    }

    /// Records progress an indicator counts (VK_ADMIN): a milestone reached, a material published, an institution
    /// joining, an activity held.
    async fn record_plan_progress(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The indicator and what happened.")] input: RecordPlanProgressInput,
    ) -> async_graphql::Result<PlanPayload<names::RecordPlanProgress>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let record = RecordPlanProgress {
            record_id: input.record_id.unwrap_or(cc.command_id),
            indicator_id: input.indicator_id,
            kind: input.kind.into(),
            institution_id: input.institution_id,
            occurred_on: input.occurred_on.0,
            title: input.title,
        };
        Ok(payload(settle(
            use_cases(ctx)?.record_plan_progress(&cc, record).await,
        )?))
    }

    /// Withdraws a progress record made in error (VK_ADMIN): it stays in the history and stops counting.
    async fn withdraw_plan_progress(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record and why.")] input: WithdrawPlanProgressInput,
    ) -> async_graphql::Result<PlanPayload<names::WithdrawPlanProgress>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let withdraw = WithdrawPlanProgress {
            record_id: input.record_id,
            reason: input.reason,
        };
        Ok(payload(settle(
            use_cases(ctx)?.withdraw_plan_progress(&cc, withdraw).await,
        )?))
    }
}

#[derive(Default)]
pub struct PlanQuery;

#[Object]
impl PlanQuery {
    /// The Learning and Development Plan 2021–2027: its priorities, measures and result indicators with their targets,
    /// as published and as the State Chancellery supplemented it. Readable by every signed-in role.
    async fn plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The year whose values the indicators show (2021 to 2035); null for the whole plan. \
                          Statuses are always judged on the whole plan."
        )]
        year: Option<i32>,
        #[graphql(
            desc = "Show the values as they stood after the last event recorded at or before this \
                          instant, and judge statuses on its day; null for now."
        )]
        as_of: Option<DateTime>,
        #[graphql(
            desc = "Waits (bounded) until the read models include this event-log position, such as a \
                    mutation's `position`, to read one's own writes; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Plan> {
        year.map(year_argument).transpose()?;
        api(ctx)?
            .reach(read_models::KPIS, at_least_position.map(|p| p.0))
            .await?;
        // Reference data, as the competency frameworks are, and aggregates
        // over the whole administration: every signed-in role reads it;
        // breakdowns suppress what the caller may not read.
        with_kpis(ctx, year, as_of.map(|t| t.0))
            .await?
            .ok_or_else(|| not_found("the plan is not published yet"))
    }

    /// Every computed series of every indicator, in indicator order, for a year (null: the whole plan), now or
    /// as of an instant: what the dashboard showed then, as a replay of the log up to that instant would.
    async fn kpis(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "2021 to 2035; null for the whole plan.")] year: Option<i32>,
        #[graphql(desc = "The values after the last event recorded at or before this instant; null for now.")]
        as_of: Option<DateTime>,
        #[graphql(
            desc = "Waits (bounded) until the read models include this event-log position, such as a \
                    mutation's `position`, to read one's own writes; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
        #[graphql(
            desc = "Only this indicator's series, such as \"1.4.1\" (none for one not computed); NOT_FOUND when the \
                    plan has no such indicator."
        )]
        indicator: Option<String>,
    ) -> async_graphql::Result<Vec<KpiSeries>> {
        year.map(year_argument).transpose()?;
        api(ctx)?
            .reach(read_models::KPIS, at_least_position.map(|p| p.0))
            .await?;
        let plan = with_kpis(ctx, year, as_of.map(|t| t.0))
            .await?
            .ok_or_else(|| not_found("the plan is not published yet"))?;
        match indicator {
            // Reading one indicator's breakdowns need not read every other's.
            Some(id) => plan
                .indicators()
                .find(|(_, _, i)| i.indicator_id == id)
                .map(|(_, _, i)| i.kpi_series())
                .ok_or_else(|| not_found(format!("the plan has no indicator {id}"))),
            None => Ok(plan.series()),
        }
    }
}

/// The plan with its indicators' values for `year`, now or as of an instant.
async fn with_kpis(
    ctx: &Context<'_>,
    year: Option<i32>,
    as_of: Option<chrono::DateTime<chrono::Utc>>,
) -> async_graphql::Result<Option<Plan>> {
    with_kpis_from(&*reads(ctx).await?, year, as_of).await
}

/// The same, read from `pool` (a subscription's feed has no request).
pub(crate) async fn with_kpis_from(
    pool: &sqlx::PgPool,
    year: Option<i32>,
    as_of: Option<chrono::DateTime<chrono::Utc>>,
) -> async_graphql::Result<Option<Plan>> {
    let Some(row) = read::plan(pool).await.map_err(db)? else {
        return Ok(None);
    };
    let snapshot = KpiSnapshot::read(pool, year, as_of).await?;
    let mut plan = Plan::from(row);
    for p in &mut plan.priorities {
        for m in &mut p.measures {
            for i in &mut m.indicators {
                i.kpis = Some(Arc::clone(&snapshot));
            }
        }
    }
    Ok(Some(plan))
}

impl Plan {
    /// Every computed series, in indicator order.
    fn series(&self) -> Vec<KpiSeries> {
        self.indicators().flat_map(|(_, _, i)| i.kpi_series()).collect()
    }

    /// Every indicator with its priority's number and its measure's code.
    pub(crate) fn indicators(&self) -> impl Iterator<Item = (i32, &str, &PlanIndicator)> {
        self.priorities.iter().flat_map(|p| {
            p.measures
                .iter()
                .flat_map(move |m| m.indicators.iter().map(move |i| (p.number, m.code.as_str(), i)))
        })
    }
}
