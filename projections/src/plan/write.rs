//! The plan projection's writes, one event at a time.

use prasme_domain::plan::{indicator_id, Indicator, PlanEvent};
use serde::Serialize;
use sqlx::types::Json;
use sqlx::PgConnection;

use crate::ProjectionError;

fn json<T: Serialize>(value: &T, position: i64) -> Result<serde_json::Value, ProjectionError> {
    serde_json::to_value(value).map_err(|e| ProjectionError::BadEvent {
        position,
        reason: e.to_string(),
    })
}

async fn indicator(
    tx: &mut PgConnection,
    id: &str,
    measure: &str,
    indicator: &Indicator,
    position: i64,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "INSERT INTO rm_plan_indicator (indicator_id, measure, number, text_lv, text_en, target, secondary_target,
             defined_at, position, computation)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(measure)
    .bind(i32::from(indicator.number))
    .bind(&indicator.text_lv)
    .bind(&indicator.text_en)
    .bind(indicator.target.map(Json))
    .bind(indicator.secondary_target.map(Json))
    .bind(position)
    .bind(indicator.computation.as_ref().map(Json))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub(super) async fn plan(tx: &mut PgConnection, event: PlanEvent, position: i64) -> Result<(), ProjectionError> {
    match event {
        PlanEvent::PlanPublished { plan_id, content } => {
            sqlx::query(
                "INSERT INTO rm_plan (plan_id, code, title_lv, title_en, source, chancellery_targets, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            )
            .bind(plan_id)
            .bind(&content.code)
            .bind(&content.title_lv)
            .bind(&content.title_en)
            .bind(&content.source)
            .bind(json(&content.chancellery_targets, position)?)
            .bind(position)
            .execute(&mut *tx)
            .await?;
            for p in &content.priorities {
                sqlx::query(
                    "INSERT INTO rm_plan_priority (number, title_lv, title_en, indicative_funding_cents,
                         funding_note_lv, planned_learners, funding_by_year)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                )
                .bind(i32::from(p.number))
                .bind(&p.title_lv)
                .bind(&p.title_en)
                .bind(p.indicative_funding_cents)
                .bind(&p.funding_note_lv)
                .bind(
                    p.planned_learners
                        .map(i32::try_from)
                        .transpose()
                        .map_err(|e| ProjectionError::BadEvent {
                            position,
                            reason: e.to_string(),
                        })?,
                )
                .bind(json(&p.funding_by_year, position)?)
                .execute(&mut *tx)
                .await?;
                for (ordinal, m) in p.measures.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO rm_plan_measure (code, priority, ordinal, title_lv, title_en, outputs_lv,
                             responsible, co_responsible, cooperating, deadline_year)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
                    )
                    .bind(&m.code)
                    .bind(i32::from(p.number))
                    .bind(ordinal as i32)
                    .bind(&m.title_lv)
                    .bind(&m.title_en)
                    .bind(json(&m.outputs_lv, position)?)
                    .bind(json(&m.responsible, position)?)
                    .bind(json(&m.co_responsible, position)?)
                    .bind(json(&m.cooperating, position)?)
                    .bind(m.deadline_year)
                    .execute(&mut *tx)
                    .await?;
                    for i in &m.indicators {
                        indicator(tx, &indicator_id(&m.code, i.number), &m.code, i, position).await?;
                    }
                }
            }
        }
        PlanEvent::IndicatorDefined {
            indicator_id,
            measure,
            indicator: i,
            ..
        } => indicator(tx, &indicator_id, &measure, &i, position).await?,
        PlanEvent::IndicatorTargetChanged {
            indicator_id,
            target,
            secondary_target,
            ..
        } => {
            sqlx::query(
                "UPDATE rm_plan_indicator SET target = $2, secondary_target = $3, position = $4
                  WHERE indicator_id = $1",
            )
            .bind(indicator_id)
            .bind(target.map(Json))
            .bind(secondary_target.map(Json))
            .bind(position)
            .execute(&mut *tx)
            .await?;
        }
        PlanEvent::IndicatorRetired {
            indicator_id, reason, ..
        } => {
            sqlx::query(
                "UPDATE rm_plan_indicator SET retired = true, retire_reason = $2, position = $3
                  WHERE indicator_id = $1",
            )
            .bind(indicator_id)
            .bind(reason)
            .bind(position)
            .execute(&mut *tx)
            .await?;
        }
        // Progress records are facts the KPI engine counts; the plan's text
        // does not change.
        PlanEvent::PlanProgressRecorded { .. } | PlanEvent::PlanProgressWithdrawn { .. } => {}
    }
    Ok(())
}
