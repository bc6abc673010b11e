//! The scorecard projection's writes: each fact event by event (each
//! statement idempotent), then, once per batch, the participation of every
//! employee the batch touched derived again from those facts.

use std::collections::BTreeSet;

use prasme_domain::course::CourseEvent;
use prasme_domain::employee::EmployeeEvent;
use prasme_domain::offering::OfferingEvent;
use prasme_domain::reference::wire_name;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::ProjectionError;

/// What a batch changed that participation depends on.
#[derive(Default)]
pub(super) struct Touched {
    employees: BTreeSet<Uuid>,
    /// Courses revised: their priority may have changed.
    courses: BTreeSet<Uuid>,
}

pub(super) async fn course(
    tx: &mut PgConnection,
    event: CourseEvent,
    touched: &mut Touched,
) -> Result<(), ProjectionError> {
    let (course_id, description, revised) = match event {
        CourseEvent::CourseCatalogued { course_id, description } => (course_id, description, false),
        CourseEvent::CourseRevised { course_id, description } => (course_id, description, true),
        CourseEvent::CourseRetired { .. } => return Ok(()),
    };
    sqlx::query(
        "INSERT INTO rm_scorecard_course (course_id, priority) VALUES ($1, $2)
         ON CONFLICT (course_id) DO UPDATE SET priority = EXCLUDED.priority",
    )
    .bind(course_id)
    .bind(wire_name(&description.priority))
    .execute(&mut *tx)
    .await?;
    if revised {
        touched.courses.insert(course_id);
    }
    Ok(())
}

pub(super) async fn offering(
    tx: &mut PgConnection,
    event: OfferingEvent,
    touched: &mut Touched,
) -> Result<(), ProjectionError> {
    match event {
        OfferingEvent::OfferingScheduled { offering_id, schedule } => {
            sqlx::query(
                "INSERT INTO rm_scorecard_offering (offering_id, course_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(offering_id)
            .bind(schedule.course_id)
            .execute(&mut *tx)
            .await?;
        }
        OfferingEvent::CompletionRecorded {
            offering_id,
            employee_id,
            result,
            ..
        } => {
            sqlx::query(
                "INSERT INTO rm_scorecard_completion (offering_id, employee_id, completed_on, passed, revoked)
                 VALUES ($1, $2, $3, $4, false)
                 ON CONFLICT (offering_id, employee_id) DO UPDATE
                    SET completed_on = EXCLUDED.completed_on, passed = EXCLUDED.passed, revoked = false",
            )
            .bind(offering_id)
            .bind(employee_id)
            .bind(result.completed_on)
            .bind(result.passed)
            .execute(&mut *tx)
            .await?;
            touched.employees.insert(employee_id);
        }
        OfferingEvent::CompletionRevoked {
            offering_id,
            employee_id,
            ..
        } => {
            sqlx::query(
                "UPDATE rm_scorecard_completion SET revoked = true WHERE offering_id = $1 AND employee_id = $2",
            )
            .bind(offering_id)
            .bind(employee_id)
            .execute(&mut *tx)
            .await?;
            touched.employees.insert(employee_id);
        }
        _ => {}
    }
    Ok(())
}

pub(super) async fn employee(
    tx: &mut PgConnection,
    event: EmployeeEvent,
    position: i64,
    touched: &mut Touched,
) -> Result<(), ProjectionError> {
    let (employee_id, institution_id, from) = match event {
        EmployeeEvent::EmployeeHired {
            employee_id,
            institution_id,
            hired_on,
            ..
        } => (employee_id, institution_id, hired_on),
        EmployeeEvent::EmployeeTransferred {
            employee_id,
            to_institution_id,
            effective_on,
            ..
        } => (employee_id, to_institution_id, effective_on),
        _ => return Ok(()),
    };
    sqlx::query(
        "INSERT INTO rm_scorecard_standing (employee_id, from_date, position, institution_id)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(employee_id)
    .bind(from)
    .bind(position)
    .bind(institution_id)
    .execute(&mut *tx)
    .await?;
    touched.employees.insert(employee_id);
    Ok(())
}

/// Derives again the participation of every employee `touched` names (and
/// of everyone with a completion of a revised course): their rows go, the
/// counters they were in go down, their rows come back from the facts, the
/// counters they are in go up, and a counter left at 0 is deleted.
pub(super) async fn participation(tx: &mut PgConnection, touched: Touched) -> Result<(), ProjectionError> {
    let mut employees: Vec<Uuid> = touched.employees.into_iter().collect();
    if !touched.courses.is_empty() {
        let courses: Vec<Uuid> = touched.courses.into_iter().collect();
        let of_courses: Vec<Uuid> = sqlx::query_scalar(
            "SELECT DISTINCT c.employee_id FROM rm_scorecard_completion c
               JOIN rm_scorecard_offering o ON o.offering_id = c.offering_id
              WHERE o.course_id = ANY ($1)",
        )
        .bind(&courses)
        .fetch_all(&mut *tx)
        .await?;
        employees.extend(of_courses);
        employees.sort_unstable();
        employees.dedup();
    }
    if employees.is_empty() {
        return Ok(());
    }
    let left = sqlx::query(
        "WITH gone AS (
             DELETE FROM rm_priority_participant WHERE employee_id = ANY ($1)
             RETURNING institution_id, year, priority)
         INSERT INTO rm_priority_participation (institution_id, year, priority, participants)
         SELECT institution_id, year, priority, -count(*) FROM gone GROUP BY institution_id, year, priority
         ON CONFLICT (institution_id, year, priority)
            DO UPDATE SET participants = rm_priority_participation.participants + EXCLUDED.participants
         RETURNING institution_id, year, priority",
    )
    .bind(&employees)
    .fetch_all(&mut *tx)
    .await?;
    // Where each completion's employee stood on its date: the latest
    // standing from that date or before (of two on one date, the later in
    // the log), else, for a date before the hire, the first.
    sqlx::query(
        "WITH came AS (
             INSERT INTO rm_priority_participant (institution_id, year, priority, employee_id)
             SELECT DISTINCT s.institution_id, extract(year FROM c.completed_on)::int, k.priority, c.employee_id
               FROM rm_scorecard_completion c
               JOIN rm_scorecard_offering o ON o.offering_id = c.offering_id
               JOIN rm_scorecard_course k ON k.course_id = o.course_id
               CROSS JOIN LATERAL (
                   SELECT st.institution_id FROM rm_scorecard_standing st
                    WHERE st.employee_id = c.employee_id
                    ORDER BY st.from_date <= c.completed_on DESC,
                             CASE WHEN st.from_date <= c.completed_on THEN st.from_date END DESC NULLS LAST,
                             CASE WHEN st.from_date <= c.completed_on THEN st.position END DESC NULLS LAST,
                             st.from_date, st.position
                    LIMIT 1) s
              WHERE c.employee_id = ANY ($1) AND c.passed AND NOT c.revoked
             RETURNING institution_id, year, priority)
         INSERT INTO rm_priority_participation (institution_id, year, priority, participants)
         SELECT institution_id, year, priority, count(*) FROM came GROUP BY institution_id, year, priority
         ON CONFLICT (institution_id, year, priority)
            DO UPDATE SET participants = rm_priority_participation.participants + EXCLUDED.participants",
    )
    .bind(&employees)
    .execute(&mut *tx)
    .await?;
    if !left.is_empty() {
        let mut institutions = Vec::with_capacity(left.len());
        let mut years = Vec::with_capacity(left.len());
        let mut priorities = Vec::with_capacity(left.len());
        for r in &left {
            institutions.push(r.try_get::<Uuid, _>("institution_id")?);
            years.push(r.try_get::<i32, _>("year")?);
            priorities.push(r.try_get::<String, _>("priority")?);
        }
        sqlx::query(
            "DELETE FROM rm_priority_participation p
              USING unnest($1::uuid[], $2::int[], $3::text[]) AS k(institution_id, year, priority)
              WHERE p.institution_id = k.institution_id AND p.year = k.year AND p.priority = k.priority
                AND p.participants = 0",
        )
        .bind(&institutions)
        .bind(&years)
        .bind(&priorities)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
