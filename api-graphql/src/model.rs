//! GraphQL object and enum types over the read models.

use async_graphql::{ComplexObject, Context, Enum, SimpleObject, ID};
use prasme_commands::ReadOf;
use prasme_domain::budget::{self, BudgetStatus as DomainStatus, ExemptionReason as DomainExemption};
use prasme_domain::reference as domain;
use uuid::Uuid;

use crate::complexity::{BUDGET_STATUSES, FUNDING_SOURCES, INSTITUTIONS, PRIORITY_ROWS, RESORS, YEARS};
use crate::context::{load_failed, loader, reads, scope};
use crate::errors::{db, year_argument};
use crate::loaders::{BreakdownKey, BudgetKey};
use crate::scalars::{Cents, DateTime, Position};
use prasme_projections::budget::read::{self, Breakdown, BudgetRow, InstitutionRow};

/// Whether an institution belongs to the state administration or to a municipality.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::reference::InstitutionKind")]
pub enum InstitutionKind {
    /// A state administration institution: it belongs to a resor, and the 5 % rule applies to it
    /// unless its remuneration budget also pays other institutions' staff.
    State,
    /// A municipal institution: it belongs to no resor and is counted separately; the 5 % rule
    /// does not apply to it, though its share is reported.
    Municipal,
}

/// A ministry's portfolio (resors). Codes are the ministries' usual
/// abbreviations; ĀM (foreign affairs) is spelt ARM.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::reference::Resor")]
pub enum Resor {
    /// AM: Aizsardzības ministrija (Ministry of Defence).
    Am,
    /// ĀM: Ārlietu ministrija (Ministry of Foreign Affairs).
    Arm,
    /// EM: Ekonomikas ministrija (Ministry of Economics).
    Em,
    /// FM: Finanšu ministrija (Ministry of Finance).
    Fm,
    /// IEM: Iekšlietu ministrija (Ministry of the Interior).
    Iem,
    /// IZM: Izglītības un zinātnes ministrija (Ministry of Education and Science).
    Izm,
    /// KEM: Klimata un enerģētikas ministrija (Ministry of Climate and Energy).
    Kem,
    /// KM: Kultūras ministrija (Ministry of Culture).
    Km,
    /// LM: Labklājības ministrija (Ministry of Welfare).
    Lm,
    /// SM: Satiksmes ministrija (Ministry of Transport).
    Sm,
    /// TM: Tieslietu ministrija (Ministry of Justice).
    Tm,
    /// VM: Veselības ministrija (Ministry of Health).
    Vm,
    /// VARAM: Viedās administrācijas un reģionālās attīstības ministrija (Ministry of Smart
    /// Administration and Regional Development).
    Varam,
    /// ZM: Zemkopības ministrija (Ministry of Agriculture).
    Zm,
    /// VK: Valsts kanceleja (State Chancellery).
    Vk,
}

/// Where training money comes from.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::reference::FundingSource")]
pub enum FundingSource {
    /// The state budget.
    StateBudget,
    /// European Social Fund Plus
    Esf,
    /// Recovery and Resilience Facility
    Rrf,
    /// Any other source.
    Other,
}

/// The plan's five strategic priorities.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::reference::StrategicPriority")]
pub enum StrategicPriority {
    /// Priority 1: Integrity in public administration (Godprātīgs darbs publiskajā pārvaldē).
    Integrity,
    /// Priority 2: Innovation and co-creation for modern policy and services (Inovācija un koprade modernas
    /// politikas un pakalpojumu veidošanai).
    InnovationAndCoCreation,
    /// Priority 3: Leadership and effective change management (Līderība un efektīva pārmaiņu vadība).
    LeadershipAndChange,
    /// Priority 4: Digital transformation and data literacy (Digitālā transformācija un datpratība).
    DigitalTransformation,
    /// Priority 5: Professionalisation of human resources and administrative capacity (Cilvēkresursu
    /// profesionalizācija un administratīvā kapacitāte).
    Professionalisation,
}

/// Where a training budget stands against the 5 %-of-payroll rule.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::budget::BudgetStatus")]
pub enum BudgetStatus {
    /// At least 5 % of the remuneration budget.
    MeetsTarget,
    /// At least 1 % but under 5 %.
    BelowTarget,
    /// Under 1 %.
    BelowFloor,
    /// The rule does not apply; see `exemptionReason`.
    Exempt,
    /// No remuneration budget is declared for the year (for a group: none of the institutions
    /// the rule applies to declared one).
    NoPayrollDeclared,
}

/// Why the 5 % rule does not apply to an institution.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::budget::ExemptionReason")]
pub enum ExemptionReason {
    /// The rule addresses state administration; a municipality's share is reported only.
    Municipality,
    /// Its remuneration budget also pays other institutions' employees.
    FundsOtherInstitutionsStaff,
}

/// A resor with its code and names.
#[derive(SimpleObject)]
pub struct ResorInfo {
    /// The resor, as other fields and arguments name it.
    pub resor: Resor,
    /// The usual abbreviation, e.g. "ĀM".
    pub code: &'static str,
    /// The ministry's (or the State Chancellery's) name in Latvian, e.g. "Finanšu ministrija".
    pub name_lv: &'static str,
    /// Its name in English, e.g. "Ministry of Finance".
    pub name_en: &'static str,
}

impl From<domain::Resor> for ResorInfo {
    fn from(r: domain::Resor) -> Self {
        Self {
            resor: r.into(),
            code: r.code(),
            name_lv: r.name_lv(),
            name_en: r.name_en(),
        }
    }
}

/// A state or municipal institution registered in the system.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Institution {
    #[graphql(skip)]
    pub id: Uuid,
    /// Its name, as registered.
    pub name: String,
    /// State administration or municipal.
    pub kind: InstitutionKind,
    /// The resor it belongs to; null for a municipal institution.
    pub resor: Option<Resor>,
    /// Its remuneration budget also pays other institutions' staff (exempt from the 5 % rule).
    pub funds_other_institutions_staff: bool,
    /// When it was registered.
    pub registered_at: DateTime,
}

impl From<InstitutionRow> for Institution {
    fn from(r: InstitutionRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            kind: r.kind.into(),
            resor: r.resor.map(Into::into),
            funds_other_institutions_staff: r.funds_other_staff,
            registered_at: DateTime(r.registered_at),
        }
    }
}

#[ComplexObject]
impl Institution {
    /// The institution's id: a UUID that names this institution and nothing else, so `node(id:)` finds it.
    pub(crate) async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// The training budget for one year (reported even when nothing is declared).
    async fn training_budget(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A year from 2021 to 2035: the range every operation accepts.")] year: i32,
    ) -> async_graphql::Result<Option<InstitutionBudget>> {
        institution_budget(ctx, self.id, year_argument(year)?).await
    }

    /// Every year with a declared payroll, an allocation or a seat cost, ascending.
    #[graphql(complexity = "YEARS * child_complexity")]
    async fn training_budgets(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<InstitutionBudget>> {
        let scope = scope(ctx, ReadOf::Budget).await?;
        let years = read::budget_years(&*reads(ctx).await?, scope, self.id)
            .await
            .map_err(db)?;
        let keys: Vec<BudgetKey> = years
            .into_iter()
            .map(|year| BudgetKey {
                institution_id: self.id,
                year,
            })
            .collect();
        let mut found = loader(ctx)
            .await?
            .load_many(keys.iter().copied())
            .await
            .map_err(load_failed)?;
        Ok(keys
            .iter()
            .filter_map(|k| found.remove(k))
            .map(InstitutionBudget::from)
            .collect())
    }
}

pub(crate) async fn institution_budget(
    ctx: &Context<'_>,
    institution_id: Uuid,
    year: i32,
) -> async_graphql::Result<Option<InstitutionBudget>> {
    let key = BudgetKey { institution_id, year };
    let row = loader(ctx).await?.load_one(key).await.map_err(load_failed)?;
    Ok(row.map(InstitutionBudget::from))
}

/// The institution with this id, loaded with every other one the request asks for.
pub(crate) async fn institution(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<Institution>> {
    let row = loader(ctx).await?.load_one(id).await.map_err(load_failed)?;
    Ok(row.map(Institution::from))
}

/// The training money a year's allocations take from one funding source.
#[derive(SimpleObject)]
pub struct SourceAmount {
    /// Where the money comes from.
    pub funding_source: FundingSource,
    /// The sum of the year's allocations from this source, after corrections, in euro cents.
    pub amount_cents: Cents,
}

/// The training money a year's allocations give to one strategic priority (or to none).
#[derive(SimpleObject)]
pub struct PriorityAmount {
    /// Null for money not tied to a priority.
    pub priority: Option<StrategicPriority>,
    /// The sum of the year's allocations for this priority, after corrections, in euro cents.
    pub amount_cents: Cents,
}

/// One institution's training budget for one year against the 5 % rule.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct InstitutionBudget {
    /// The institution whose budget this is.
    pub institution: Institution,
    /// The budget year, from 2021 to 2035.
    pub year: i32,
    /// The declared remuneration (payroll) budget; null when none is declared.
    pub remuneration_cents: Option<Cents>,
    /// Training money allocated, after corrections.
    pub allocated_cents: Cents,
    /// Cost of enrolled seats in offerings starting this year whose attendance is not yet recorded.
    pub committed_cents: Cents,
    /// Cost of seats attended or not shown up for: incurred.
    pub spent_cents: Cents,
    /// allocated / remuneration in percent, four decimals, rounded half up from the exact cents
    /// (e.g. "4.9998"); null when no remuneration budget is declared.
    pub share_of_payroll_percent: Option<String>,
    /// Where the budget stands against the 5 % rule.
    pub status: BudgetStatus,
    /// Why the rule does not apply, when the status is EXEMPT; null otherwise.
    pub exemption_reason: Option<ExemptionReason>,
}

impl From<BudgetRow> for InstitutionBudget {
    fn from(row: BudgetRow) -> Self {
        let line = row.line();
        let compliance = line.compliance();
        Self {
            year: row.year,
            remuneration_cents: row.remuneration.map(Into::into),
            allocated_cents: row.allocated.into(),
            committed_cents: row.committed.into(),
            spent_cents: row.spent.into(),
            share_of_payroll_percent: line.share_percent(),
            status: compliance.status.into(),
            exemption_reason: compliance.exemption.map(|e: DomainExemption| e.into()),
            institution: row.institution.into(),
        }
    }
}

#[ComplexObject]
impl InstitutionBudget {
    /// The year's allocations summed by funding source, after corrections; only sources with an
    /// allocation in the year are listed.
    #[graphql(complexity = "FUNDING_SOURCES * child_complexity")]
    async fn by_funding_source(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SourceAmount>> {
        Ok(self
            .breakdown(ctx)
            .await?
            .by_funding_source
            .into_iter()
            .map(|(s, c)| SourceAmount {
                funding_source: s.into(),
                amount_cents: c.into(),
            })
            .collect())
    }

    /// The year's allocations summed by strategic priority, after corrections: priorities 1 to 5
    /// first, then money tied to no priority; only those with an allocation in the year are listed.
    #[graphql(complexity = "PRIORITY_ROWS * child_complexity")]
    async fn by_priority(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PriorityAmount>> {
        Ok(self
            .breakdown(ctx)
            .await?
            .by_priority
            .into_iter()
            .map(|(p, c)| PriorityAmount {
                priority: p.map(Into::into),
                amount_cents: c.into(),
            })
            .collect())
    }
}

impl InstitutionBudget {
    async fn breakdown(&self, ctx: &Context<'_>) -> async_graphql::Result<Breakdown> {
        let key = BreakdownKey(BudgetKey {
            institution_id: self.institution.id,
            year: self.year,
        });
        Ok(loader(ctx)
            .await?
            .load_one(key)
            .await
            .map_err(load_failed)?
            .unwrap_or_default())
    }
}

/// How many institutions of a group have one budget status.
#[derive(SimpleObject)]
pub struct StatusCount {
    /// The budget status.
    pub status: BudgetStatus,
    /// How many of the group's institutions have it.
    pub institutions: i32,
}

/// The rule applied to a group of institutions.
#[derive(SimpleObject)]
pub struct BudgetSummary {
    /// How many institutions the group holds, exempt ones included.
    pub institution_count: i32,
    /// How many institutions have each status; statuses no institution has are left out.
    #[graphql(complexity = "BUDGET_STATUSES * child_complexity")]
    pub status_counts: Vec<StatusCount>,
    /// Payroll of the institutions the rule applies to and that declared one.
    pub remuneration_cents: Cents,
    /// Training allocations of those same institutions.
    pub allocated_cents: Cents,
    /// Training allocations of every institution in the group, exempt ones included.
    pub allocated_all_cents: Cents,
    /// allocatedCents / remunerationCents in percent, four decimals, rounded half up; null when
    /// remunerationCents is 0.
    pub share_of_payroll_percent: Option<String>,
    /// Payroll of every institution in the group that declared one, exempt
    /// ones included (a municipality's share is reported though the rule does not apply).
    pub reported_remuneration_cents: Cents,
    /// Allocations of those same institutions.
    pub reported_allocated_cents: Cents,
    /// reportedAllocatedCents / reportedRemunerationCents in percent, four decimals, rounded half
    /// up; null when reportedRemunerationCents is 0.
    pub reported_share_of_payroll_percent: Option<String>,
    /// The group's combined share against the thresholds.
    pub status: BudgetStatus,
}

impl BudgetSummary {
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a BudgetRow>) -> Self {
        let lines: Vec<_> = rows.into_iter().map(BudgetRow::line).collect();
        let s = budget::summarise(&lines);
        Self {
            institution_count: count(s.institutions),
            status_counts: s
                .by_status
                .into_iter()
                .map(|(status, n): (DomainStatus, usize)| StatusCount {
                    status: status.into(),
                    institutions: count(n),
                })
                .collect(),
            remuneration_cents: s.remuneration.into(),
            allocated_cents: s.allocated.into(),
            allocated_all_cents: s.allocated_all.into(),
            share_of_payroll_percent: s.share_percent,
            reported_remuneration_cents: s.reported_remuneration.into(),
            reported_allocated_cents: s.reported_allocated.into(),
            reported_share_of_payroll_percent: s.reported_share_percent,
            status: s.status.into(),
        }
    }
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The 5 % rule applied to the matching institutions of one resor.
#[derive(SimpleObject)]
pub struct ResorBudget {
    /// The resor.
    pub resor: Resor,
    /// Its matching institutions' budgets, summed and held against the rule.
    pub summary: BudgetSummary,
}

/// The training budget of a year across the public administration.
#[derive(SimpleObject)]
pub struct TrainingBudgetReport {
    /// The budget year the report is for.
    pub year: i32,
    /// Every matching institution, by name.
    #[graphql(complexity = "INSTITUTIONS * child_complexity")]
    pub institutions: Vec<InstitutionBudget>,
    /// State institutions, one entry per resor that has any.
    #[graphql(complexity = "RESORS * child_complexity")]
    pub by_resor: Vec<ResorBudget>,
    /// Municipal institutions (reported; the rule does not apply to them).
    pub municipalities: BudgetSummary,
    /// Every matching institution.
    pub total: BudgetSummary,
}

/// How far one read model (a projection of the event log) has read.
#[derive(SimpleObject)]
pub struct ProjectionStatus {
    /// The projection's name, e.g. "training_budget".
    pub name: String,
    /// The last global position whose effects are in this read model.
    pub position: Position,
}
