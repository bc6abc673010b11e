//! Read model of the course catalogue (`rm_course`).

pub mod read;
mod write;

use futures::future::BoxFuture;
use futures::FutureExt;
use prasme_domain::course::CourseEvent;
use prasme_domain::DomainEvent;
use prasme_eventstore::RecordedEvent;
use sqlx::PgConnection;

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
            let mut decoded = Vec::with_capacity(events.len());
            for event in events {
                if let Some(e) = decode(event)? {
                    decoded.push(e);
                }
            }
            write::Batch::load(tx, &decoded).await?.fold(decoded).write(tx).await
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
