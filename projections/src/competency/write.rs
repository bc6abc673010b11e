//! The competency projection's writes. Frameworks are published a few
//! times a year, and an employee is assessed a few times a year, so each
//! event is one statement, in log order.

use prasme_domain::assessment::CompetenceEvent;
use prasme_domain::competency::FrameworkEvent;
use prasme_domain::reference::wire_name as wire;
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

pub(super) fn employee_of(event: &CompetenceEvent) -> Uuid {
    match event {
        CompetenceEvent::CompetencyAssessed { employee_id, .. }
        | CompetenceEvent::TalentReviewed { employee_id, .. } => *employee_id,
    }
}

/// Inserts are idempotent on the fact's id: a rebuild replays them.
pub(super) async fn competence(
    tx: &mut PgConnection,
    event: CompetenceEvent,
    position: i64,
) -> Result<(), ProjectionError> {
    match event {
        CompetenceEvent::CompetencyAssessed {
            assessment_id,
            employee_id,
            institution_id,
            resor,
            job_groups,
            framework_id,
            framework_version,
            competency,
            level,
            required_level,
            method,
            feedback_cycle_id,
            assessor_id,
            assessed_on,
            evidence_note,
        } => {
            sqlx::query(
                "INSERT INTO rm_competency_assessment (assessment_id, employee_id, institution_id, resor, job_groups,
                    framework_id, framework_version, competency, level, required_level, method, feedback_cycle_id,
                    assessor_id, assessed_on, evidence_note, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                 ON CONFLICT DO NOTHING",
            )
            .bind(assessment_id)
            .bind(employee_id)
            .bind(institution_id)
            .bind(resor.as_ref().map(wire))
            .bind(job_groups.iter().map(wire).collect::<Vec<_>>())
            .bind(framework_id)
            .bind(i64::from(framework_version))
            .bind(competency)
            .bind(i32::from(level))
            .bind(required_level.map(i32::from))
            .bind(wire(&method))
            .bind(feedback_cycle_id)
            .bind(assessor_id)
            .bind(assessed_on)
            .bind(evidence_note)
            .bind(position)
            .execute(&mut *tx)
            .await?;
        }
        CompetenceEvent::TalentReviewed {
            review_id,
            employee_id,
            institution_id,
            resor,
            job_groups: _,
            performance,
            potential,
            reviewer_id,
            reviewed_on,
        } => {
            sqlx::query(
                "INSERT INTO rm_talent_review (review_id, employee_id, institution_id, resor, performance, potential,
                    reviewer_id, reviewed_on, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT DO NOTHING",
            )
            .bind(review_id)
            .bind(employee_id)
            .bind(institution_id)
            .bind(resor.as_ref().map(wire))
            .bind(wire(&performance))
            .bind(wire(&potential))
            .bind(reviewer_id)
            .bind(reviewed_on)
            .bind(position)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}
