//! The typed reader of employees' competence records: one employee's
//! profile against a framework, and an institution's gap report per job
//! group. Both are personal data or aggregates over people, so both take
//! the caller's scope.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use prasme_domain::assessment::{shortfall, AssessmentMethod, MatrixRating};
use prasme_domain::competency::{Competency, FrameworkContent};
use prasme_domain::disclosure::{small, suppress};
use prasme_domain::employee::JobGroup;
use prasme_domain::reference::from_wire_name;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use super::read::{framework_by_id, framework_version, FrameworkRow};
use crate::page::{bind_pair, Page, Window};
use crate::scope::ReadScope;
use crate::ReadError;

#[derive(Clone)]
pub struct AssessmentRow {
    pub assessment_id: Uuid,
    pub employee_id: Uuid,
    pub framework_id: Uuid,
    pub framework_version: i64,
    pub competency: String,
    pub level: u8,
    /// What the employee's job groups required on the assessment's date.
    pub required_level: Option<u8>,
    pub method: AssessmentMethod,
    pub feedback_cycle_id: Option<Uuid>,
    pub assessor_id: Option<Uuid>,
    pub assessed_on: NaiveDate,
    pub evidence_note: Option<String>,
    pub position: i64,
}

pub struct TalentReviewRow {
    pub review_id: Uuid,
    pub performance: MatrixRating,
    pub potential: MatrixRating,
    pub reviewer_id: Option<Uuid>,
    pub reviewed_on: NaiveDate,
    pub position: i64,
}

/// A passed completion of a course that develops a framework competency:
/// evidence for a manager to confirm with an assessment, not a level.
#[derive(Clone)]
pub struct EvidenceRow {
    pub offering_id: Uuid,
    pub course_id: Uuid,
    pub course_title: String,
    pub competency: String,
    /// The level the course develops the competency to.
    pub level: u8,
    pub completed_on: NaiveDate,
}

/// One competency of the framework's newest version in an employee's profile.
pub struct ProfileEntry {
    pub area: String,
    pub competency: Competency,
    /// The highest level the employee's job groups require today.
    pub required_level: Option<u8>,
    /// The latest assessment of the competency by business date, on any version.
    pub current: Option<AssessmentRow>,
    pub shortfall: Option<u8>,
    /// Passed completions of courses that develop it, newest first.
    pub evidence: Vec<EvidenceRow>,
}

pub struct Profile {
    pub employee_id: Uuid,
    pub job_groups: Vec<JobGroup>,
    pub framework: FrameworkRow,
    pub version: i64,
    pub entries: Vec<ProfileEntry>,
    /// Every assessment against the framework, newest first.
    pub history: Vec<AssessmentRow>,
}

fn decoded<T: serde::de::DeserializeOwned>(table: &'static str, value: String) -> Result<T, ReadError> {
    from_wire_name(&value).ok_or(ReadError::Corrupt { table, value })
}

fn level(value: i32) -> Result<u8, ReadError> {
    u8::try_from(value).map_err(|_| ReadError::Corrupt {
        table: "rm_competency_assessment",
        value: value.to_string(),
    })
}

fn assessment(r: &PgRow) -> Result<AssessmentRow, ReadError> {
    Ok(AssessmentRow {
        assessment_id: r.try_get("assessment_id")?,
        employee_id: r.try_get("employee_id")?,
        framework_id: r.try_get("framework_id")?,
        framework_version: r.try_get("framework_version")?,
        competency: r.try_get("competency")?,
        level: level(r.try_get("level")?)?,
        required_level: r.try_get::<Option<i32>, _>("required_level")?.map(level).transpose()?,
        method: decoded("rm_competency_assessment", r.try_get("method")?)?,
        feedback_cycle_id: r.try_get("feedback_cycle_id")?,
        assessor_id: r.try_get("assessor_id")?,
        assessed_on: r.try_get("assessed_on")?,
        evidence_note: r.try_get("evidence_note")?,
        position: r.try_get("position")?,
    })
}

const ASSESSMENT_COLUMNS: &str = "assessment_id, employee_id, framework_id, framework_version, competency, level, \
                                  required_level, method, feedback_cycle_id, assessor_id, assessed_on, evidence_note, \
                                  position";

/// The employee's job groups today, if they are in `scope`.
async fn job_groups(pool: &PgPool, scope: &ReadScope, employee_id: Uuid) -> Result<Option<Vec<JobGroup>>, ReadError> {
    let names: Option<Vec<String>> = sqlx::query_scalar(&format!(
        "SELECT job_groups FROM rm_employee WHERE id = $1 AND {}",
        scope.condition("institution_id", Some("id"), None)
    ))
    .bind(employee_id)
    .fetch_optional(pool)
    .await?;
    names
        .map(|names| names.into_iter().map(|n| decoded("rm_employee", n)).collect())
        .transpose()
}

/// The employee's profile against the framework's newest version; None
/// when the employee is out of scope or either does not exist.
pub async fn profile(
    pool: &PgPool,
    scope: &ReadScope,
    employee_id: Uuid,
    framework_id: Uuid,
) -> Result<Option<Profile>, ReadError> {
    let Some(job_groups) = job_groups(pool, scope, employee_id).await? else {
        return Ok(None);
    };
    let Some(framework) = framework_by_id(pool, framework_id).await? else {
        return Ok(None);
    };
    let version = framework.latest_version;
    let Some(content) = framework_version(pool, framework_id, version).await? else {
        return Ok(None);
    };
    let rows = sqlx::query(&format!(
        "SELECT {ASSESSMENT_COLUMNS} FROM rm_competency_assessment
          WHERE employee_id = $1 AND framework_id = $2
          ORDER BY assessed_on DESC, position DESC"
    ))
    .bind(employee_id)
    .bind(framework_id)
    .fetch_all(pool)
    .await?;
    let history = rows.iter().map(assessment).collect::<Result<Vec<_>, _>>()?;
    let evidence = evidence(pool, employee_id, framework_id).await?;
    let entries = entries(content, &job_groups, &history, &evidence);
    Ok(Some(Profile {
        employee_id,
        job_groups,
        framework,
        version,
        entries,
        history,
    }))
}

/// Evidence is read at the time of asking from the places and the
/// catalogue, so a revoked completion, or a course that stops naming the
/// competency, stops being evidence.
async fn evidence(pool: &PgPool, employee_id: Uuid, framework_id: Uuid) -> Result<Vec<EvidenceRow>, ReadError> {
    let rows: Vec<(Uuid, Uuid, String, String, i32, NaiveDate)> = sqlx::query_as(
        "SELECT p.offering_id, o.course_id, c.title, l->>'competency', (l->>'level')::int, p.completed_on
           FROM rm_place p
           JOIN rm_offering o ON o.id = p.offering_id
           JOIN rm_course c ON c.id = o.course_id
           CROSS JOIN LATERAL jsonb_array_elements(c.develops) l
          WHERE p.employee_id = $1 AND p.passed AND NOT p.revoked AND p.completed_on IS NOT NULL
            AND l->>'frameworkId' = $2::text
          ORDER BY p.completed_on DESC, p.offering_id",
    )
    .bind(employee_id)
    .bind(framework_id)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(offering_id, course_id, course_title, competency, l, completed_on)| {
            Ok(EvidenceRow {
                offering_id,
                course_id,
                course_title,
                competency,
                level: level(l)?,
                completed_on,
            })
        })
        .collect()
}

fn entries(
    content: FrameworkContent,
    job_groups: &[JobGroup],
    history: &[AssessmentRow],
    evidence: &[EvidenceRow],
) -> Vec<ProfileEntry> {
    let mut entries = Vec::new();
    for area in content.areas {
        for competency in area.competencies {
            let required_level = prasme_domain::assessment::required_level(&competency, job_groups);
            // History is newest first: the first match is the current one.
            let current = history.iter().find(|a| a.competency == competency.code).cloned();
            entries.push(ProfileEntry {
                area: area.code.clone(),
                shortfall: shortfall(required_level, current.as_ref().map(|a| a.level)),
                required_level,
                current,
                evidence: evidence
                    .iter()
                    .filter(|e| e.competency == competency.code)
                    .cloned()
                    .collect(),
                competency,
            });
        }
    }
    entries
}

fn talent_review(r: &PgRow) -> Result<TalentReviewRow, ReadError> {
    Ok(TalentReviewRow {
        review_id: r.try_get("review_id")?,
        performance: decoded("rm_talent_review", r.try_get("performance")?)?,
        potential: decoded("rm_talent_review", r.try_get("potential")?)?,
        reviewer_id: r.try_get("reviewer_id")?,
        reviewed_on: r.try_get("reviewed_on")?,
        position: r.try_get("position")?,
    })
}

/// Where a placement stands in an employee's list: newest business date
/// first, then newest recorded.
pub type TalentReviewKey = (NaiveDate, i64);

/// A window of an employee's placements on the matrix, newest first; None
/// when the employee is unknown or out of `scope`.
pub async fn talent_reviews(
    pool: &PgPool,
    scope: &ReadScope,
    employee_id: Uuid,
    window: &Window<TalentReviewKey>,
) -> Result<Option<Page<TalentReviewKey, TalentReviewRow>>, ReadError> {
    if job_groups(pool, scope, employee_id).await?.is_none() {
        return Ok(None);
    }
    let rows = bind_pair(
        sqlx::query(&format!(
            "SELECT review_id, performance, potential, reviewer_id, reviewed_on, position FROM rm_talent_review
              WHERE employee_id = $6
                AND ($1::date IS NULL OR (reviewed_on, position) < ($1, $2))
                AND ($3::date IS NULL OR (reviewed_on, position) > ($3, $4))
              ORDER BY reviewed_on {d}, position {d} LIMIT $5",
            d = window.newest_first()
        )),
        window,
    )
    .bind(employee_id)
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar("SELECT count(*) FROM rm_talent_review WHERE employee_id = $1")
        .bind(employee_id)
        .fetch_one(pool)
        .await?;
    let rows = rows
        .iter()
        .map(|r| talent_review(r).map(|t| ((t.reviewed_on, t.position), t)))
        .collect::<Result<_, _>>()?;
    Ok(Some(Page { rows, total }))
}

/// One job group and one competency it has a requirement in, over the
/// institution's current employees. A count is None when the small-cell
/// rule hides it.
pub struct GapCell {
    pub job_group: JobGroup,
    pub area: String,
    pub competency: String,
    pub competency_name: String,
    pub required_level: u8,
    /// Employees in the job group.
    pub people: Option<i64>,
    /// Of those, with a current assessment of the competency.
    pub assessed: Option<i64>,
    /// Assessed at or above the required level.
    pub meeting: Option<i64>,
    /// Assessed below it.
    pub below: Option<i64>,
    /// The mean current level of the assessed; shown only over 5 or more.
    pub average_level: Option<f64>,
}

pub struct GapReport {
    pub institution_id: Uuid,
    pub framework: FrameworkRow,
    pub version: i64,
    pub cells: Vec<GapCell>,
}

/// The gap between required and assessed levels in an institution, per job
/// group and competency of the framework's newest version. None when the
/// institution is out of `scope` or the framework does not exist; small
/// cells suppressed unless `people` covers the institution (whoever reads
/// each profile learns nothing more from the counts).
pub async fn gap_report(
    pool: &PgPool,
    scope: &ReadScope,
    people: &ReadScope,
    institution_id: Uuid,
    framework_id: Uuid,
) -> Result<Option<GapReport>, ReadError> {
    if !scope.covers_institution(institution_id) {
        return Ok(None);
    }
    let Some(framework) = framework_by_id(pool, framework_id).await? else {
        return Ok(None);
    };
    let version = framework.latest_version;
    let Some(content) = framework_version(pool, framework_id, version).await? else {
        return Ok(None);
    };
    let staff: Vec<(Uuid, Vec<String>)> =
        sqlx::query_as("SELECT id, job_groups FROM rm_employee WHERE institution_id = $1 AND left_on IS NULL")
            .bind(institution_id)
            .fetch_all(pool)
            .await?;
    let current: Vec<(Uuid, String, i32)> = sqlx::query_as(
        "SELECT DISTINCT ON (a.employee_id, a.competency) a.employee_id, a.competency, a.level
           FROM rm_competency_assessment a JOIN rm_employee e ON e.id = a.employee_id
          WHERE e.institution_id = $1 AND e.left_on IS NULL AND a.framework_id = $2
          ORDER BY a.employee_id, a.competency, a.assessed_on DESC, a.position DESC",
    )
    .bind(institution_id)
    .bind(framework_id)
    .fetch_all(pool)
    .await?;
    let mut levels = HashMap::new();
    for (employee, competency, l) in current {
        levels.insert((employee, competency), level(l)?);
    }
    let mut groups: BTreeMap<JobGroup, Vec<Uuid>> = BTreeMap::new();
    for (employee, names) in staff {
        for name in names {
            groups.entry(decoded("rm_employee", name)?).or_default().push(employee);
        }
    }
    let mut cells = Vec::new();
    for (job_group, members) in &groups {
        for area in &content.areas {
            for competency in &area.competencies {
                let Some(required) = prasme_domain::assessment::required_level(competency, &[*job_group]) else {
                    continue;
                };
                let assessed: Vec<u8> = members
                    .iter()
                    .filter_map(|e| levels.get(&(*e, competency.code.clone())).copied())
                    .collect();
                let meeting = assessed
                    .iter()
                    .filter(|l| shortfall(Some(required), Some(**l)) == Some(0))
                    .count() as i64;
                let mut cell = GapCell {
                    job_group: *job_group,
                    area: area.code.clone(),
                    competency: competency.code.clone(),
                    competency_name: competency.name.clone(),
                    required_level: required,
                    people: Some(members.len() as i64),
                    assessed: Some(assessed.len() as i64),
                    meeting: Some(meeting),
                    below: Some(assessed.len() as i64 - meeting),
                    average_level: (!assessed.is_empty())
                        .then(|| assessed.iter().map(|l| f64::from(*l)).sum::<f64>() / assessed.len() as f64),
                };
                if !people.covers_institution(institution_id) {
                    cell.suppress_small();
                }
                cells.push(cell);
            }
        }
    }
    Ok(Some(GapReport {
        institution_id,
        framework,
        version,
        cells,
    }))
}

impl GapCell {
    /// The small-cell rule over meeting, below and not assessed, which sum
    /// to the people counted; the assessed are shown only with both their
    /// parts, and their average only over 5 or more.
    fn suppress_small(&mut self) {
        let n = |c: Option<i64>| c.unwrap_or(0);
        let people = n(self.people);
        let (meeting, below) = (n(self.meeting), n(self.below));
        let (hidden, hide_total) = suppress(&[meeting, below, people - meeting - below], people);
        if hidden[0] {
            self.meeting = None;
        }
        if hidden[1] {
            self.below = None;
        }
        if hidden[0] || hidden[1] || hidden[2] {
            self.assessed = None;
        }
        if hide_total || small(people) {
            self.people = None;
        }
        if self.assessed.is_none() || small(meeting + below) {
            self.average_level = None;
        }
    }
}
