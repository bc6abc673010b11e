//! Which read model holds a record, by its id alone: what `node(id:)`
//! needs. Ids are unique across kinds (the create commands refuse an id
//! another kind has), so at most one table answers.

use sqlx::PgPool;
use uuid::Uuid;

use crate::ReadError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Institution,
    Employee,
    Course,
    Offering,
    CompetencyFramework,
}

/// The kind of the record with this id, if any read model holds one.
pub async fn kind_of(pool: &PgPool, id: Uuid) -> Result<Option<RecordKind>, ReadError> {
    let kind: Option<String> = sqlx::query_scalar(
        "SELECT kind FROM (SELECT 'institution' AS kind FROM rm_institution WHERE id = $1
                           UNION ALL SELECT 'employee' FROM rm_employee WHERE id = $1
                           UNION ALL SELECT 'course' FROM rm_course WHERE id = $1
                           UNION ALL SELECT 'offering' FROM rm_offering WHERE id = $1
                           UNION ALL SELECT 'framework' FROM rm_competency_framework WHERE id = $1) k
          LIMIT 1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(kind.and_then(|k| match k.as_str() {
        "institution" => Some(RecordKind::Institution),
        "employee" => Some(RecordKind::Employee),
        "course" => Some(RecordKind::Course),
        "offering" => Some(RecordKind::Offering),
        "framework" => Some(RecordKind::CompetencyFramework),
        _ => None,
    }))
}
