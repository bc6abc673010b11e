//! Learning time against the plan's rule that institutions give employees at
//! least 2 hours a month for formal learning (seed 000, annex 3), and each
//! institution's training activity per year. Computed at query time from
//! the employee and offering read models (`prasme_projections::offering::activity`).

use async_graphql::{Context, Object, SimpleObject};
use prasme_commands::ReadOf;
use prasme_projections::offering::activity::{self, MonthlyLearningRow};
use prasme_projections::ReadScope;
use uuid::Uuid;

use crate::complexity::MONTHS;
use crate::context::{api, read_models, reads, scope};
use crate::errors::{db, year_argument};
use crate::scalars::Position;

/// Learning time in one month, against the plan's 2 hours a month per employee.
#[derive(SimpleObject)]
pub struct MonthlyLearning {
    /// 1–12.
    pub month: i32,
    /// Minutes of completed learning (revoked completions excluded), by completion date; null when
    /// suppressed (a month of 1 to 4 employees, for a caller who may not read them: see
    /// docs/security.md).
    pub minutes: Option<i64>,
    /// Employees of the institution during the month (for an employee: 1).
    pub employees: i64,
    /// minutes / employees, two decimals; null without employees, or when suppressed.
    pub minutes_per_employee: Option<String>,
    /// True when the minutes reach 120 per employee on average (minutes at least 120 × employees);
    /// false without employees; null when suppressed.
    pub meets_two_hours: Option<bool>,
}

/// What an institution's employees did in the offerings starting in one year: the places booked
/// through the institution, counted by where they stand now.
#[derive(SimpleObject)]
pub struct TrainingActivity {
    /// The year the offerings start in. Each count below is null when suppressed: for a caller who
    /// may not read the institution's people, counts of 1 to 4, and those they could be worked out
    /// from (see docs/security.md).
    pub year: i32,
    /// Places requested in offerings starting that year.
    pub requests: Option<i64>,
    /// Places now enrolled (attended and completed ones included).
    pub enrolments: Option<i64>,
    /// Places now on a waiting list.
    pub waitlisted: Option<i64>,
    /// Places now cancelled.
    pub cancellations: Option<i64>,
    /// Places whose attendance is recorded as a justified no-show.
    pub no_shows_justified: Option<i64>,
    /// Places whose attendance is recorded as an unjustified no-show.
    pub no_shows_unjustified: Option<i64>,
    /// Completions recorded and not revoked, passed or not.
    pub completions: Option<i64>,
    /// Completions recorded as passed and not revoked.
    pub passed: Option<i64>,
    /// Distinct employees with a completion.
    pub learners: Option<i64>,
    /// Minutes of learning of those completions.
    pub minutes: Option<i64>,
}

impl From<MonthlyLearningRow> for MonthlyLearning {
    fn from(r: MonthlyLearningRow) -> Self {
        MonthlyLearning {
            month: r.month,
            minutes: r.minutes,
            employees: r.employees,
            minutes_per_employee: r.minutes_per_employee,
            meets_two_hours: r.meets_two_hours,
        }
    }
}

#[derive(Default)]
pub struct ActivityQuery;

/// The caller's scope for aggregates, and for the people they count (an
/// aggregate over people the caller may not read has its small cells
/// suppressed).
async fn aggregate_scopes<'a>(ctx: &Context<'a>) -> async_graphql::Result<(&'a ReadScope, &'a ReadScope)> {
    Ok((
        scope(ctx, ReadOf::Aggregates).await?,
        scope(ctx, ReadOf::Personal).await?,
    ))
}

/// An aggregate out of the caller's scope is answered as a missing institution.
fn found_in_scope<T>(row: Option<T>) -> async_graphql::Result<T> {
    row.ok_or_else(|| crate::errors::not_found("no institution has this id"))
}

#[Object]
impl ActivityQuery {
    /// An institution's learning minutes per month of `year`, per employee,
    /// against the 2 hours a month the plan asks for.
    #[graphql(complexity = "MONTHS * child_complexity")]
    async fn institution_learning_hours(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The institution; NOT_FOUND when no institution has this id.")] institution_id: Uuid,
        #[graphql(desc = "A year from 2021 to 2035: the range every operation accepts.")] year: i32,
        #[graphql(
            desc = "Waits (briefly) until the read models have projected this log position, e.g. a mutation's \
                    `position`; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Vec<MonthlyLearning>> {
        year_argument(year)?;
        let api = api(ctx)?;
        api.reach(read_models::ACTIVITY, at_least_position.map(|p| p.0)).await?;
        crate::query::require_institution(ctx, institution_id).await?;
        let (scope, people) = aggregate_scopes(ctx).await?;
        let rows = activity::institution_months(&*reads(ctx).await?, scope, people, institution_id, year)
            .await
            .map_err(db)?;
        let rows = found_in_scope(rows)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// One employee's learning minutes per month of `year`, against 2 hours a month.
    #[graphql(complexity = "MONTHS * child_complexity")]
    async fn employee_learning_hours(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The employee; NOT_FOUND when no employee has this id.")] employee_id: Uuid,
        #[graphql(desc = "A year from 2021 to 2035: the range every operation accepts.")] year: i32,
        #[graphql(
            desc = "Waits (briefly) until the read models have projected this log position, e.g. a mutation's \
                    `position`; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Vec<MonthlyLearning>> {
        year_argument(year)?;
        let api = api(ctx)?;
        api.reach(read_models::ACTIVITY, at_least_position.map(|p| p.0)).await?;
        crate::employee::require_employee(ctx, employee_id).await?;
        let scope = scope(ctx, ReadOf::Personal).await?;
        let rows = activity::employee_months(&*reads(ctx).await?, scope, employee_id, year)
            .await
            .map_err(db)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// What an institution's employees did in training in offerings starting in `year`.
    async fn training_activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The institution; NOT_FOUND when no institution has this id.")] institution_id: Uuid,
        #[graphql(desc = "A year from 2021 to 2035: the range every operation accepts.")] year: i32,
        #[graphql(
            desc = "Waits (briefly) until the read models have projected this log position, e.g. a mutation's \
                    `position`; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<TrainingActivity> {
        year_argument(year)?;
        let api = api(ctx)?;
        api.reach(read_models::ACTIVITY, at_least_position.map(|p| p.0)).await?;
        crate::query::require_institution(ctx, institution_id).await?;
        let (scope, people) = aggregate_scopes(ctx).await?;
        let r = activity::training_activity(&*reads(ctx).await?, scope, people, institution_id, year)
            .await
            .map_err(db)?;
        let r = found_in_scope(r)?;
        Ok(TrainingActivity {
            year: r.year,
            requests: r.requests,
            enrolments: r.enrolments,
            waitlisted: r.waitlisted,
            cancellations: r.cancellations,
            no_shows_justified: r.no_shows_justified,
            no_shows_unjustified: r.no_shows_unjustified,
            completions: r.completions,
            passed: r.passed,
            learners: r.learners,
            minutes: r.minutes,
        })
    }
}
