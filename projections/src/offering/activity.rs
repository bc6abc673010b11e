//! Learning time and training activity, read from the offering and employee
//! read models together: minutes per month against the plan's 2 hours
//! (`prasme_domain::learning_time`), and what an institution's employees did
//! in a year's offerings.

use prasme_domain::learning_time::MONTHLY_MINUTES;
use prasme_domain::offering::{Attendance, PlaceStatus};
use prasme_domain::reference::wire_name;
use sqlx::PgPool;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub struct MonthlyLearningRow {
    /// 1–12.
    pub month: i32,
    /// Minutes of completed learning (revoked completions excluded), by completion date.
    pub minutes: i64,
    /// Employees of the institution during the month (for an employee: 1).
    pub employees: i64,
    /// minutes / employees, two decimals; null without employees.
    pub minutes_per_employee: Option<String>,
    /// At least the monthly minutes per employee.
    pub meets_two_hours: bool,
}

#[derive(sqlx::FromRow)]
pub struct TrainingActivityRow {
    pub year: i32,
    pub requests: i64,
    pub enrolments: i64,
    pub waitlisted: i64,
    pub cancellations: i64,
    pub no_shows_justified: i64,
    pub no_shows_unjustified: i64,
    pub completions: i64,
    pub passed: i64,
    pub learners: i64,
    pub minutes: i64,
}

/// An institution's learning minutes per month of `year`: headcount from the
/// employment periods overlapping the month, minutes from the completions of
/// places booked through the institution.
pub async fn institution_months(
    pool: &PgPool,
    institution_id: Uuid,
    year: i32,
) -> Result<Vec<MonthlyLearningRow>, sqlx::Error> {
    sqlx::query_as(
        "WITH months AS (
             SELECT m, make_date($2, m, 1) AS first_day, (make_date($2, m, 1) + interval '1 month')::date AS next_first
               FROM generate_series(1, 12) AS m),
         learnt AS (
             SELECT extract(month FROM completed_on)::int AS m, sum(minutes)::bigint AS minutes
               FROM rm_place
              WHERE institution_id = $1 AND completed_on IS NOT NULL AND NOT revoked
                AND extract(year FROM completed_on) = $2
              GROUP BY 1),
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
    .await
}

/// One employee's learning minutes per month of `year`.
pub async fn employee_months(
    pool: &PgPool,
    employee_id: Uuid,
    year: i32,
) -> Result<Vec<MonthlyLearningRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m AS month, COALESCE(sum(p.minutes), 0)::bigint AS minutes, 1::bigint AS employees,
                round(COALESCE(sum(p.minutes), 0)::numeric, 2)::text AS minutes_per_employee,
                COALESCE(sum(p.minutes), 0) >= $3 AS meets_two_hours
           FROM generate_series(1, 12) AS m
           LEFT JOIN rm_place p
             ON p.employee_id = $1 AND p.completed_on IS NOT NULL AND NOT p.revoked
            AND extract(year FROM p.completed_on) = $2 AND extract(month FROM p.completed_on) = m
          GROUP BY m ORDER BY m",
    )
    .bind(employee_id)
    .bind(year)
    .bind(MONTHLY_MINUTES)
    .fetch_all(pool)
    .await
}

/// What an institution's employees did in offerings starting in `year`.
pub async fn training_activity(
    pool: &PgPool,
    institution_id: Uuid,
    year: i32,
) -> Result<TrainingActivityRow, sqlx::Error> {
    sqlx::query_as(
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
    .await
}
