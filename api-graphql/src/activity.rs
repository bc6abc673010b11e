//! Learning time against the plan's rule that institutions give employees at
//! least 2 hours a month for formal learning (seed 000, annex 3), and each
//! institution's training activity per year. Computed at query time from
//! the employee and offering read models.

use async_graphql::{Context, Object, SimpleObject};
use uuid::Uuid;

use crate::complexity::MONTHS;
use crate::context::{api, reads};
use crate::errors::{bad_input, db};

/// Two hours a month, in minutes.
const MONTHLY_MINUTES: i64 = 120;

#[derive(SimpleObject, sqlx::FromRow)]
pub struct MonthlyLearning {
    /// 1–12.
    pub month: i32,
    /// Minutes of completed learning (revoked completions excluded), by completion date.
    pub minutes: i64,
    /// Employees of the institution during the month (for an employee: 1).
    pub employees: i64,
    /// minutes / employees, two decimals; null without employees.
    pub minutes_per_employee: Option<String>,
    /// At least 120 minutes per employee.
    pub meets_two_hours: bool,
}

#[derive(SimpleObject, sqlx::FromRow)]
pub struct TrainingActivity {
    pub year: i32,
    /// Places requested in offerings starting that year.
    pub requests: i64,
    pub enrolments: i64,
    pub waitlisted: i64,
    pub cancellations: i64,
    pub no_shows_justified: i64,
    pub no_shows_unjustified: i64,
    pub completions: i64,
    pub passed: i64,
    /// Distinct employees with a completion.
    pub learners: i64,
    pub minutes: i64,
}

#[derive(Default)]
pub struct ActivityQuery;

fn check_year(year: i32) -> async_graphql::Result<()> {
    if (2000..=2100).contains(&year) {
        Ok(())
    } else {
        Err(bad_input("year must be between 2000 and 2100"))
    }
}

#[Object]
impl ActivityQuery {
    /// An institution's learning minutes per month of `year`, per employee,
    /// against the 2 hours a month the plan asks for.
    #[graphql(complexity = "MONTHS * child_complexity")]
    async fn institution_learning_hours(
        &self,
        ctx: &Context<'_>,
        institution_id: Uuid,
        year: i32,
        at_least_position: Option<i64>,
    ) -> async_graphql::Result<Vec<MonthlyLearning>> {
        check_year(year)?;
        let api = api(ctx)?;
        api.reach(at_least_position).await?;
        // Headcount: employment periods overlapping the month; minutes: the
        // completions of places booked through this institution.
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
        .fetch_all(&*reads(ctx).await?)
        .await
        .map_err(db)
    }

    /// One employee's learning minutes per month of `year`, against 2 hours a month.
    #[graphql(complexity = "MONTHS * child_complexity")]
    async fn employee_learning_hours(
        &self,
        ctx: &Context<'_>,
        employee_id: Uuid,
        year: i32,
        at_least_position: Option<i64>,
    ) -> async_graphql::Result<Vec<MonthlyLearning>> {
        check_year(year)?;
        let api = api(ctx)?;
        api.reach(at_least_position).await?;
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
        .fetch_all(&*reads(ctx).await?)
        .await
        .map_err(db)
    }

    /// What an institution's employees did in training in offerings starting in `year`.
    async fn training_activity(
        &self,
        ctx: &Context<'_>,
        institution_id: Uuid,
        year: i32,
        at_least_position: Option<i64>,
    ) -> async_graphql::Result<TrainingActivity> {
        check_year(year)?;
        let api = api(ctx)?;
        api.reach(at_least_position).await?;
        sqlx::query_as(
            "SELECT $2::int AS year,
                    count(*) AS requests,
                    count(*) FILTER (WHERE p.status = 'ENROLLED') AS enrolments,
                    count(*) FILTER (WHERE p.status = 'WAITLISTED') AS waitlisted,
                    count(*) FILTER (WHERE p.status = 'CANCELLED') AS cancellations,
                    count(*) FILTER (WHERE p.attendance = 'NO_SHOW_JUSTIFIED') AS no_shows_justified,
                    count(*) FILTER (WHERE p.attendance = 'NO_SHOW_UNJUSTIFIED') AS no_shows_unjustified,
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
        .fetch_one(&*reads(ctx).await?)
        .await
        .map_err(db)
    }
}
