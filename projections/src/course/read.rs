//! The typed reader of the course catalogue (`rm_course`).

use prasme_domain::course::{CourseOwner, CourseType, DevelopedCompetency, OwnerLevel, OwnerParts};
use prasme_domain::reference::{from_wire_name, wire_name, Resor, StrategicPriority};
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::page::{bind_pair, Page, Window};
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
    pub develops: Vec<DevelopedCompetency>,
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
                              course_type, knowledge_test, duration_minutes, language, competencies, develops, retired, \
                              retired_reason";

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
        develops: r.try_get::<Json<Vec<DevelopedCompetency>>, _>("develops")?.0,
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

/// Courses are listed by title, then id.
pub type CourseKey = (String, Uuid);

const COURSE_FILTER: &str = "($1::int IS NULL OR c.priority = $1)
    AND ($2::text IS NULL OR $2 = ANY (c.measures))
    AND ($3::text IS NULL OR c.course_type = $3)
    AND ($4::text IS NULL OR c.owner_level = $4)
    AND ($5::text IS NULL OR $5 = ANY (c.competencies))
    AND ($6 OR NOT c.retired)";

/// `COURSE_FILTER`'s parameters, $1 to $6.
fn bind_filter<'q>(
    query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    filter: &'q CourseFilter,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    query
        .bind(filter.priority.map(|p| i32::from(p.number())))
        .bind(filter.measure.as_deref())
        .bind(filter.course_type.map(|t| wire_name(&t)))
        .bind(filter.owner_level.map(|l| wire_name(&l)))
        .bind(filter.competency.as_deref())
        .bind(filter.include_retired)
}

/// A window of the catalogue the filter lets through, by title.
pub async fn courses(
    pool: &PgPool,
    filter: &CourseFilter,
    window: &Window<CourseKey>,
) -> Result<Page<CourseKey, CourseRow>, ReadError> {
    let page = format!(
        "SELECT {COURSE_COLUMNS} FROM rm_course c WHERE {COURSE_FILTER}
            AND ($7::text IS NULL OR (c.title, c.id) > ($7, $8))
            AND ($9::text IS NULL OR (c.title, c.id) < ($9, $10))
          ORDER BY c.title {d}, c.id {d}
          LIMIT $11",
        d = window.direction()
    );
    let rows = bind_pair(bind_filter(sqlx::query(&page), filter), window)
        .fetch_all(pool)
        .await?;
    let count = format!("SELECT count(*) FROM rm_course c WHERE {COURSE_FILTER}");
    let total = bind_filter(sqlx::query(&count), filter)
        .fetch_one(pool)
        .await?
        .try_get(0)?;
    let rows = rows
        .iter()
        .map(|r| course(r).map(|c| ((c.title.clone(), c.id), c)))
        .collect::<Result<_, _>>()?;
    Ok(Page { rows, total })
}
