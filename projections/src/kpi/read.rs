//! The typed reader of the KPI read model: what is computed, each series'
//! totals for a year (or the whole plan) now or as of an instant, a
//! series' breakdown by one dimension, and its history.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use prasme_domain::disclosure::suppress;
use prasme_domain::kpi::{Dimension, Series, Unit};
use sqlx::types::Json;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::{ReadError, ReadScope};

/// One series of a computed indicator.
#[derive(Debug, Clone)]
pub struct SeriesRow {
    /// "1.4.1/1".
    pub series_key: String,
    pub indicator_id: String,
    /// 1 for the series the indicator's target applies to, 2 for the
    /// secondary target's.
    pub ordinal: i32,
    pub definition: Series,
    pub retired: bool,
}

/// A total: the count and, for a share, its denominator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Total {
    pub count: i64,
    pub denominator: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub position: i64,
    pub recorded_at: DateTime<Utc>,
    pub total: Total,
}

/// One cell of a breakdown; `None` counts are suppressed small cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellRow {
    pub value: String,
    pub count: Option<i64>,
    pub denominator: Option<i64>,
}

pub async fn series(pool: &PgPool) -> Result<Vec<SeriesRow>, ReadError> {
    let rows = sqlx::query(
        "SELECT series_key, indicator_id, ordinal, definition, retired FROM rm_kpi_series
         ORDER BY indicator_id, ordinal",
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let Json(definition): Json<Series> = r.try_get("definition")?;
            Ok(SeriesRow {
                series_key: r.try_get("series_key")?,
                indicator_id: r.try_get("indicator_id")?,
                ordinal: r.try_get("ordinal")?,
                definition,
                retired: r.try_get("retired")?,
            })
        })
        .collect()
}

/// Every series' total in `year` (0: the whole plan), now, or as the
/// projection stood after the last event recorded at or before `as_of`.
pub async fn totals(
    pool: &PgPool,
    year: i32,
    as_of: Option<DateTime<Utc>>,
) -> Result<HashMap<String, Total>, ReadError> {
    let rows = match as_of {
        None => {
            sqlx::query(
                "SELECT series_key, count, denominator FROM rm_kpi_value
                 WHERE year = $1 AND dimension = 'TOTAL' AND value = ''",
            )
            .bind(year)
            .fetch_all(pool)
            .await?
        }
        // One index probe per series: the latest change at or before the
        // instant. A series with none had not been counted yet.
        Some(at) => {
            sqlx::query(
                "SELECT s.series_key, h.count, h.denominator FROM rm_kpi_series s
                 CROSS JOIN LATERAL (
                     SELECT count, denominator FROM rm_kpi_history h
                      WHERE h.series_key = s.series_key AND h.year = $1 AND h.recorded_at <= $2
                      ORDER BY h.recorded_at DESC, h.position DESC LIMIT 1) h",
            )
            .bind(year)
            .bind(at)
            .fetch_all(pool)
            .await?
        }
    };
    rows.into_iter()
        .map(|r| {
            Ok((
                r.try_get("series_key")?,
                Total {
                    count: r.try_get("count")?,
                    denominator: r.try_get("denominator")?,
                },
            ))
        })
        .collect()
}

/// A series' cells along one dimension in `year`, largest first. For a
/// series that counts people, cells of 1 to 4 people are suppressed
/// (`domain/src/disclosure.rs`) unless `people` (the people the caller may
/// read; none for a caller who may read nobody) covers them: an
/// institution's people, or, for the other dimensions, everyone.
pub async fn breakdown(
    pool: &PgPool,
    series: &SeriesRow,
    year: i32,
    dimension: Dimension,
    people: Option<&ReadScope>,
) -> Result<Vec<CellRow>, ReadError> {
    let rows = sqlx::query(
        "SELECT value, count, denominator FROM rm_kpi_value
         WHERE series_key = $1 AND year = $2 AND dimension = $3 AND (count > 0 OR denominator > 0)
         ORDER BY count DESC, value",
    )
    .bind(&series.series_key)
    .bind(year)
    .bind(dimension.as_str())
    .fetch_all(pool)
    .await?;
    let mut cells: Vec<CellRow> = rows
        .into_iter()
        .map(|r| {
            Ok(CellRow {
                value: r.try_get("value")?,
                count: Some(r.try_get("count")?),
                denominator: Some(r.try_get("denominator")?),
            })
        })
        .collect::<Result<_, ReadError>>()?;
    let covered = |value: &str| match (people, dimension) {
        (None, _) => false,
        (Some(p), Dimension::Institution) => value.parse::<Uuid>().is_ok_and(|id| p.covers_institution(id)),
        (Some(p), _) => p.covers_everything(),
    };
    if series.definition.unit == Unit::Employees && !cells.iter().all(|c| covered(&c.value)) {
        // Job groups overlap (a person in two groups counts in both), so
        // the remainder is not derivable from them: each cell stands alone.
        let total = if dimension == Dimension::JobGroup {
            cells.iter().filter_map(|c| c.count).sum()
        } else {
            total_of(pool, &series.series_key, year).await?.count
        };
        for part in [false, true] {
            let values: Vec<i64> = cells
                .iter()
                .map(|c| if part { c.denominator } else { c.count }.unwrap_or(0))
                .collect();
            let whole = if part { values.iter().sum() } else { total };
            let (hidden, _) = suppress(&values, whole.max(values.iter().sum()));
            for (c, h) in cells.iter_mut().zip(hidden) {
                if h && !covered(&c.value) {
                    if part {
                        c.denominator = None;
                    } else {
                        c.count = None;
                    }
                }
            }
        }
    }
    Ok(cells)
}

async fn total_of(pool: &PgPool, series_key: &str, year: i32) -> Result<Total, ReadError> {
    let row = sqlx::query(
        "SELECT count, denominator FROM rm_kpi_value
         WHERE series_key = $1 AND year = $2 AND dimension = 'TOTAL' AND value = ''",
    )
    .bind(series_key)
    .bind(year)
    .fetch_optional(pool)
    .await?;
    Ok(match row {
        Some(r) => Total {
            count: r.try_get("count")?,
            denominator: r.try_get("denominator")?,
        },
        None => Total::default(),
    })
}

/// Every change of a series' total in `year`, oldest first, up to `as_of`.
pub async fn history(
    pool: &PgPool,
    series_key: &str,
    year: i32,
    as_of: Option<DateTime<Utc>>,
) -> Result<Vec<HistoryRow>, ReadError> {
    let rows = sqlx::query(
        "SELECT position, recorded_at, count, denominator FROM rm_kpi_history
         WHERE series_key = $1 AND year = $2 AND ($3::timestamptz IS NULL OR recorded_at <= $3)
         ORDER BY position",
    )
    .bind(series_key)
    .bind(year)
    .bind(as_of)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(HistoryRow {
                position: r.try_get("position")?,
                recorded_at: r.try_get("recorded_at")?,
                total: Total {
                    count: r.try_get("count")?,
                    denominator: r.try_get("denominator")?,
                },
            })
        })
        .collect()
}

/// For each of the events at `positions`, the indicators whose whole-plan
/// total it changed, by position and indicator.
pub async fn changed_at(pool: &PgPool, positions: &[i64]) -> Result<Vec<(i64, String)>, ReadError> {
    Ok(sqlx::query_as(
        "SELECT DISTINCT h.position, s.indicator_id FROM rm_kpi_history h JOIN rm_kpi_series s USING (series_key)
         WHERE h.position = ANY($1) AND h.year = 0 ORDER BY 1, 2",
    )
    .bind(positions)
    .fetch_all(pool)
    .await?)
}
