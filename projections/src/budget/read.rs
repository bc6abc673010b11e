//! The typed reader of the budget read model: institutions, their budget
//! lines per year and the breakdowns by funding source and priority.

use prasme_domain::budget::BudgetLine;
use prasme_domain::reference::{
    from_wire_name, wire_name as wire, FundingSource, InstitutionKind, Resor, StrategicPriority,
};
use prasme_domain::Cents;
use std::collections::{BTreeMap, HashMap};

use serde::de::DeserializeOwned;
use sqlx::PgPool;
use uuid::Uuid;

use crate::scope::ReadScope;

use crate::page::{Page, Window};

#[derive(Debug, Clone)]
pub struct InstitutionRow {
    pub id: Uuid,
    pub name: String,
    pub kind: InstitutionKind,
    pub resor: Option<Resor>,
    pub funds_other_staff: bool,
    pub registered_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone)]
pub struct BudgetRow {
    pub institution: InstitutionRow,
    pub year: i32,
    pub remuneration: Option<Cents>,
    pub allocated: Cents,
    /// Seats booked and not yet attended.
    pub committed: Cents,
    /// Seats attended (or no-shows): the cost is incurred.
    pub spent: Cents,
}

impl BudgetRow {
    pub fn line(&self) -> BudgetLine {
        BudgetLine {
            kind: self.institution.kind,
            funds_other_institutions_staff: self.institution.funds_other_staff,
            remuneration: self.remuneration,
            allocated: self.allocated,
        }
    }
}

/// Parses an enum from the wire name the projection stored.
fn from_wire<T: DeserializeOwned>(s: &str) -> Result<T, sqlx::Error> {
    from_wire_name(s).ok_or_else(|| sqlx::Error::Decode(format!("unexpected value {s:?} in read model").into()))
}

/// `rm_institution` as stored, enums still in their wire names.
#[derive(sqlx::FromRow)]
struct InstitutionRecord {
    id: Uuid,
    name: String,
    kind: String,
    resor: Option<String>,
    funds_other_staff: bool,
    registered_at: chrono::DateTime<chrono::Utc>,
}

#[derive(sqlx::FromRow)]
struct BudgetRecord {
    #[sqlx(flatten)]
    institution: InstitutionRecord,
    remuneration_cents: Option<i64>,
    allocated_cents: Option<i64>,
    committed_cents: Option<i64>,
    spent_cents: Option<i64>,
}

fn institution(r: InstitutionRecord) -> Result<InstitutionRow, sqlx::Error> {
    Ok(InstitutionRow {
        id: r.id,
        name: r.name,
        kind: from_wire(&r.kind)?,
        resor: r.resor.as_deref().map(from_wire).transpose()?,
        funds_other_staff: r.funds_other_staff,
        registered_at: r.registered_at,
    })
}

const INSTITUTION_COLUMNS: &str = "i.id, i.name, i.kind, i.resor, i.funds_other_staff, i.registered_at";

/// Institutions by id, in one statement; unknown ids are absent.
pub async fn institutions_by_ids(pool: &PgPool, ids: &[Uuid]) -> Result<Vec<InstitutionRow>, sqlx::Error> {
    let rows: Vec<InstitutionRecord> = sqlx::query_as(&format!(
        "SELECT {INSTITUTION_COLUMNS} FROM rm_institution i WHERE i.id = ANY($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(institution).collect()
}

pub async fn institution_by_id(pool: &PgPool, id: Uuid) -> Result<Option<InstitutionRow>, sqlx::Error> {
    let row: Option<InstitutionRecord> = sqlx::query_as(&format!(
        "SELECT {INSTITUTION_COLUMNS} FROM rm_institution i WHERE i.id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.map(institution).transpose()
}

#[derive(Debug, Default, Clone)]
pub struct InstitutionFilter {
    pub kind: Option<InstitutionKind>,
    pub resor: Option<Resor>,
    pub id: Option<Uuid>,
}

/// Institutions are listed by name, then id.
pub type InstitutionKey = (String, Uuid);

/// A window of the institutions the filter lets through, by name.
pub async fn institutions_page(
    pool: &PgPool,
    filter: &InstitutionFilter,
    window: &Window<InstitutionKey>,
) -> Result<Page<InstitutionKey, InstitutionRow>, sqlx::Error> {
    let rows: Vec<InstitutionRecord> = sqlx::query_as(&format!(
        "SELECT {INSTITUTION_COLUMNS} FROM rm_institution i
          WHERE ($1::text IS NULL OR i.kind = $1)
            AND ($2::text IS NULL OR i.resor = $2)
            AND ($3::text IS NULL OR (i.name, i.id) > ($3, $4))
            AND ($5::text IS NULL OR (i.name, i.id) < ($5, $6))
          ORDER BY i.name {d}, i.id {d}
          LIMIT $7",
        d = window.direction()
    ))
    .bind(filter.kind.as_ref().map(wire))
    .bind(filter.resor.as_ref().map(wire))
    .bind(window.after.as_ref().map(|k| &k.0))
    .bind(window.after.as_ref().map(|k| k.1))
    .bind(window.before.as_ref().map(|k| &k.0))
    .bind(window.before.as_ref().map(|k| k.1))
    .bind(window.limit)
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar(
        "SELECT count(*) FROM rm_institution i
          WHERE ($1::text IS NULL OR i.kind = $1) AND ($2::text IS NULL OR i.resor = $2)",
    )
    .bind(filter.kind.as_ref().map(wire))
    .bind(filter.resor.as_ref().map(wire))
    .fetch_one(pool)
    .await?;
    let rows = rows
        .into_iter()
        .map(|r| institution(r).map(|i| ((i.name.clone(), i.id), i)))
        .collect::<Result<_, _>>()?;
    Ok(Page { rows, total })
}

/// Every matching institution's budget line for `year`, including those
/// that declared nothing for it (they report NO_PAYROLL_DECLARED or EXEMPT).
/// Institutions out of `scope` are left out, as if they did not exist.
pub async fn budget_rows(
    pool: &PgPool,
    scope: &ReadScope,
    year: i32,
    filter: &InstitutionFilter,
) -> Result<Vec<BudgetRow>, sqlx::Error> {
    let rows: Vec<BudgetRecord> = sqlx::query_as(&format!(
        "SELECT {INSTITUTION_COLUMNS}, b.remuneration_cents, b.allocated_cents, b.committed_cents, b.spent_cents
               FROM rm_institution i
               LEFT JOIN rm_training_budget b ON b.institution_id = i.id AND b.year = $1
              WHERE ($2::text IS NULL OR i.kind = $2)
                AND ($3::text IS NULL OR i.resor = $3)
                AND ($4::uuid IS NULL OR i.id = $4)
                AND {}
              ORDER BY i.name, i.id",
        scope.condition("i.id", None, None)
    ))
    .bind(year)
    .bind(filter.kind.as_ref().map(wire))
    .bind(filter.resor.as_ref().map(wire))
    .bind(filter.id)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(|r| budget_row(year, r)).collect()
}

fn budget_row(year: i32, r: BudgetRecord) -> Result<BudgetRow, sqlx::Error> {
    Ok(BudgetRow {
        institution: institution(r.institution)?,
        year,
        remuneration: r.remuneration_cents.map(Cents),
        allocated: Cents(r.allocated_cents.unwrap_or(0)),
        committed: Cents(r.committed_cents.unwrap_or(0)),
        spent: Cents(r.spent_cents.unwrap_or(0)),
    })
}

/// The years for which an institution has declared or allocated anything.
pub async fn budget_years(pool: &PgPool, scope: &ReadScope, institution_id: Uuid) -> Result<Vec<i32>, sqlx::Error> {
    if !scope.covers_institution(institution_id) {
        return Ok(vec![]);
    }
    sqlx::query_scalar("SELECT year FROM rm_training_budget WHERE institution_id = $1 ORDER BY year")
        .bind(institution_id)
        .fetch_all(pool)
        .await
}

/// A budget line's allocations by funding source and by priority.
#[derive(Debug, Clone, Default)]
pub struct Breakdown {
    /// By the source's wire name.
    pub by_funding_source: Vec<(FundingSource, Cents)>,
    /// By priority number, money tied to no priority last.
    pub by_priority: Vec<(Option<StrategicPriority>, Cents)>,
}

/// The budget lines of many (institution, year) pairs in one statement;
/// pairs whose institution is unknown or out of `scope` are absent.
pub async fn budget_rows_for(
    pool: &PgPool,
    scope: &ReadScope,
    keys: &[(Uuid, i32)],
) -> Result<Vec<BudgetRow>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Keyed {
        key_year: i32,
        #[sqlx(flatten)]
        budget: BudgetRecord,
    }
    let (ids, years): (Vec<Uuid>, Vec<i32>) = keys.iter().copied().unzip();
    let rows: Vec<Keyed> = sqlx::query_as(&format!(
        "SELECT k.year AS key_year, {INSTITUTION_COLUMNS},
                b.remuneration_cents, b.allocated_cents, b.committed_cents, b.spent_cents
           FROM unnest($1::uuid[], $2::int[]) AS k(institution_id, year)
           JOIN rm_institution i ON i.id = k.institution_id
           LEFT JOIN rm_training_budget b ON b.institution_id = i.id AND b.year = k.year
          WHERE {}",
        scope.condition("i.id", None, None)
    ))
    .bind(ids)
    .bind(years)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(|r| budget_row(r.key_year, r.budget)).collect()
}

/// The breakdowns of many (institution, year) pairs in one statement; a pair
/// without allocations (or out of `scope`) has empty ones.
pub async fn breakdowns(
    pool: &PgPool,
    scope: &ReadScope,
    keys: &[(Uuid, i32)],
) -> Result<HashMap<(Uuid, i32), Breakdown>, sqlx::Error> {
    let (ids, years): (Vec<Uuid>, Vec<i32>) = keys
        .iter()
        .copied()
        .filter(|(id, _)| scope.covers_institution(*id))
        .unzip();
    let rows: Vec<(Uuid, i32, String, Option<i32>, i64)> = sqlx::query_as(
        "SELECT a.institution_id, a.year, a.funding_source, a.priority, sum(a.amount_cents)::bigint
           FROM rm_training_allocation a
           JOIN unnest($1::uuid[], $2::int[]) AS k(institution_id, year)
             ON a.institution_id = k.institution_id AND a.year = k.year
          GROUP BY 1, 2, 3, 4",
    )
    .bind(ids)
    .bind(years)
    .fetch_all(pool)
    .await?;
    /// Cents by funding source's wire name, and by priority number.
    type Sums = (BTreeMap<String, i64>, BTreeMap<Option<i32>, i64>);
    let mut sums: HashMap<(Uuid, i32), Sums> = HashMap::new();
    for (institution_id, year, source, priority, cents) in rows {
        let (by_source, by_priority) = sums.entry((institution_id, year)).or_default();
        *by_source.entry(source).or_default() += cents;
        *by_priority.entry(priority).or_default() += cents;
    }
    let mut out: HashMap<(Uuid, i32), Breakdown> = keys.iter().map(|k| (*k, Breakdown::default())).collect();
    for (key, (by_source, by_priority)) in sums {
        let mut by_priority: Vec<_> = by_priority.into_iter().collect();
        // Numbered priorities first, then money tied to none.
        by_priority.sort_by_key(|(p, _)| (p.is_none(), *p));
        out.insert(
            key,
            Breakdown {
                by_funding_source: by_source
                    .into_iter()
                    .map(|(s, c)| Ok((from_wire(&s)?, Cents(c))))
                    .collect::<Result<_, sqlx::Error>>()?,
                by_priority: by_priority
                    .into_iter()
                    .map(|(p, c)| Ok((p.map(priority).transpose()?, Cents(c))))
                    .collect::<Result<_, sqlx::Error>>()?,
            },
        );
    }
    Ok(out)
}

fn priority(n: i32) -> Result<StrategicPriority, sqlx::Error> {
    u8::try_from(n)
        .ok()
        .and_then(StrategicPriority::from_number)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown priority {n} in read model").into()))
}

/// The budget year of an allocation (a correction keeps its allocation's year).
pub async fn allocation_year(pool: &PgPool, institution: Uuid, allocation: Uuid) -> Result<Option<i32>, sqlx::Error> {
    sqlx::query_scalar("SELECT year FROM rm_training_allocation WHERE institution_id = $1 AND allocation_id = $2")
        .bind(institution)
        .bind(allocation)
        .fetch_optional(pool)
        .await
}
