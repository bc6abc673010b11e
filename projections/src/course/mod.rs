//! Read model of the course catalogue (`rm_course`).

pub mod read;

use futures::future::BoxFuture;
use futures::FutureExt;
use prasme_domain::course::{CourseDescription, CourseEvent};
use prasme_domain::reference::wire_name as wire;
use prasme_domain::DomainEvent;
use prasme_eventstore::RecordedEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Change, Projection, ProjectionError};

pub struct CourseProjection;

impl CourseProjection {
    pub const NAME: &'static str = "courses";
}

fn decode(event: &RecordedEvent) -> Result<Option<CourseEvent>, ProjectionError> {
    crate::decode(event)
}

impl Projection for CourseProjection {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn event_types(&self) -> Vec<&'static str> {
        CourseEvent::EVENT_TYPES.to_vec()
    }

    fn apply<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        events: &'a [RecordedEvent],
    ) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            for event in events {
                match decode(event)? {
                    Some(CourseEvent::CourseCatalogued { course_id, description })
                    | Some(CourseEvent::CourseRevised { course_id, description }) => {
                        upsert(tx, course_id, &description).await?
                    }
                    Some(CourseEvent::CourseRetired { course_id, reason }) => {
                        sqlx::query("UPDATE rm_course SET retired = true, retired_reason = $2 WHERE id = $1")
                            .bind(course_id)
                            .bind(reason)
                            .execute(&mut *tx)
                            .await?;
                    }
                    None => {}
                }
            }
            Ok(())
        }
        .boxed()
    }

    fn changes(&self, event: &RecordedEvent) -> Vec<Change> {
        match decode(event) {
            Ok(Some(
                CourseEvent::CourseCatalogued { course_id, .. }
                | CourseEvent::CourseRevised { course_id, .. }
                | CourseEvent::CourseRetired { course_id, .. },
            )) => vec![Change::Course { course_id }],
            _ => vec![],
        }
    }

    fn reset<'a>(&'a self, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            sqlx::query("DELETE FROM rm_course").execute(&mut *tx).await?;
            Ok(())
        }
        .boxed()
    }
}

async fn upsert(tx: &mut PgConnection, id: Uuid, d: &CourseDescription) -> Result<(), sqlx::Error> {
    let owner = d.owner.parts();
    sqlx::query(
        "INSERT INTO rm_course (id, title, owner_level, owner_resor, owner_institution, owner_group, priority,
                                measures, course_type, knowledge_test, duration_minutes, language, competencies)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (id) DO UPDATE SET
           title = $2, owner_level = $3, owner_resor = $4, owner_institution = $5, owner_group = $6,
           priority = $7, measures = $8, course_type = $9, knowledge_test = $10, duration_minutes = $11,
           language = $12, competencies = $13",
    )
    .bind(id)
    .bind(&d.title)
    .bind(wire(&owner.level))
    .bind(owner.resor.map(|r| wire(&r)))
    .bind(owner.institution_id)
    .bind(owner.group)
    .bind(i32::from(d.priority.number()))
    .bind(&d.measures)
    .bind(wire(&d.course_type))
    .bind(d.knowledge_test)
    .bind(d.duration_minutes)
    .bind(&d.language)
    .bind(&d.competencies)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
