//! The scorecard's plan coverage, kept as flows: per institution, year and
//! date, the employment periods starting and ending there, of everyone
//! (year 0) and of those with an approved plan overlapping the year. The
//! headcount on a date and the plan holders among it are then sums over one
//! institution's rows (`read::coverage_on`), where counting them from the
//! periods meant probing every member of its staff for a plan: 150–215 ms
//! for the largest institution at 60 000 employees.
//!
//! A batch loads the periods and plan years of every employee its events
//! name, takes their flows away, folds the events in log order (periods as
//! the employee projection folds them), and adds their flows back: the same
//! rows whatever the batch size.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use prasme_domain::development_plan::DevelopmentPlanEvent;
use prasme_domain::employee::EmployeeEvent;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::employee::write::{fold_period, load_periods, Periods};
use crate::ProjectionError;

/// The year whose flows hold every period, plan or not.
pub(super) const EVERYONE: i32 = 0;

/// An event that moves coverage, in log order.
pub(super) enum Fact {
    /// A hire, transfer or departure of `employee_id`.
    Employment { employee_id: Uuid, event: EmployeeEvent },
    /// A plan approved for `employee_id`, covering these years.
    Approved {
        employee_id: Uuid,
        years: std::ops::RangeInclusive<i32>,
    },
}

impl Fact {
    pub(super) fn employment(event: &EmployeeEvent) -> Option<Self> {
        match event {
            EmployeeEvent::EmployeeHired { employee_id, .. }
            | EmployeeEvent::EmployeeTransferred { employee_id, .. }
            | EmployeeEvent::EmployeeLeft { employee_id, .. } => Some(Fact::Employment {
                employee_id: *employee_id,
                event: event.clone(),
            }),
            _ => None,
        }
    }

    pub(super) fn plan(event: DevelopmentPlanEvent) -> Option<Self> {
        match event {
            DevelopmentPlanEvent::DevelopmentPlanApproved {
                employee_id, period, ..
            } => Some(Fact::Approved {
                employee_id,
                years: period.starts_on.year()..=period.ends_on.year(),
            }),
            _ => None,
        }
    }

    fn employee(&self) -> Uuid {
        match self {
            Fact::Employment { employee_id, .. } | Fact::Approved { employee_id, .. } => *employee_id,
        }
    }
}

/// (institution, year, date) → (periods started, periods ended).
type Flows = HashMap<(Uuid, i32, NaiveDate), (i32, i32)>;

/// Adds (`sign` 1) or takes away (-1) the flows of these periods: one start
/// on the first day and one end on `to_date`, under year 0 and every year
/// the employee has a plan in. A period that ended before it began covers
/// no day and moves nothing, as in `rm_employment_flow`.
fn add_flows(flows: &mut Flows, periods: &Periods, years: &HashMap<Uuid, BTreeSet<i32>>, sign: i32) {
    for (&(employee, from, institution), end) in periods.rows() {
        if end.is_some_and(|to| to < from) {
            continue;
        }
        let planned = years.get(&employee).into_iter().flatten().copied();
        for year in std::iter::once(EVERYONE).chain(planned) {
            flows.entry((institution, year, from)).or_default().0 += sign;
            if let Some(to) = *end {
                flows.entry((institution, year, to)).or_default().1 += sign;
            }
        }
    }
}

/// Folds `facts` into the coverage tables.
pub(super) async fn apply(tx: &mut PgConnection, facts: Vec<Fact>) -> Result<(), ProjectionError> {
    if facts.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = facts
        .iter()
        .map(Fact::employee)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut periods = load_periods(tx, "rm_scorecard_period", &ids).await?;
    let mut years: HashMap<Uuid, BTreeSet<i32>> = HashMap::new();
    for r in sqlx::query("SELECT employee_id, year FROM rm_scorecard_plan_year WHERE employee_id = ANY($1)")
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?
    {
        years
            .entry(r.try_get("employee_id")?)
            .or_default()
            .insert(r.try_get("year")?);
    }

    let mut flows = Flows::new();
    add_flows(&mut flows, &periods, &years, -1);
    let mut new_years: Vec<(Uuid, i32)> = Vec::new();
    for fact in facts {
        match fact {
            Fact::Employment { event, .. } => fold_period(&mut periods, &event),
            Fact::Approved {
                employee_id,
                years: span,
            } => {
                let held = years.entry(employee_id).or_default();
                for year in span {
                    if held.insert(year) {
                        new_years.push((employee_id, year));
                    }
                }
            }
        }
    }
    add_flows(&mut flows, &periods, &years, 1);

    let (keys, ends) = periods.changed();
    if !keys.is_empty() {
        sqlx::query(
            "INSERT INTO rm_scorecard_period (employee_id, from_date, institution_id, to_date)
             SELECT * FROM UNNEST($1::uuid[], $2::date[], $3::uuid[], $4::date[])
             ON CONFLICT (employee_id, from_date, institution_id) DO UPDATE SET to_date = EXCLUDED.to_date",
        )
        .bind(keys.iter().map(|k| k.0).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| k.1).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| k.2).collect::<Vec<_>>())
        .bind(ends.iter().map(|e| **e).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    if !new_years.is_empty() {
        let (employees, years): (Vec<Uuid>, Vec<i32>) = new_years.into_iter().unzip();
        sqlx::query(
            "INSERT INTO rm_scorecard_plan_year (employee_id, year)
             SELECT * FROM UNNEST($1::uuid[], $2::int[]) ON CONFLICT DO NOTHING",
        )
        .bind(employees)
        .bind(years)
        .execute(&mut *tx)
        .await?;
    }
    flows.retain(|_, (started, ended)| *started != 0 || *ended != 0);
    if !flows.is_empty() {
        let mut columns = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for ((institution, year, on_date), (started, ended)) in flows {
            columns.0.push(institution);
            columns.1.push(year);
            columns.2.push(on_date);
            columns.3.push(started);
            columns.4.push(ended);
        }
        let emptied = sqlx::query(
            "INSERT INTO rm_scorecard_coverage_flow (institution_id, year, on_date, started, ended)
             SELECT * FROM UNNEST($1::uuid[], $2::int[], $3::date[], $4::int[], $5::int[])
             ON CONFLICT (institution_id, year, on_date) DO UPDATE
                SET started = rm_scorecard_coverage_flow.started + EXCLUDED.started,
                    ended = rm_scorecard_coverage_flow.ended + EXCLUDED.ended
             RETURNING institution_id, year, on_date, started = 0 AND ended = 0 AS empty",
        )
        .bind(columns.0)
        .bind(columns.1)
        .bind(columns.2)
        .bind(columns.3)
        .bind(columns.4)
        .fetch_all(&mut *tx)
        .await?;
        let mut gone = (Vec::new(), Vec::new(), Vec::new());
        for r in &emptied {
            if !r.try_get::<bool, _>("empty")? {
                continue;
            }
            gone.0.push(r.try_get::<Uuid, _>("institution_id")?);
            gone.1.push(r.try_get::<i32, _>("year")?);
            gone.2.push(r.try_get::<NaiveDate, _>("on_date")?);
        }
        if !gone.0.is_empty() {
            sqlx::query(
                "DELETE FROM rm_scorecard_coverage_flow f USING unnest($1::uuid[], $2::int[], $3::date[]) AS k(i, y, d)
                  WHERE f.institution_id = k.i AND f.year = k.y AND f.on_date = k.d AND f.started = 0 AND f.ended = 0",
            )
            .bind(gone.0)
            .bind(gone.1)
            .bind(gone.2)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}
