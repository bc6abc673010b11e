//! The typed reader of feedback cycles: one cycle in scope, its groups as
//! counts, and, once it is closed, its 360 report.
//!
//! The report is `prasme_domain::feedback_cycle::report`, the one rule of
//! release, run over the read model: the cycle's state is rebuilt from its
//! row (its invitations from the counts per group, under stand-in ids, as
//! the report only counts them), the responses per group as the close
//! counted them, and the submissions from what the close wrote.
//! That keeps the API's reads on the read models, as every other read is,
//! with no second copy of the release rule.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use prasme_domain::feedback_cycle::{
    report, CycleCompetency, CycleStatus, FeedbackCycle, GroupResponses, Rating, Relationship, Report, Submission,
};
use prasme_domain::reference::from_wire_name;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::page::{bind_pair, Page, Window};
use crate::scope::ReadScope;
use crate::ReadError;

/// One group of a cycle, as counts.
pub struct GroupCount {
    pub relationship: Relationship,
    pub invited: i64,
    /// While the cycle is open, how many sealed submissions wait; after the
    /// close, how many it counted; none once cancelled.
    pub responded: i64,
}

pub struct CycleRow {
    pub cycle_id: Uuid,
    pub subject_id: Uuid,
    pub institution_id: Uuid,
    pub framework_id: Uuid,
    pub framework_version: i64,
    pub competencies: Vec<CycleCompetency>,
    pub deadline: NaiveDate,
    pub min_raters: i32,
    pub status: CycleStatus,
    pub cancel_reason: Option<String>,
    pub position: i64,
    /// Every invited group, in relationship order.
    pub groups: Vec<GroupCount>,
}

fn corrupt(table: &'static str, value: impl ToString) -> ReadError {
    ReadError::Corrupt {
        table,
        value: value.to_string(),
    }
}

fn relationship(name: &str) -> Result<Relationship, ReadError> {
    from_wire_name(name).ok_or_else(|| corrupt("rm_feedback_invited", name))
}

const CYCLE_COLUMNS: &str = "cycle_id, subject_id, institution_id, framework_id, framework_version, competencies, \
                             deadline, min_raters, status, cancel_reason, position";

/// The cycle, if it is in `scope` (one out of scope reads as missing).
pub async fn cycle_by_id(pool: &PgPool, scope: &ReadScope, id: Uuid) -> Result<Option<CycleRow>, ReadError> {
    let row = sqlx::query(&format!(
        "SELECT {CYCLE_COLUMNS} FROM rm_feedback_cycle c WHERE cycle_id = $1 AND {}",
        scope.condition("c.institution_id", Some("c.subject_id"), None)
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    match row {
        Some(r) => Ok(Some(cycle_row(pool, &r).await?)),
        None => Ok(None),
    }
}

/// Where a cycle stands in a subject's list: latest deadline first.
pub type CycleKey = (NaiveDate, Uuid);

/// A window of the cycles on `subject_id` in `scope`, latest deadline first
/// (a subject out of scope reads as having none).
pub async fn cycles_of(
    pool: &PgPool,
    scope: &ReadScope,
    subject_id: Uuid,
    window: &Window<CycleKey>,
) -> Result<Page<CycleKey, CycleRow>, ReadError> {
    let in_scope = scope.condition("c.institution_id", Some("c.subject_id"), None);
    let rows = bind_pair(
        sqlx::query(&format!(
            "SELECT {CYCLE_COLUMNS} FROM rm_feedback_cycle c WHERE c.subject_id = $6 AND {in_scope}
                AND ($1::date IS NULL OR (c.deadline, c.cycle_id) < ($1, $2))
                AND ($3::date IS NULL OR (c.deadline, c.cycle_id) > ($3, $4))
              ORDER BY c.deadline {d}, c.cycle_id {d} LIMIT $5",
            d = window.newest_first()
        )),
        window,
    )
    .bind(subject_id)
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM rm_feedback_cycle c WHERE c.subject_id = $1 AND {in_scope}"
    ))
    .bind(subject_id)
    .fetch_one(pool)
    .await?;
    let mut cycles = Vec::with_capacity(rows.len());
    for r in &rows {
        let c = cycle_row(pool, r).await?;
        cycles.push(((c.deadline, c.cycle_id), c));
    }
    Ok(Page { rows: cycles, total })
}

/// One cycle's row with its groups as counts.
async fn cycle_row(pool: &PgPool, r: &PgRow) -> Result<CycleRow, ReadError> {
    let id: Uuid = r.try_get("cycle_id")?;
    let status: String = r.try_get("status")?;
    let competencies: serde_json::Value = r.try_get("competencies")?;
    let status: CycleStatus = from_wire_name(&status).ok_or_else(|| corrupt("rm_feedback_cycle", &status))?;
    let invited: Vec<(String, i32, Option<i64>)> =
        sqlx::query_as("SELECT relationship, invited, responses FROM rm_feedback_invited WHERE cycle_id = $1")
            .bind(id)
            .fetch_all(pool)
            .await?;
    // Counts only: while open, of the sealed submissions waiting; once
    // closed, as the close counted them.
    let pending: Vec<(String, i64)> = if status == CycleStatus::Open {
        sqlx::query_as("SELECT relationship, count(*) FROM feedback_pending WHERE cycle_id = $1 GROUP BY relationship")
            .bind(id)
            .fetch_all(pool)
            .await?
    } else {
        vec![]
    };
    let mut groups = Vec::with_capacity(invited.len());
    for (name, invited, closed_with) in invited {
        let responded = match status {
            CycleStatus::Open => pending.iter().find(|(n, _)| *n == name).map_or(0, |(_, c)| *c),
            CycleStatus::Closed => closed_with.unwrap_or(0),
            CycleStatus::Cancelled => 0,
        };
        groups.push(GroupCount {
            relationship: relationship(&name)?,
            invited: i64::from(invited),
            responded,
        });
    }
    groups.sort_by_key(|g| g.relationship);
    Ok(CycleRow {
        cycle_id: r.try_get("cycle_id")?,
        subject_id: r.try_get("subject_id")?,
        institution_id: r.try_get("institution_id")?,
        framework_id: r.try_get("framework_id")?,
        framework_version: r.try_get("framework_version")?,
        competencies: serde_json::from_value(competencies.clone())
            .map_err(|_| corrupt("rm_feedback_cycle", competencies))?,
        deadline: r.try_get("deadline")?,
        min_raters: r.try_get("min_raters")?,
        status,
        cancel_reason: r.try_get("cancel_reason")?,
        position: r.try_get("position")?,
        groups,
    })
}

/// The cycle's 360 report; none until it is closed.
pub async fn report_of(pool: &PgPool, cycle: &CycleRow) -> Result<Option<Report>, ReadError> {
    if cycle.status != CycleStatus::Closed {
        return Ok(None);
    }
    let rows = sqlx::query("SELECT relationship, ratings, comment FROM rm_feedback_response WHERE cycle_id = $1")
        .bind(cycle.cycle_id)
        .fetch_all(pool)
        .await?;
    let mut submissions = Vec::with_capacity(rows.len());
    for r in rows {
        let name: String = r.try_get("relationship")?;
        let ratings: serde_json::Value = r.try_get("ratings")?;
        submissions.push(Submission {
            relationship: relationship(&name)?,
            ratings: serde_json::from_value::<Vec<Rating>>(ratings.clone())
                .map_err(|_| corrupt("rm_feedback_response", ratings))?,
            comment: r.try_get("comment")?,
        });
    }
    // Stand-in invitation ids: the report counts invitations per group only.
    let mut invitations = BTreeMap::new();
    let mut n: u128 = 0;
    for group in &cycle.groups {
        for _ in 0..group.invited {
            n += 1;
            invitations.insert(Uuid::from_u128(n), group.relationship);
        }
    }
    let state = FeedbackCycle {
        id: Some(cycle.cycle_id),
        status: Some(cycle.status),
        subject_id: cycle.subject_id,
        institution_id: cycle.institution_id,
        framework_id: cycle.framework_id,
        framework_version: u32::try_from(cycle.framework_version).unwrap_or(0),
        competencies: cycle.competencies.clone(),
        deadline: cycle.deadline,
        min_raters: u8::try_from(cycle.min_raters).unwrap_or(u8::MAX),
        invitations,
    };
    let responses: Vec<GroupResponses> = cycle
        .groups
        .iter()
        .map(|g| GroupResponses {
            relationship: g.relationship,
            responses: u32::try_from(g.responded).unwrap_or(0),
        })
        .collect();
    Ok(Some(report(&state, &responses, &submissions)))
}
