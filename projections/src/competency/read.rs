//! The typed reader of the competency frameworks. Frameworks are reference
//! data: every signed-in caller reads them, so no scope applies.

use prasme_domain::competency::FrameworkContent;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::page::{bind_pair, Page, Window};
use crate::ReadError;

pub struct FrameworkRow {
    pub id: Uuid,
    /// The newest version's title.
    pub title: String,
    pub latest_version: i64,
    pub retired: bool,
    pub retired_reason: Option<String>,
}

const COLUMNS: &str = "id, title, latest_version, retired, retired_reason";

fn framework(r: &PgRow) -> Result<FrameworkRow, ReadError> {
    Ok(FrameworkRow {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        latest_version: r.try_get("latest_version")?,
        retired: r.try_get("retired")?,
        retired_reason: r.try_get("retired_reason")?,
    })
}

pub async fn framework_by_id(pool: &PgPool, id: Uuid) -> Result<Option<FrameworkRow>, ReadError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM rm_competency_framework WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(framework).transpose()
}

/// What one version of a framework says, if it has that version.
pub async fn framework_version(pool: &PgPool, id: Uuid, version: i64) -> Result<Option<FrameworkContent>, ReadError> {
    let content: Option<Json<FrameworkContent>> = sqlx::query_scalar(
        "SELECT content FROM rm_competency_framework_version WHERE framework_id = $1 AND version = $2",
    )
    .bind(id)
    .bind(version)
    .fetch_optional(pool)
    .await?;
    Ok(content.map(|c| c.0))
}

/// Frameworks are listed by title, then id.
pub type FrameworkKey = (String, Uuid);

/// A window of the frameworks, retired ones only when asked for.
pub async fn frameworks(
    pool: &PgPool,
    include_retired: bool,
    window: &Window<FrameworkKey>,
) -> Result<Page<FrameworkKey, FrameworkRow>, ReadError> {
    let page = format!(
        "SELECT {COLUMNS} FROM rm_competency_framework f WHERE ($6 OR NOT f.retired)
            AND ($1::text IS NULL OR (f.title, f.id) > ($1, $2))
            AND ($3::text IS NULL OR (f.title, f.id) < ($3, $4))
          ORDER BY f.title {d}, f.id {d}
          LIMIT $5",
        d = window.direction()
    );
    let rows = bind_pair(sqlx::query(&page), window)
        .bind(include_retired)
        .fetch_all(pool)
        .await?;
    let total = sqlx::query_scalar("SELECT count(*) FROM rm_competency_framework WHERE ($1 OR NOT retired)")
        .bind(include_retired)
        .fetch_one(pool)
        .await?;
    let rows = rows
        .iter()
        .map(|r| framework(r).map(|f| ((f.title.clone(), f.id), f)))
        .collect::<Result<_, _>>()?;
    Ok(Page { rows, total })
}
