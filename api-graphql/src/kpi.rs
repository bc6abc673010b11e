//! The plan's indicators with their values over GraphQL (issue 21): each
//! indicator's series with counts, shares, status, breakdowns and history,
//! for the whole plan or one year, now or as of an instant (`kpis`), and
//! the `kpiUpdated` subscription's payload.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{ComplexObject, Context, Enum, SimpleObject};
use chrono::{DateTime as ChronoDateTime, Utc};
use prasme_commands::ReadOf;
use prasme_domain::calendar::date_in_latvia;
use prasme_domain::kpi::{self as domain, cell::WHOLE_PLAN, SeriesValue};
use prasme_domain::plan::Target;
use prasme_projections::kpi::read::{self, SeriesRow, Total};
use sqlx::PgPool;

use crate::context::{reads, scope};
use crate::errors::db;
use crate::plan::IndicatorTarget;
use crate::scalars::{DateTime, Position};

/// A dimension an indicator is broken down by.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::kpi::Dimension")]
pub enum KpiDimension {
    /// The whole: one cell.
    Total,
    /// STATE or MUNICIPAL, by the institution where the subject stood.
    Kind,
    /// The resor (municipalities have none).
    Resor,
    /// The institution's id.
    Institution,
    /// The job group (a person in two groups counts in both).
    JobGroup,
}

/// An indicator's status against its target and deadline (docs/kpis.md §4.3).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::kpi::IndicatorStatus")]
pub enum IndicatorStatus {
    /// The deadline year has ended without the target.
    Missed,
    /// Behind the target scaled by the elapsed share of the period.
    AtRisk,
    /// At or ahead of the target scaled by the elapsed share of the period.
    OnTrack,
    /// The target is reached.
    Met,
}

/// What a series counts distinct of.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::kpi::Unit")]
pub enum KpiUnit {
    /// Employees.
    Employees,
    /// Institutions (municipalities among them).
    Institutions,
    /// Resors.
    Resors,
    /// Things: offerings, courses, recorded milestones and materials.
    Things,
}

/// Which values a request reads: a year or the whole plan, now or as of an instant.
#[derive(Clone)]
pub(crate) struct KpiSnapshot {
    year: i32,
    as_of: Option<ChronoDateTime<Utc>>,
    series: HashMap<String, Vec<SeriesRow>>,
    totals: HashMap<String, Total>,
    /// Whole-plan totals, which statuses are judged on.
    whole: HashMap<String, Total>,
}

impl KpiSnapshot {
    /// Reads every series' totals once for the request: the dashboard is
    /// two or three index reads, however many indicators it shows.
    pub(crate) async fn read(
        pool: &PgPool,
        year: Option<i32>,
        as_of: Option<ChronoDateTime<Utc>>,
    ) -> async_graphql::Result<Arc<Self>> {
        let year = year.unwrap_or(WHOLE_PLAN);
        let rows = read::series(pool).await.map_err(db)?;
        let whole = read::totals(pool, WHOLE_PLAN, as_of).await.map_err(db)?;
        let totals = if year == WHOLE_PLAN {
            whole.clone()
        } else {
            read::totals(pool, year, as_of).await.map_err(db)?
        };
        let mut series: HashMap<String, Vec<SeriesRow>> = HashMap::new();
        for r in rows {
            series.entry(r.indicator_id.clone()).or_default().push(r);
        }
        Ok(Arc::new(Self {
            year,
            as_of,
            series,
            totals,
            whole,
        }))
    }

    /// The day statuses are judged on: the instant's, or today, in Latvia.
    fn today(&self) -> chrono::NaiveDate {
        date_in_latvia(self.as_of.unwrap_or_else(Utc::now))
    }

    /// An indicator's series with its values and statuses.
    pub(crate) fn indicator(
        self: &Arc<Self>,
        indicator_id: &str,
        targets: [Option<Target>; 2],
        deadline_year: i32,
    ) -> Vec<KpiSeries> {
        let Some(rows) = self.series.get(indicator_id) else {
            return Vec::new();
        };
        rows.iter()
            .map(|r| {
                let value = |t: Option<&Total>, share: bool| {
                    let t = t.copied().unwrap_or_default();
                    SeriesValue {
                        value: t.count,
                        denominator: share.then_some(t.denominator),
                    }
                };
                let share = r.definition.share_of.is_some();
                let now = value(self.totals.get(&r.series_key), share);
                let whole = value(self.whole.get(&r.series_key), share);
                let target = usize::try_from(r.ordinal - 1)
                    .ok()
                    .and_then(|i| targets.get(i).copied().flatten());
                KpiSeries {
                    indicator_id: r.indicator_id.clone(),
                    ordinal: r.ordinal,
                    label_en: r.definition.label_en.clone(),
                    unit: r.definition.unit.into(),
                    count: now.value,
                    denominator: now.denominator,
                    share_percent: domain::share_percent(now),
                    target: target.map(Into::into),
                    status: target.map(|t| domain::status_on(&t, whole, deadline_year, self.today()).into()),
                    row: r.clone(),
                    snapshot: Arc::clone(self),
                }
            })
            .collect()
    }

    /// The indicator's status: the worse of its series' (none without a target).
    pub(crate) fn status(series: &[KpiSeries]) -> Option<IndicatorStatus> {
        series
            .iter()
            .filter_map(|s| s.status.map(domain::IndicatorStatus::from))
            .min()
            .map(Into::into)
    }
}

/// One series of a computed indicator: a count, or a share of a population on a reference date.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct KpiSeries {
    /// The indicator, such as "1.4.1".
    pub indicator_id: String,
    /// 1 for the series the indicator's target applies to, 2 for the secondary target's.
    pub ordinal: i32,
    /// What the number is.
    pub label_en: String,
    /// What it counts distinct of.
    pub unit: KpiUnit,
    /// The count in the year read (or the whole plan); for a share, the numerator.
    pub count: i64,
    /// For a share, the population on the reference date (31 December of the year; the plan's last day for the
    /// whole plan).
    pub denominator: Option<i64>,
    /// For a share, count ÷ denominator in percent, one decimal, rounded half up; null for an empty population.
    pub share_percent: Option<String>,
    /// The target this series is judged against, if any.
    pub target: Option<IndicatorTarget>,
    /// Its status on the whole plan's value, as of the day read; null without a target.
    pub status: Option<IndicatorStatus>,
    #[graphql(skip)]
    row: SeriesRow,
    #[graphql(skip)]
    snapshot: Arc<KpiSnapshot>,
}

/// One cell of a breakdown.
#[derive(SimpleObject)]
pub struct KpiCell {
    /// The dimension's value: a resor code, an institution id, a job group, STATE or MUNICIPAL; "" for the total.
    pub value: String,
    /// Null when suppressed: fewer than 5 people the caller may not read.
    pub count: Option<i64>,
    /// For a share, the population in the cell; null when suppressed.
    pub denominator: Option<i64>,
}

/// A change of a series' total.
#[derive(SimpleObject)]
pub struct KpiPoint {
    /// The event that changed it.
    pub position: Position,
    /// When that event was recorded.
    pub recorded_at: DateTime,
    /// The total after it.
    pub count: i64,
    /// For a share, the population after it.
    pub denominator: Option<i64>,
}

#[ComplexObject]
impl KpiSeries {
    /// The series in the year read, by one dimension; cells of fewer than 5 people are suppressed for a caller
    /// who may not read them.
    async fn breakdown(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The dimension whose cells are listed.")] by: KpiDimension,
    ) -> async_graphql::Result<Vec<KpiCell>> {
        let people = scope(ctx, ReadOf::Personal).await.ok();
        let cells = read::breakdown(&*reads(ctx).await?, &self.row, self.snapshot.year, by.into(), people)
            .await
            .map_err(db)?;
        let share = self.denominator.is_some();
        Ok(cells
            .into_iter()
            .map(|c| KpiCell {
                value: c.value,
                count: c.count,
                denominator: if share { c.denominator } else { None },
            })
            .collect())
    }

    /// Every change of the total in the year read (or the whole plan), oldest first, up to the instant read.
    async fn history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<KpiPoint>> {
        let rows = read::history(
            &*reads(ctx).await?,
            &self.row.series_key,
            self.snapshot.year,
            self.snapshot.as_of,
        )
        .await
        .map_err(db)?;
        let share = self.denominator.is_some();
        Ok(rows
            .into_iter()
            .map(|h| KpiPoint {
                position: Position(h.position),
                recorded_at: DateTime(h.recorded_at),
                count: h.total.count,
                denominator: share.then_some(h.total.denominator),
            })
            .collect())
    }
}
