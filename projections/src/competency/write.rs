//! The competency projection's writes. Frameworks are published a few
//! times a year, so each event is one statement, in log order.

use prasme_domain::competency::FrameworkEvent;
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::ProjectionError;

pub(super) fn framework_of(event: &FrameworkEvent) -> Uuid {
    match event {
        FrameworkEvent::CompetencyFrameworkPublished { framework_id, .. }
        | FrameworkEvent::CompetencyFrameworkRevised { framework_id, .. }
        | FrameworkEvent::CompetencyFrameworkRetired { framework_id, .. } => *framework_id,
    }
}

pub(super) async fn framework(tx: &mut PgConnection, event: FrameworkEvent) -> Result<(), ProjectionError> {
    match event {
        FrameworkEvent::CompetencyFrameworkPublished {
            framework_id,
            version,
            content,
        }
        | FrameworkEvent::CompetencyFrameworkRevised {
            framework_id,
            version,
            content,
        } => {
            let version = i64::from(version);
            sqlx::query(
                "INSERT INTO rm_competency_framework (id, title, latest_version) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, latest_version = EXCLUDED.latest_version",
            )
            .bind(framework_id)
            .bind(&content.title)
            .bind(version)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO rm_competency_framework_version (framework_id, version, content) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
            )
            .bind(framework_id)
            .bind(version)
            .bind(Json(&content))
            .execute(&mut *tx)
            .await?;
        }
        FrameworkEvent::CompetencyFrameworkRetired { framework_id, reason } => {
            sqlx::query("UPDATE rm_competency_framework SET retired = true, retired_reason = $2 WHERE id = $1")
                .bind(framework_id)
                .bind(reason)
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}
