//! The feedback-cycle projection's writes, one event at a time.

use prasme_domain::feedback_cycle::{CycleStatus, FeedbackCycleEvent};
use prasme_domain::reference::wire_name as wire;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::ProjectionError;

async fn status(
    tx: &mut PgConnection,
    cycle_id: Uuid,
    status: CycleStatus,
    reason: Option<String>,
    position: i64,
) -> Result<(), ProjectionError> {
    sqlx::query("UPDATE rm_feedback_cycle SET status = $2, cancel_reason = $3, position = $4 WHERE cycle_id = $1")
        .bind(cycle_id)
        .bind(wire(&status))
        .bind(reason)
        .bind(position)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub(super) async fn cycle(
    tx: &mut PgConnection,
    event: FeedbackCycleEvent,
    position: i64,
) -> Result<(), ProjectionError> {
    use FeedbackCycleEvent as E;
    match event {
        E::FeedbackCycleOpened {
            cycle_id,
            subject_id,
            institution_id,
            framework_id,
            framework_version,
            competencies,
            deadline,
            min_raters,
        } => {
            let competencies = serde_json::to_value(&competencies).map_err(|e| ProjectionError::BadEvent {
                position,
                reason: e.to_string(),
            })?;
            sqlx::query(
                "INSERT INTO rm_feedback_cycle (cycle_id, subject_id, institution_id, framework_id, framework_version,
                     competencies, deadline, min_raters, status, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
            )
            .bind(cycle_id)
            .bind(subject_id)
            .bind(institution_id)
            .bind(framework_id)
            .bind(i64::from(framework_version))
            .bind(competencies)
            .bind(deadline)
            .bind(i32::from(min_raters))
            .bind(wire(&CycleStatus::Open))
            .bind(position)
            .execute(&mut *tx)
            .await?;
        }
        E::RaterInvited {
            cycle_id, relationship, ..
        } => {
            sqlx::query(
                "INSERT INTO rm_feedback_invited (cycle_id, relationship, invited) VALUES ($1, $2, 1)
                 ON CONFLICT (cycle_id, relationship) DO UPDATE SET invited = rm_feedback_invited.invited + 1",
            )
            .bind(cycle_id)
            .bind(wire(&relationship))
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE rm_feedback_cycle SET position = $2 WHERE cycle_id = $1")
                .bind(cycle_id)
                .bind(position)
                .execute(&mut *tx)
                .await?;
        }
        // The pseudonym stays in the log: the read model has no column for it.
        E::FeedbackSubmitted {
            cycle_id,
            relationship,
            ratings,
            comment,
            ..
        } => {
            let ratings = serde_json::to_value(&ratings).map_err(|e| ProjectionError::BadEvent {
                position,
                reason: e.to_string(),
            })?;
            sqlx::query(
                "INSERT INTO rm_feedback_response (cycle_id, relationship, ratings, comment) VALUES ($1, $2, $3, $4)",
            )
            .bind(cycle_id)
            .bind(wire(&relationship))
            .bind(ratings)
            .bind(comment)
            .execute(&mut *tx)
            .await?;
        }
        E::FeedbackCycleClosed {
            cycle_id,
            responses_by_group,
            ..
        } => {
            // The counts come from the close: a group under its minimum has
            // no responses written to count.
            for group in responses_by_group {
                sqlx::query("UPDATE rm_feedback_invited SET responses = $3 WHERE cycle_id = $1 AND relationship = $2")
                    .bind(cycle_id)
                    .bind(wire(&group.relationship))
                    .bind(i64::from(group.responses))
                    .execute(&mut *tx)
                    .await?;
            }
            status(tx, cycle_id, CycleStatus::Closed, None, position).await?
        }
        E::FeedbackCycleCancelled { cycle_id, reason, .. } => {
            status(tx, cycle_id, CycleStatus::Cancelled, Some(reason), position).await?
        }
    }
    Ok(())
}
