//! Read models of competencies (issue 20): the frameworks with every
//! version (`rm_competency_framework`, `rm_competency_framework_version`),
//! and each employee's assessments and talent reviews
//! (`rm_competency_assessment`, `rm_talent_review`).

pub mod profile;
pub mod read;
mod write;

use futures::future::BoxFuture;
use futures::FutureExt;
use prasme_domain::assessment::CompetenceEvent;
use prasme_domain::competency::FrameworkEvent;
use prasme_domain::DomainEvent;
use prasme_eventstore::RecordedEvent;
use sqlx::PgConnection;

use crate::{Change, Projection, ProjectionError};

pub struct CompetencyProjection;

impl CompetencyProjection {
    pub const NAME: &'static str = "competencies";
}

impl Projection for CompetencyProjection {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn event_types(&self) -> Vec<&'static str> {
        [FrameworkEvent::EVENT_TYPES, CompetenceEvent::EVENT_TYPES].concat()
    }

    fn apply<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        events: &'a [RecordedEvent],
    ) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            for event in events {
                if let Some(e) = crate::decode::<FrameworkEvent>(event)? {
                    write::framework(tx, e).await?;
                } else if let Some(e) = crate::decode::<CompetenceEvent>(event)? {
                    write::competence(tx, e, event.position).await?;
                }
            }
            Ok(())
        }
        .boxed()
    }

    fn changes(&self, event: &RecordedEvent) -> Vec<Change> {
        if let Ok(Some(e)) = crate::decode::<FrameworkEvent>(event) {
            return vec![Change::CompetencyFramework {
                framework_id: write::framework_of(&e),
            }];
        }
        match crate::decode::<CompetenceEvent>(event) {
            Ok(Some(e)) => vec![Change::CompetenceRecord {
                employee_id: write::employee_of(&e),
            }],
            _ => vec![],
        }
    }

    fn reset<'a>(&'a self, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            sqlx::query("DELETE FROM rm_competency_assessment")
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM rm_talent_review").execute(&mut *tx).await?;
            sqlx::query("DELETE FROM rm_competency_framework_version")
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM rm_competency_framework")
                .execute(&mut *tx)
                .await?;
            Ok(())
        }
        .boxed()
    }
}
