//! The typed reader of the course catalogue (`rm_course`).

use prasme_domain::course::{CourseOwner, CourseType, OwnerLevel, OwnerParts};
use prasme_domain::reference::{from_wire_name, wire_name, Resor, StrategicPriority};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::ReadError;

pub struct CourseRow {
    pub id: Uuid,
    pub title: String,
    pub owner: CourseOwner,
    pub priority: StrategicPriority,
    pub measures: Vec<String>,
    pub course_type: CourseType,
    pub knowledge_test: bool,
    pub duration_minutes: i32,
    pub language: String,
    pub competencies: Vec<String>,
    pub retired: bool,
    pub retired_reason: Option<String>,
}

/// Which courses `courses` answers with: every filter that is set.
#[derive(Default)]
pub struct CourseFilter {
    pub priority: Option<StrategicPriority>,
    /// A measure such as "1.1".
    pub measure: Option<String>,
    pub course_type: Option<CourseType>,
    pub owner_level: Option<OwnerLevel>,
    pub competency: Option<String>,
    pub include_retired: bool,
}

const COURSE_COLUMNS: &str = "id, title, owner_level, owner_resor, owner_institution, owner_group, priority, measures, \
                              course_type, knowledge_test, duration_minutes, language, competencies, retired, retired_reason";

fn corrupt(value: impl Into<String>) -> ReadError {
    ReadError::Corrupt {
        table: "rm_course",
        value: value.into(),
    }
}

fn course(r: &PgRow) -> Result<CourseRow, ReadError> {
    let level: String = r.try_get("owner_level")?;
    let resor = r
        .try_get::<Option<String>, _>("owner_resor")?
        .map(|s| from_wire_name::<Resor>(&s).ok_or_else(|| corrupt(s)))
        .transpose()?;
    let parts = OwnerParts {
        level: from_wire_name(&level).ok_or_else(|| corrupt(level.clone()))?,
        resor,
        institution_id: r.try_get("owner_institution")?,
        group: r.try_get("owner_group")?,
    };
    let priority: i32 = r.try_get("priority")?;
    let course_type: String = r.try_get("course_type")?;
    Ok(CourseRow {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        owner: CourseOwner::from_parts(parts).map_err(|_| corrupt(level))?,
        priority: u8::try_from(priority)
            .ok()
            .and_then(StrategicPriority::from_number)
            .ok_or_else(|| corrupt(priority.to_string()))?,
        measures: r.try_get("measures")?,
        course_type: from_wire_name(&course_type).ok_or_else(|| corrupt(course_type))?,
        knowledge_test: r.try_get("knowledge_test")?,
        duration_minutes: r.try_get("duration_minutes")?,
        language: r.try_get("language")?,
        competencies: r.try_get("competencies")?,
        retired: r.try_get("retired")?,
        retired_reason: r.try_get("retired_reason")?,
    })
}

pub async fn course_by_id(pool: &PgPool, id: Uuid) -> Result<Option<CourseRow>, ReadError> {
    let row = sqlx::query(&format!("SELECT {COURSE_COLUMNS} FROM rm_course WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(course).transpose()
}

/// Up to `limit` courses by title after the course `after`, that pass `filter`.
pub async fn courses(
    pool: &PgPool,
    filter: &CourseFilter,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<CourseRow>, ReadError> {
    let rows = sqlx::query(&format!(
        "SELECT {COURSE_COLUMNS} FROM rm_course c
          WHERE ($1::int IS NULL OR c.priority = $1)
            AND ($2::text IS NULL OR $2 = ANY (c.measures))
            AND ($3::text IS NULL OR c.course_type = $3)
            AND ($4::text IS NULL OR c.owner_level = $4)
            AND ($5::text IS NULL OR $5 = ANY (c.competencies))
            AND ($6 OR NOT c.retired)
            AND ($7::uuid IS NULL OR (c.title, c.id) > (SELECT a.title, a.id FROM rm_course a WHERE a.id = $7))
          ORDER BY c.title, c.id
          LIMIT $8"
    ))
    .bind(filter.priority.map(|p| i32::from(p.number())))
    .bind(&filter.measure)
    .bind(filter.course_type.map(|t| wire_name(&t)))
    .bind(filter.owner_level.map(|l| wire_name(&l)))
    .bind(&filter.competency)
    .bind(filter.include_retired)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(course).collect()
}
