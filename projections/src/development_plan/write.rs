//! The development-plan projection's writes: one event at a time, each
//! statement idempotent, so a rebuild in any batches ends the same.

use prasme_domain::development_plan::DevelopmentPlanEvent;
use prasme_domain::reference::wire_name as wire;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::ProjectionError;

pub(super) fn plan_of(event: &DevelopmentPlanEvent) -> (Uuid, Uuid) {
    use DevelopmentPlanEvent as E;
    match event {
        E::DevelopmentPlanCreated {
            plan_id, employee_id, ..
        }
        | E::DevelopmentPlanApproved {
            plan_id, employee_id, ..
        }
        | E::GoalProgressRecorded {
            plan_id, employee_id, ..
        }
        | E::DevelopmentActivityCompleted {
            plan_id, employee_id, ..
        }
        | E::DevelopmentPlanReviewed {
            plan_id, employee_id, ..
        } => (*plan_id, *employee_id),
    }
}

pub(super) async fn plan(
    tx: &mut PgConnection,
    event: DevelopmentPlanEvent,
    position: i64,
) -> Result<(), ProjectionError> {
    use DevelopmentPlanEvent as E;
    match event {
        E::DevelopmentPlanCreated {
            plan_id,
            employee_id,
            institution_id,
            resor,
            period,
            goals,
            activities,
        } => {
            sqlx::query(
                "INSERT INTO rm_development_plan (plan_id, employee_id, institution_id, resor, starts_on, ends_on, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            )
            .bind(plan_id)
            .bind(employee_id)
            .bind(institution_id)
            .bind(resor.as_ref().map(wire))
            .bind(period.starts_on)
            .bind(period.ends_on)
            .bind(position)
            .execute(&mut *tx)
            .await?;
            for (ordinal, g) in goals.into_iter().enumerate() {
                sqlx::query(
                    "INSERT INTO rm_development_goal (plan_id, goal_id, ordinal, framework_id, framework_version,
                         competency, target_level, levels)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                )
                .bind(plan_id)
                .bind(g.goal.goal_id)
                .bind(ordinal as i32)
                .bind(g.goal.framework_id)
                .bind(i64::from(g.goal.framework_version))
                .bind(g.goal.competency)
                .bind(i32::from(g.goal.target_level))
                .bind(i32::from(g.levels))
                .execute(&mut *tx)
                .await?;
            }
            for (ordinal, a) in activities.into_iter().enumerate() {
                sqlx::query(
                    "INSERT INTO rm_development_activity (plan_id, activity_id, ordinal, kind, title, course_id, goal_id)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                )
                .bind(plan_id)
                .bind(a.activity_id)
                .bind(ordinal as i32)
                .bind(wire(&a.kind))
                .bind(a.title)
                .bind(a.course_id)
                .bind(a.goal_id)
                .execute(&mut *tx)
                .await?;
            }
        }
        E::DevelopmentPlanApproved {
            plan_id,
            approver_id,
            approved_on,
            ..
        } => {
            // The plan's activities count, once, in every year its period
            // overlaps, for the institution it was made in.
            sqlx::query(
                "WITH approved AS (
                     UPDATE rm_development_plan SET approved_on = $2, approver_id = $3
                      WHERE plan_id = $1 AND approved_on IS NULL
                     RETURNING plan_id, institution_id, starts_on, ends_on)
                 INSERT INTO rm_plan_activity_year (institution_id, year, activities, workplace)
                 SELECT p.institution_id, y, count(*)::int, (count(*) FILTER (WHERE a.kind = ANY ($4)))::int
                   FROM approved p JOIN rm_development_activity a ON a.plan_id = p.plan_id,
                        generate_series(extract(year FROM p.starts_on)::int, extract(year FROM p.ends_on)::int) AS y
                  GROUP BY 1, 2
                 ON CONFLICT (institution_id, year) DO UPDATE
                    SET activities = rm_plan_activity_year.activities + EXCLUDED.activities,
                        workplace = rm_plan_activity_year.workplace + EXCLUDED.workplace",
            )
            .bind(plan_id)
            .bind(approved_on)
            .bind(approver_id)
            .bind(super::read::workplace_kinds())
            .execute(&mut *tx)
            .await?;
        }
        E::GoalProgressRecorded {
            plan_id,
            goal_id,
            level,
            achieved,
            recorded_on,
            note,
            ..
        } => {
            sqlx::query(
                "UPDATE rm_development_goal SET level = $3, achieved = $4, recorded_on = $5, note = $6
                  WHERE plan_id = $1 AND goal_id = $2",
            )
            .bind(plan_id)
            .bind(goal_id)
            .bind(i32::from(level))
            .bind(achieved)
            .bind(recorded_on)
            .bind(note)
            .execute(&mut *tx)
            .await?;
        }
        E::DevelopmentActivityCompleted {
            plan_id,
            activity_id,
            completed_on,
            note,
            ..
        } => {
            sqlx::query(
                "UPDATE rm_development_activity SET completed_on = $3, note = $4 WHERE plan_id = $1 AND activity_id = $2",
            )
            .bind(plan_id)
            .bind(activity_id)
            .bind(completed_on)
            .bind(note)
            .execute(&mut *tx)
            .await?;
        }
        E::DevelopmentPlanReviewed {
            plan_id,
            reviewed_on,
            summary,
            goals_achieved,
            goals_total,
            ..
        } => {
            sqlx::query(
                "UPDATE rm_development_plan SET reviewed_on = $2, summary = $3, goals_achieved = $4, goals_total = $5
                  WHERE plan_id = $1",
            )
            .bind(plan_id)
            .bind(reviewed_on)
            .bind(summary)
            .bind(goals_achieved as i32)
            .bind(goals_total as i32)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}
