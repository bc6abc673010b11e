//! The institution scorecard of one year: the figures of the existing
//! readers for one institution (its budget line, its learning time, its
//! development-plan coverage and workplace-based share) beside the
//! participation per strategic priority this projection keeps, each with
//! its target, small cells suppressed for a caller who may not read the
//! people counted.

use chrono::{Datelike, NaiveDate};
use prasme_domain::development_plan::{percent, PLAN_COVERAGE_PATH, WORKPLACE_TARGET_PERCENT};
use prasme_domain::disclosure::{small, suppress};
use prasme_domain::reference::{from_wire_name, StrategicPriority};
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::budget::read::{budget_rows, BudgetRow, InstitutionFilter};
use crate::development_plan::read::Coverage;
use crate::employee::read::staffing;
use crate::offering::activity::learning_minutes;
use crate::scope::ReadScope;
use crate::scorecard::coverage::EVERYONE;
use crate::ReadError;

/// Learning time over the months of the year up to the reference date.
pub struct LearningTime {
    /// The months counted: 1 to this one.
    pub months: u32,
    /// The sum over those months of the institution's employees in each
    /// month (`institutionLearningHours`' `employees`): the denominator.
    pub employee_months: Option<i64>,
    /// Minutes of counted completions in those months.
    pub minutes: Option<i64>,
}

/// One priority's participation.
pub struct PriorityParticipation {
    pub priority: StrategicPriority,
    /// Distinct employees of the institution (where they stood on the
    /// completion's date) with a passed, unrevoked completion of a course of
    /// the priority in the year.
    pub participants: Option<i64>,
}

pub struct Scorecard {
    pub year: i32,
    /// 31 December of the year, or today in the current year.
    pub reference_date: NaiveDate,
    pub budget: BudgetRow,
    pub learning: LearningTime,
    /// Headcount on the reference date, plan coverage, workplace-based share.
    pub coverage: Coverage,
    /// Seed 001's share for the year, where the path sets one.
    pub coverage_target_percent: Option<u32>,
    pub workplace_target_percent: u32,
    /// The five priorities in their order; the denominator is `coverage.headcount`.
    pub priorities: Vec<PriorityParticipation>,
}

/// The reference date of a year: 31 December, or `today` when that is earlier.
pub fn reference_date(year: i32, today: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 12, 31).map_or(today, |last| last.min(today))
}

/// The institution's scorecard for `year`; None when it is not registered,
/// or out of `budgets` or `aggregates` (the caller's scopes for budgets and
/// for aggregates over people). Small cells are suppressed unless `people`
/// covers the institution.
pub async fn scorecard(
    pool: &PgPool,
    budgets: &ReadScope,
    aggregates: &ReadScope,
    people: &ReadScope,
    institution_id: Uuid,
    year: i32,
    today: NaiveDate,
) -> Result<Option<Scorecard>, ReadError> {
    if !aggregates.covers_institution(institution_id) {
        return Ok(None);
    }
    let filter = InstitutionFilter {
        id: Some(institution_id),
        ..InstitutionFilter::default()
    };
    let Some(budget) = budget_rows(pool, budgets, year, &filter).await?.pop() else {
        return Ok(None);
    };
    let reference = reference_date(year, today);
    let hidden = !people.covers_institution(institution_id);

    // Learning time: the months of `institutionLearningHours`, from the
    // same precomputed minutes and the employment flows, summed over the
    // months up to the reference date.
    let months = if reference.year() == year { reference.month() } else { 0 };
    let learnt = learning_minutes(pool, institution_id, year).await?;
    let staff = staffing(pool, institution_id, year).await?;
    let (mut minutes, mut employee_months, mut peak) = (0i64, 0i64, 0i64);
    for month in 1..=months {
        let employees = staff.in_month(month);
        minutes += learnt[month as usize - 1];
        employee_months += employees;
        peak = peak.max(employees);
    }
    let learning = if hidden && small(peak) {
        LearningTime {
            months,
            employee_months: None,
            minutes: None,
        }
    } else {
        LearningTime {
            months,
            employee_months: Some(employee_months),
            minutes: Some(minutes),
        }
    };

    let mut coverage = institution_coverage(pool, institution_id, year, reference).await?;
    let headcount = coverage.headcount.unwrap_or(0);

    let counts = sqlx::query(
        "SELECT priority, participants FROM rm_priority_participation WHERE institution_id = $1 AND year = $2",
    )
    .bind(institution_id)
    .bind(year)
    .fetch_all(pool)
    .await?;
    let mut priorities: Vec<PriorityParticipation> = (1..=5)
        .filter_map(StrategicPriority::from_number)
        .map(|priority| PriorityParticipation {
            priority,
            participants: Some(0),
        })
        .collect();
    for r in &counts {
        let name: String = r.try_get("priority")?;
        let priority: StrategicPriority = from_wire_name(&name).ok_or(ReadError::Corrupt {
            table: "rm_priority_participation",
            value: name,
        })?;
        let participants: i32 = r.try_get("participants")?;
        if let Some(p) = priorities.iter_mut().find(|p| p.priority == priority) {
            p.participants = Some(i64::from(participants));
        }
    }
    if hidden {
        // Each priority's participants and the rest of the headcount are
        // one group, as a plan's holders and the rest are in the coverage.
        for p in &mut priorities {
            let (cells, _) = suppress(&[p.participants.unwrap_or(0)], headcount);
            if cells[0] {
                p.participants = None;
            }
        }
        coverage.suppress_small();
    }
    Ok(Some(Scorecard {
        year,
        reference_date: reference,
        budget,
        learning,
        coverage,
        coverage_target_percent: PLAN_COVERAGE_PATH.iter().find(|(y, _)| *y == year).map(|(_, p)| *p),
        workplace_target_percent: WORKPLACE_TARGET_PERCENT,
        priorities,
    }))
}

/// The coverage of one institution in `year`, as the development-plan
/// coverage report counts it (its row for the institution, unsuppressed):
/// the periods current on the reference date, those of them whose employee
/// has an approved plan overlapping the year, and the activities counted
/// per year at approval. Sums over the institution's flows (`coverage.rs`):
/// a few hundred to a few thousand rows, however large its staff.
async fn institution_coverage(
    pool: &PgPool,
    institution_id: Uuid,
    year: i32,
    reference: NaiveDate,
) -> Result<Coverage, ReadError> {
    let r = sqlx::query(
        "WITH heads AS (
             SELECT COALESCE(sum(started - ended) FILTER (WHERE year = $4), 0)::bigint AS headcount,
                    COALESCE(sum(started - ended) FILTER (WHERE year = $2), 0)::bigint AS with_plan
               FROM rm_scorecard_coverage_flow
              WHERE institution_id = $1 AND year IN ($2, $4) AND on_date <= $3),
              acts AS (
                  SELECT COALESCE(sum(activities), 0)::bigint AS activities, COALESCE(sum(workplace), 0)::bigint AS workplace
                    FROM rm_plan_activity_year WHERE institution_id = $1 AND year = $2)
         SELECT heads.headcount, heads.with_plan, acts.activities, acts.workplace FROM heads, acts",
    )
    .bind(institution_id)
    .bind(year)
    .bind(reference)
    .bind(EVERYONE)
    .fetch_one(pool)
    .await?;
    Ok(Coverage {
        headcount: Some(r.try_get("headcount")?),
        with_plan: Some(r.try_get("with_plan")?),
        activities: Some(r.try_get("activities")?),
        workplace_activities: Some(r.try_get("workplace")?),
    })
}

impl PriorityParticipation {
    /// Participants over `headcount`, in percent, as plan coverage is given.
    pub fn share_percent(&self, headcount: Option<i64>) -> Option<f64> {
        percent(self.participants?, headcount?)
    }
}
