//! The typed reader of development plans: one plan, an employee's plans,
//! and the coverage of approved plans per institution, resor and year with
//! the workplace-based share of their activities.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use prasme_domain::development_plan::{percent, ActivityKind, PLAN_COVERAGE_PATH, WORKPLACE_TARGET_PERCENT};
use prasme_domain::disclosure::{small, suppress};
use prasme_domain::reference::{from_wire_name, wire_name, Resor};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::page::{bind_pair, Page, Window};
use crate::scope::ReadScope;
use crate::ReadError;

pub struct GoalRow {
    pub goal_id: Uuid,
    pub framework_id: Uuid,
    pub framework_version: i64,
    pub competency: String,
    pub target_level: i32,
    /// The size of the competency's scale.
    pub levels: i32,
    /// The latest level recorded, and when.
    pub level: Option<i32>,
    pub achieved: bool,
    pub recorded_on: Option<NaiveDate>,
    pub note: Option<String>,
}

pub struct ActivityRow {
    pub activity_id: Uuid,
    pub kind: ActivityKind,
    pub title: String,
    pub course_id: Option<Uuid>,
    pub goal_id: Option<Uuid>,
    /// When its completion was recorded on the plan.
    pub completed_on: Option<NaiveDate>,
    pub note: Option<String>,
    /// For a course: the first passed, unrevoked completion of the course by
    /// the employee within the plan's period. A linked enrolment's
    /// completion marks the activity done without a command.
    pub course_completed_on: Option<NaiveDate>,
}

pub struct PlanRow {
    pub plan_id: Uuid,
    pub employee_id: Uuid,
    pub institution_id: Uuid,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub approved_on: Option<NaiveDate>,
    pub approver_id: Option<Uuid>,
    pub reviewed_on: Option<NaiveDate>,
    pub summary: Option<String>,
    pub goals_achieved: Option<i32>,
    pub goals_total: Option<i32>,
    pub position: i64,
    pub goals: Vec<GoalRow>,
    pub activities: Vec<ActivityRow>,
}

impl PlanRow {
    /// Workplace-based activities over all, in percent; none without activities.
    pub fn workplace_percent(&self) -> Option<f64> {
        let workplace = self.activities.iter().filter(|a| a.kind.workplace_based()).count();
        percent(workplace as i64, self.activities.len() as i64)
    }
}

const PLAN_COLUMNS: &str = "plan_id, employee_id, institution_id, starts_on, ends_on, approved_on, approver_id, \
                            reviewed_on, summary, goals_achieved, goals_total, position";

fn plan(r: &PgRow) -> Result<PlanRow, ReadError> {
    Ok(PlanRow {
        plan_id: r.try_get("plan_id")?,
        employee_id: r.try_get("employee_id")?,
        institution_id: r.try_get("institution_id")?,
        starts_on: r.try_get("starts_on")?,
        ends_on: r.try_get("ends_on")?,
        approved_on: r.try_get("approved_on")?,
        approver_id: r.try_get("approver_id")?,
        reviewed_on: r.try_get("reviewed_on")?,
        summary: r.try_get("summary")?,
        goals_achieved: r.try_get("goals_achieved")?,
        goals_total: r.try_get("goals_total")?,
        position: r.try_get("position")?,
        goals: vec![],
        activities: vec![],
    })
}

/// The plans with their goals and activities, in the order given.
async fn with_details(pool: &PgPool, mut plans: Vec<PlanRow>) -> Result<Vec<PlanRow>, ReadError> {
    let ids: Vec<Uuid> = plans.iter().map(|p| p.plan_id).collect();
    let goals = sqlx::query(
        "SELECT plan_id, goal_id, framework_id, framework_version, competency, target_level, levels, level, achieved,
                recorded_on, note
           FROM rm_development_goal WHERE plan_id = ANY ($1) ORDER BY plan_id, ordinal",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    let activities = sqlx::query(
        "SELECT a.plan_id, a.activity_id, a.kind, a.title, a.course_id, a.goal_id, a.completed_on, a.note,
                (SELECT min(pl.completed_on) FROM rm_place pl JOIN rm_offering o ON o.id = pl.offering_id
                  WHERE o.course_id = a.course_id AND pl.employee_id = p.employee_id AND pl.passed
                    AND NOT pl.revoked AND pl.completed_on BETWEEN p.starts_on AND p.ends_on) AS course_completed_on
           FROM rm_development_activity a JOIN rm_development_plan p ON p.plan_id = a.plan_id
          WHERE a.plan_id = ANY ($1) ORDER BY a.plan_id, a.ordinal",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    for p in &mut plans {
        for g in goals.iter().filter(|g| g.get::<Uuid, _>("plan_id") == p.plan_id) {
            p.goals.push(GoalRow {
                goal_id: g.try_get("goal_id")?,
                framework_id: g.try_get("framework_id")?,
                framework_version: g.try_get("framework_version")?,
                competency: g.try_get("competency")?,
                target_level: g.try_get("target_level")?,
                levels: g.try_get("levels")?,
                level: g.try_get("level")?,
                achieved: g.try_get("achieved")?,
                recorded_on: g.try_get("recorded_on")?,
                note: g.try_get("note")?,
            });
        }
        for a in activities.iter().filter(|a| a.get::<Uuid, _>("plan_id") == p.plan_id) {
            let kind: String = a.try_get("kind")?;
            p.activities.push(ActivityRow {
                activity_id: a.try_get("activity_id")?,
                kind: from_wire_name(&kind).ok_or(ReadError::Corrupt {
                    table: "rm_development_activity",
                    value: kind,
                })?,
                title: a.try_get("title")?,
                course_id: a.try_get("course_id")?,
                goal_id: a.try_get("goal_id")?,
                completed_on: a.try_get("completed_on")?,
                note: a.try_get("note")?,
                course_completed_on: a.try_get("course_completed_on")?,
            });
        }
    }
    Ok(plans)
}

/// One plan, if it is in `scope` (one out of scope reads as missing).
pub async fn plan_by_id(pool: &PgPool, scope: &ReadScope, id: Uuid) -> Result<Option<PlanRow>, ReadError> {
    let rows = sqlx::query(&format!(
        "SELECT {PLAN_COLUMNS} FROM rm_development_plan p WHERE p.plan_id = $1 AND {}",
        scope.condition("p.institution_id", Some("p.employee_id"), None)
    ))
    .bind(id)
    .fetch_all(pool)
    .await?;
    let plans = rows.iter().map(plan).collect::<Result<Vec<_>, _>>()?;
    Ok(with_details(pool, plans).await?.pop())
}

/// Where a plan stands in an employee's list: newest period first.
pub type PlanKey = (NaiveDate, Uuid);

/// A window of an employee's plans in `scope`, newest period first (the
/// employee out of scope reads as having none).
pub async fn plans_of(
    pool: &PgPool,
    scope: &ReadScope,
    employee_id: Uuid,
    window: &Window<PlanKey>,
) -> Result<Page<PlanKey, PlanRow>, ReadError> {
    let in_scope = scope.condition("p.institution_id", Some("p.employee_id"), None);
    let rows = bind_pair(
        sqlx::query(&format!(
            "SELECT {PLAN_COLUMNS} FROM rm_development_plan p WHERE p.employee_id = $6 AND {in_scope}
                AND ($1::date IS NULL OR (p.starts_on, p.plan_id) < ($1, $2))
                AND ($3::date IS NULL OR (p.starts_on, p.plan_id) > ($3, $4))
              ORDER BY p.starts_on {d}, p.plan_id {d} LIMIT $5",
            d = window.newest_first()
        )),
        window,
    )
    .bind(employee_id)
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM rm_development_plan p WHERE p.employee_id = $1 AND {in_scope}"
    ))
    .bind(employee_id)
    .fetch_one(pool)
    .await?;
    let plans = with_details(pool, rows.iter().map(plan).collect::<Result<Vec<_>, _>>()?).await?;
    Ok(Page {
        rows: plans.into_iter().map(|p| ((p.starts_on, p.plan_id), p)).collect(),
        total,
    })
}

/// Coverage of one institution, one resor or the whole administration in a
/// year. A count is None where the small-cell rule hides it.
pub struct Coverage {
    /// Employees on the reference date: 31 December, or today in the current year.
    pub headcount: Option<i64>,
    /// Of those, with an approved plan whose period overlaps the year.
    pub with_plan: Option<i64>,
    /// Activities of the approved plans the unit's institutions made for the year.
    pub activities: Option<i64>,
    /// Of those, workplace-based (on the job or from others).
    pub workplace_activities: Option<i64>,
}

impl Coverage {
    pub fn share_percent(&self) -> Option<f64> {
        percent(self.with_plan?, self.headcount?)
    }

    pub fn workplace_percent(&self) -> Option<f64> {
        percent(self.workplace_activities?, self.activities?)
    }

    fn add(&mut self, other: &Coverage) {
        let sum = |a: Option<i64>, b: Option<i64>| Some(a.unwrap_or(0) + b.unwrap_or(0));
        self.headcount = sum(self.headcount, other.headcount);
        self.with_plan = sum(self.with_plan, other.with_plan);
        self.activities = sum(self.activities, other.activities);
        self.workplace_activities = sum(self.workplace_activities, other.workplace_activities);
    }

    /// People with and without a plan sum to the headcount; activities are
    /// one person's plan in a small unit, so they go with the plans.
    pub fn suppress_small(&mut self) {
        let (headcount, with_plan) = (self.headcount.unwrap_or(0), self.with_plan.unwrap_or(0));
        let (hidden, hide_total) = suppress(&[with_plan], headcount);
        if hidden[0] {
            self.with_plan = None;
        }
        if hide_total || small(headcount) {
            self.headcount = None;
        }
        if self.with_plan.is_none() || small(with_plan) {
            self.activities = None;
            self.workplace_activities = None;
        }
    }
}

/// The stored names of the workplace-based kinds: the rule is the domain's.
pub(super) fn workplace_kinds() -> Vec<String> {
    ActivityKind::ALL
        .into_iter()
        .filter(|k| k.workplace_based())
        .map(|k| wire_name(&k))
        .collect()
}

pub struct CoverageRow {
    pub institution_id: Uuid,
    pub resor: Option<Resor>,
    pub coverage: Coverage,
}

pub struct CoverageReport {
    pub year: i32,
    /// Seed 001's share for the year, where the path sets one.
    pub target_percent: Option<u32>,
    pub workplace_target_percent: u32,
    pub institutions: Vec<CoverageRow>,
    /// Per resor of the institutions in scope; municipalities under None.
    pub by_resor: Vec<(Option<Resor>, Coverage)>,
    pub total: Coverage,
}

/// Approved-plan coverage in `year` for every institution in `scope` with
/// staff or plans; small cells suppressed where `people` does not cover
/// the institution (and, for a resor or the total, any of its institutions).
pub async fn coverage(
    pool: &PgPool,
    scope: &ReadScope,
    people: &ReadScope,
    year: i32,
    today: NaiveDate,
) -> Result<CoverageReport, ReadError> {
    let rows = sqlx::query(&format!(
        "WITH bounds AS (SELECT make_date($1, 1, 1) AS first_day, make_date($1, 12, 31) AS last_day),
              ref AS (SELECT LEAST(last_day, $2::date) AS d FROM bounds),
              staff AS (
                  SELECT e.institution_id, e.employee_id FROM rm_employment_period e, ref
                   WHERE e.from_date <= ref.d AND (e.to_date IS NULL OR e.to_date > ref.d)),
              planned AS (
                  SELECT p.* FROM rm_development_plan p, bounds
                   WHERE p.approved_on IS NOT NULL AND p.starts_on <= bounds.last_day AND p.ends_on >= bounds.first_day),
              heads AS (
                  SELECT s.institution_id, count(*) AS headcount,
                         count(*) FILTER (WHERE s.employee_id IN (SELECT employee_id FROM planned)) AS with_plan
                    FROM staff s GROUP BY s.institution_id),
              acts AS (
                  SELECT p.institution_id, count(a.*) AS activities,
                         count(a.*) FILTER (WHERE a.kind = ANY ($3)) AS workplace
                    FROM planned p JOIN rm_development_activity a ON a.plan_id = p.plan_id
                   GROUP BY p.institution_id)
         SELECT i.id AS institution_id, i.resor, COALESCE(h.headcount, 0) AS headcount,
                COALESCE(h.with_plan, 0) AS with_plan, COALESCE(a.activities, 0) AS activities,
                COALESCE(a.workplace, 0) AS workplace
           FROM rm_institution i LEFT JOIN heads h ON h.institution_id = i.id LEFT JOIN acts a ON a.institution_id = i.id
          WHERE (h.headcount IS NOT NULL OR a.activities IS NOT NULL) AND {}
          ORDER BY i.id",
        scope.condition("i.id", None, None)
    ))
    .bind(year)
    .bind(today)
    .bind(workplace_kinds())
    .fetch_all(pool)
    .await?;
    let mut institutions = Vec::with_capacity(rows.len());
    let mut by_resor: BTreeMap<Option<Resor>, (Coverage, bool)> = BTreeMap::new();
    let mut total = Coverage::empty();
    let mut total_covered = true;
    for r in &rows {
        let resor: Option<String> = r.try_get("resor")?;
        let resor = resor
            .map(|name| {
                from_wire_name(&name).ok_or(ReadError::Corrupt {
                    table: "rm_institution",
                    value: name,
                })
            })
            .transpose()?;
        let institution_id: Uuid = r.try_get("institution_id")?;
        let mut coverage = Coverage {
            headcount: Some(r.try_get("headcount")?),
            with_plan: Some(r.try_get("with_plan")?),
            activities: Some(r.try_get("activities")?),
            workplace_activities: Some(r.try_get("workplace")?),
        };
        let covered = people.covers_institution(institution_id);
        let (unit, unit_covered) = by_resor.entry(resor).or_insert((Coverage::empty(), true));
        unit.add(&coverage);
        *unit_covered &= covered;
        total.add(&coverage);
        total_covered &= covered;
        if !covered {
            coverage.suppress_small();
        }
        institutions.push(CoverageRow {
            institution_id,
            resor,
            coverage,
        });
    }
    if !total_covered {
        total.suppress_small();
    }
    Ok(CoverageReport {
        year,
        target_percent: PLAN_COVERAGE_PATH.iter().find(|(y, _)| *y == year).map(|(_, p)| *p),
        workplace_target_percent: WORKPLACE_TARGET_PERCENT,
        institutions,
        by_resor: by_resor
            .into_iter()
            .map(|(resor, (mut c, covered))| {
                if !covered {
                    c.suppress_small();
                }
                (resor, c)
            })
            .collect(),
        total,
    })
}

impl Coverage {
    fn empty() -> Self {
        Self {
            headcount: Some(0),
            with_plan: Some(0),
            activities: Some(0),
            workplace_activities: Some(0),
        }
    }
}
