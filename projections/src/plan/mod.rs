//! Read model of the Learning and Development Plan (issue 21): the plan
//! (`rm_plan`), its priorities with annex 5's funding
//! (`rm_plan_priority`), its measures (`rm_plan_measure`) and every result
//! indicator with its current targets, retired ones included
//! (`rm_plan_indicator`).

pub mod read;
mod write;

use futures::future::BoxFuture;
use futures::FutureExt;
use prasme_domain::plan::PlanEvent;
use prasme_domain::DomainEvent;
use prasme_eventstore::RecordedEvent;
use sqlx::PgConnection;

use crate::{Change, Projection, ProjectionError};

pub struct PlanProjection;

impl PlanProjection {
    pub const NAME: &'static str = "plan";
}

impl Projection for PlanProjection {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn event_types(&self) -> Vec<&'static str> {
        PlanEvent::EVENT_TYPES.to_vec()
    }

    fn apply<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        events: &'a [RecordedEvent],
    ) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            for event in events {
                if let Some(e) = crate::decode::<PlanEvent>(event)? {
                    write::plan(tx, e, event.position).await?;
                }
            }
            Ok(())
        }
        .boxed()
    }

    /// Nobody subscribes to the plan's text; its indicators' values are
    /// issue 21's `kpiUpdated`.
    fn changes(&self, _event: &RecordedEvent) -> Vec<Change> {
        vec![]
    }

    fn reset<'a>(&'a self, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            for table in ["rm_plan_indicator", "rm_plan_measure", "rm_plan_priority", "rm_plan"] {
                sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
            }
            Ok(())
        }
        .boxed()
    }
}
