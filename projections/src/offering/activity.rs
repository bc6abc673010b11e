//! Learning time and training activity, read from the offering and employee
//! read models together: minutes per month against the plan's 2 hours
//! (`prasme_domain::learning_time`), and what an institution's employees did
//! in a year's offerings.

use prasme_domain::disclosure::{small, suppress};
use prasme_domain::learning_time::MONTHLY_MINUTES;
use prasme_domain::offering::{Attendance, PlaceStatus};
use prasme_domain::reference::wire_name;
use sqlx::PgPool;
use uuid::Uuid;

use crate::scope::ReadScope;

/// A month's learning. For a caller who may not read the people counted,
/// the learning of fewer than 5 employees is suppressed (None).
#[derive(sqlx::FromRow)]
pub struct MonthlyLearningRow {
    /// 1–12.
    pub month: i32,
    /// Minutes of completed learning (revoked completions excluded), by completion date.
    pub minutes: Option<i64>,
    /// Employees of the institution during the month (for an employee: 1).
    pub employees: i64,
    /// minutes / employees, two decimals; null without employees.
    pub minutes_per_employee: Option<String>,
    /// At least the monthly minutes per employee.
    pub meets_two_hours: Option<bool>,
}

impl MonthlyLearningRow {
    fn suppress_small(&mut self) {
        if small(self.employees) {
            self.minutes = None;
            self.minutes_per_employee = None;
            self.meets_two_hours = None;
        }
    }
}

/// A year's training activity; each count is None when suppressed by the
/// small-cell rule (`prasme_domain::disclosure`).
#[derive(sqlx::FromRow)]
pub struct TrainingActivityRow {
    pub year: i32,
    pub requests: Option<i64>,
    pub enrolments: Option<i64>,
    pub waitlisted: Option<i64>,
    pub cancellations: Option<i64>,
    pub no_shows_justified: Option<i64>,
    pub no_shows_unjustified: Option<i64>,
    pub completions: Option<i64>,
    pub passed: Option<i64>,
    pub learners: Option<i64>,
    pub minutes: Option<i64>,
}

impl TrainingActivityRow {
    /// The small-cell rule over the row's groups: the places by status
    /// within the requests, the no-shows within the enrolments, the passed
    /// within the completions. Each count is of places, one per person.
    fn suppress_small(&mut self) {
        let n = |c: Option<i64>| c.unwrap_or(0);
        let group = |cells: &mut [&mut Option<i64>], total: &mut Option<i64>| {
            let counts: Vec<i64> = cells.iter().map(|c| n(**c)).collect();
            let (hidden, hide_total) = suppress(&counts, n(*total));
            for (cell, hide) in cells.iter_mut().zip(hidden) {
                if hide {
                    **cell = None;
                }
            }
            if hide_total || small(n(*total)) {
                *total = None;
            }
        };
        let (requests, enrolments, completions) = (self.requests, self.enrolments, self.completions);
        let mut total = requests;
        group(
            &mut [&mut self.enrolments, &mut self.waitlisted, &mut self.cancellations],
            &mut total,
        );
        self.requests = total;
        let mut total = enrolments;
        group(
            &mut [&mut self.no_shows_justified, &mut self.no_shows_unjustified],
            &mut total,
        );
        if total.is_none() {
            self.enrolments = None;
        }
        let mut total = completions;
        group(&mut [&mut self.passed], &mut total);
        if total.is_none() {
            self.completions = None;
        }
        if small(n(self.learners)) {
            self.learners = None;
            self.minutes = None;
        }
    }
}

/// An institution's learning minutes per month of `year`: headcount from the
/// employment periods overlapping the month, minutes from the completions of
/// places booked through the institution (`rm_learning_month`).
/// None when the institution is out of `scope`; small cells suppressed
/// unless `people` covers the institution.
/// The minutes of `year` per month (1–12) of an institution: twelve rows at most.
pub async fn learning_minutes(pool: &PgPool, institution_id: Uuid, year: i32) -> Result<[i64; 12], sqlx::Error> {
    let rows: Vec<(i32, i64)> =
        sqlx::query_as("SELECT month, minutes FROM rm_learning_month WHERE institution_id = $1 AND year = $2")
            .bind(institution_id)
            .bind(year)
            .fetch_all(pool)
            .await?;
    let mut months = [0; 12];
    for (m, minutes) in rows {
        if let Some(slot) = usize::try_from(m - 1).ok().and_then(|i| months.get_mut(i)) {
            *slot = minutes;
        }
    }
    Ok(months)
}

pub async fn institution_months(
    pool: &PgPool,
    scope: &ReadScope,
    people: &ReadScope,
    institution_id: Uuid,
    year: i32,
) -> Result<Option<Vec<MonthlyLearningRow>>, sqlx::Error> {
    if !scope.covers_institution(institution_id) {
        return Ok(None);
    }
    let mut rows: Vec<MonthlyLearningRow> = sqlx::query_as(
        "WITH months AS (
             SELECT m, make_date($2, m, 1) AS first_day, (make_date($2, m, 1) + interval '1 month')::date AS next_first
               FROM generate_series(1, 12) AS m),
         learnt AS (
             SELECT month AS m, minutes FROM rm_learning_month WHERE institution_id = $1 AND year = $2),
         staff AS (
             SELECT months.m, count(DISTINCT p.employee_id) AS employees
               FROM months JOIN rm_employment_period p
                 ON p.institution_id = $1 AND p.from_date < months.next_first
                AND (p.to_date IS NULL OR p.to_date > months.first_day)
              GROUP BY months.m)
         SELECT months.m AS month, COALESCE(learnt.minutes, 0) AS minutes, COALESCE(staff.employees, 0) AS employees,
                CASE WHEN staff.employees > 0
                     THEN round(COALESCE(learnt.minutes, 0)::numeric / staff.employees, 2)::text END
                  AS minutes_per_employee,
                COALESCE(staff.employees > 0 AND COALESCE(learnt.minutes, 0) >= $3 * staff.employees, false)
                  AS meets_two_hours
           FROM months LEFT JOIN learnt USING (m) LEFT JOIN staff USING (m)
          ORDER BY months.m",
    )
    .bind(institution_id)
    .bind(year)
    .bind(MONTHLY_MINUTES)
    .fetch_all(pool)
    .await?;
    if !people.covers_institution(institution_id) {
        rows.iter_mut().for_each(MonthlyLearningRow::suppress_small);
    }
    Ok(Some(rows))
}

/// One employee's learning minutes per month of `year`, from their places
/// in `scope`.
pub async fn employee_months(
    pool: &PgPool,
    scope: &ReadScope,
    employee_id: Uuid,
    year: i32,
) -> Result<Vec<MonthlyLearningRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT m AS month, COALESCE(sum(p.minutes), 0)::bigint AS minutes, 1::bigint AS employees,
                round(COALESCE(sum(p.minutes), 0)::numeric, 2)::text AS minutes_per_employee,
                COALESCE(sum(p.minutes), 0) >= $3 AS meets_two_hours
           FROM generate_series(1, 12) AS m
           LEFT JOIN rm_place p
             ON p.employee_id = $1 AND p.completed_on IS NOT NULL AND NOT p.revoked
            AND extract(year FROM p.completed_on) = $2 AND extract(month FROM p.completed_on) = m
            AND {}
          GROUP BY m ORDER BY m",
        scope.condition("p.institution_id", Some("p.employee_id"), Some("p.offering_id"))
    ))
    .bind(employee_id)
    .bind(year)
    .bind(MONTHLY_MINUTES)
    .fetch_all(pool)
    .await
}

/// What an institution's employees did in offerings starting in `year`;
/// None when the institution is out of `scope`; small cells suppressed
/// unless `people` covers the institution.
pub async fn training_activity(
    pool: &PgPool,
    scope: &ReadScope,
    people: &ReadScope,
    institution_id: Uuid,
    year: i32,
) -> Result<Option<TrainingActivityRow>, sqlx::Error> {
    if !scope.covers_institution(institution_id) {
        return Ok(None);
    }
    let mut row: TrainingActivityRow = sqlx::query_as(
        "SELECT $2::int AS year,
                count(*) AS requests,
                count(*) FILTER (WHERE p.status = $3) AS enrolments,
                count(*) FILTER (WHERE p.status = $4) AS waitlisted,
                count(*) FILTER (WHERE p.status = $5) AS cancellations,
                count(*) FILTER (WHERE p.attendance = $6) AS no_shows_justified,
                count(*) FILTER (WHERE p.attendance = $7) AS no_shows_unjustified,
                count(*) FILTER (WHERE p.completed_on IS NOT NULL AND NOT p.revoked) AS completions,
                count(*) FILTER (WHERE p.passed AND NOT p.revoked) AS passed,
                count(DISTINCT p.employee_id) FILTER (WHERE p.completed_on IS NOT NULL AND NOT p.revoked) AS learners,
                COALESCE(sum(p.minutes) FILTER (WHERE p.completed_on IS NOT NULL AND NOT p.revoked), 0)::bigint
                  AS minutes
           FROM rm_place p JOIN rm_offering o ON o.id = p.offering_id
          WHERE p.institution_id = $1 AND extract(year FROM o.starts_on) = $2",
    )
    .bind(institution_id)
    .bind(year)
    .bind(wire_name(&PlaceStatus::Enrolled))
    .bind(wire_name(&PlaceStatus::Waitlisted))
    .bind(wire_name(&PlaceStatus::Cancelled))
    .bind(wire_name(&Attendance::NoShowJustified))
    .bind(wire_name(&Attendance::NoShowUnjustified))
    .fetch_one(pool)
    .await?;
    if !people.covers_institution(institution_id) {
        row.suppress_small();
    }
    Ok(Some(row))
}
