//! The institution scorecard: one institution's year against the plan's
//! targets, read through `prasme_projections::scorecard::read`.

use async_graphql::{Context, Object, SimpleObject};
use prasme_commands::ReadOf;
use prasme_domain::budget::{FLOOR_PERCENT, TARGET_PERCENT};
use prasme_domain::calendar::date_in_latvia;
use prasme_domain::learning_time::{meets_on_average, two_decimals, MONTHLY_MINUTES};
use prasme_projections::scorecard::read;
use uuid::Uuid;

use crate::context::{api, read_models, reads, scope};
use crate::errors::{db, not_found, year_argument};
use crate::model::{InstitutionBudget, StrategicPriority};
use crate::scalars::{Date, Position};

/// The training budget against the 5 %-of-payroll rule (docs/kpis.md §1).
#[derive(SimpleObject)]
pub struct ScorecardBudget {
    /// The institution's budget line for the year, as `trainingBudget` reports it.
    pub line: InstitutionBudget,
    /// The share of payroll the plan aims at, in percent: 5.
    pub target_percent: i32,
    /// The share below which the budget is BELOW_FLOOR, in percent: 1.
    pub floor_percent: i32,
}

/// Learning time against 2 hours a month per employee (docs/kpis.md §2). Counts are null where the small-cell rule
/// hides them from a caller who may not read the people counted.
#[derive(SimpleObject)]
pub struct ScorecardLearning {
    /// The months counted: January to this month (12, or the current month in the current year; 0 for a year
    /// not begun).
    pub months: i32,
    /// The denominator: the sum over those months of the institution's employees in each month, anyone employed
    /// there on at least one day of it (as institutionLearningHours counts them, but by employment period: someone
    /// who left and came back within a month counts twice in it).
    pub employee_months: Option<i64>,
    /// Minutes of completions (passed or failed, not revoked) of places booked through the institution, by
    /// completion month, in those months.
    pub minutes: Option<i64>,
    /// minutes / employeeMonths, two decimals.
    pub minutes_per_employee_per_month: Option<String>,
    /// The same in hours, two decimals.
    pub hours_per_employee_per_month: Option<String>,
    /// The plan's minimum, in minutes per employee and month: 120.
    pub target_minutes_per_month: i32,
    /// True when minutes reach 120 × employeeMonths.
    pub meets_target: Option<bool>,
}

/// Approved development plans against seed 001's path (docs/kpis.md §3.0).
#[derive(SimpleObject)]
pub struct ScorecardPlanCoverage {
    /// Employees on the reference date.
    pub headcount: Option<i64>,
    /// Of those, with an approved plan whose period overlaps the year.
    pub with_plan: Option<i64>,
    /// withPlan over headcount, in percent.
    pub share_percent: Option<f64>,
    /// The share seed 001's path sets for the year (10 % in 2025 … 70 % in 2029); null for other years.
    pub target_percent: Option<i32>,
    /// True when the share reaches the target; null without a target or a share.
    pub meets_target: Option<bool>,
}

/// The workplace-based share of the activities of the approved plans made in the institution for the year, against
/// annex 3's 70 %.
#[derive(SimpleObject)]
pub struct ScorecardWorkplaceLearning {
    /// Activities of those plans.
    pub activities: Option<i64>,
    /// Of those, workplace-based (every kind but COURSE and SELF_STUDY).
    pub workplace_activities: Option<i64>,
    /// workplaceActivities over activities, in percent.
    pub share_percent: Option<f64>,
    /// 70.
    pub target_percent: i32,
    /// True when the share reaches 70 %; null without a share.
    pub meets_target: Option<bool>,
}

/// Participation in one strategic priority. The plan sets no target per priority.
#[derive(SimpleObject)]
pub struct ScorecardPriority {
    /// The priority.
    pub priority: StrategicPriority,
    /// Its number, 1 to 5.
    pub number: i32,
    /// Distinct employees of the institution, where they stood on the completion's date, with a passed and
    /// unrevoked completion in the year of a course of this priority.
    pub participants: Option<i64>,
    /// participants over the headcount on the reference date (developmentPlans.headcount), in percent.
    pub share_percent: Option<f64>,
}

/// One institution's year against the plan's targets.
#[derive(SimpleObject)]
pub struct InstitutionScorecard {
    /// The institution.
    pub institution_id: Uuid,
    /// The year.
    pub year: i32,
    /// Where headcounts are taken: 31 December of the year, or today in the current year.
    pub reference_date: Date,
    /// Training budget share of payroll.
    pub budget: ScorecardBudget,
    /// Learning hours per employee per month.
    pub learning: ScorecardLearning,
    /// Development-plan coverage.
    pub development_plans: ScorecardPlanCoverage,
    /// Workplace-based share of development activities.
    pub workplace_learning: ScorecardWorkplaceLearning,
    /// Participation per strategic priority, the five in order.
    pub priorities: Vec<ScorecardPriority>,
}

fn reaches(share: Option<f64>, target: Option<u32>) -> Option<bool> {
    share.zip(target).map(|(s, t)| s >= f64::from(t))
}

impl From<read::Scorecard> for InstitutionScorecard {
    fn from(s: read::Scorecard) -> Self {
        let l = &s.learning;
        let average = l.minutes.zip(l.employee_months);
        let coverage_share = s.coverage.share_percent();
        let workplace_share = s.coverage.workplace_percent();
        let headcount = s.coverage.headcount;
        Self {
            institution_id: s.budget.institution.id,
            year: s.year,
            reference_date: Date(s.reference_date),
            learning: ScorecardLearning {
                months: l.months as i32,
                employee_months: l.employee_months,
                minutes: l.minutes,
                minutes_per_employee_per_month: average.and_then(|(m, e)| two_decimals(m, e)),
                hours_per_employee_per_month: average.and_then(|(m, e)| two_decimals(m, e * 60)),
                target_minutes_per_month: MONTHLY_MINUTES as i32,
                meets_target: average.map(|(m, e)| meets_on_average(m, e)),
            },
            development_plans: ScorecardPlanCoverage {
                headcount,
                with_plan: s.coverage.with_plan,
                share_percent: coverage_share,
                target_percent: s.coverage_target_percent.map(|t| t as i32),
                meets_target: reaches(coverage_share, s.coverage_target_percent),
            },
            workplace_learning: ScorecardWorkplaceLearning {
                activities: s.coverage.activities,
                workplace_activities: s.coverage.workplace_activities,
                share_percent: workplace_share,
                target_percent: s.workplace_target_percent as i32,
                meets_target: reaches(workplace_share, Some(s.workplace_target_percent)),
            },
            priorities: s
                .priorities
                .iter()
                .map(|p| ScorecardPriority {
                    priority: p.priority.into(),
                    number: i32::from(p.priority.number()),
                    participants: p.participants,
                    share_percent: p.share_percent(headcount),
                })
                .collect(),
            budget: ScorecardBudget {
                line: s.budget.into(),
                target_percent: TARGET_PERCENT as i32,
                floor_percent: FLOOR_PERCENT as i32,
            },
        }
    }
}

#[derive(Default)]
pub struct ScorecardQuery;

#[Object]
impl ScorecardQuery {
    /// One institution's year against the plan's targets: training budget share of payroll, learning hours per
    /// employee per month, development-plan coverage, the workplace-based share of development activities and
    /// participation per strategic priority. Read as budgets and aggregates are (INSTITUTION_HR its own
    /// institution, RESOR_COORDINATOR its resor's, VK_ANALYST, VK_ADMIN and AUDITOR every one); small cells are
    /// suppressed for a caller who may not read the people counted.
    async fn institution_scorecard(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The institution; NOT_FOUND when none has this id or it is out of the caller's reach.")]
        institution_id: Uuid,
        #[graphql(desc = "A year from 2021 to 2035: the range every operation accepts.")] year: i32,
        #[graphql(
            desc = "Waits (bounded) until the read models include this event-log position, such as a \
                    mutation's `position`, to read one's own writes; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<InstitutionScorecard> {
        let year = year_argument(year)?;
        api(ctx)?
            .reach(read_models::SCORECARD, at_least_position.map(|p| p.0))
            .await?;
        let (budgets, aggregates, people) = (
            scope(ctx, ReadOf::Budget).await?,
            scope(ctx, ReadOf::Aggregates).await?,
            scope(ctx, ReadOf::Personal).await?,
        );
        let today = date_in_latvia(chrono::Utc::now());
        let card = read::scorecard(
            &*reads(ctx).await?,
            budgets,
            aggregates,
            people,
            institution_id,
            year,
            today,
        )
        .await
        .map_err(db)?;
        // Not registered and out of reach read alike.
        card.map(Into::into)
            .ok_or_else(|| not_found("no institution has this id"))
    }
}
