//! Read model of individual development plans (issue 20): plans, their
//! goals and activities (`rm_development_plan`, `rm_development_goal`,
//! `rm_development_activity`). Plans are made about once a year per
//! person, so each event is a statement or two, in log order.

pub mod read;
mod write;

use futures::future::BoxFuture;
use futures::FutureExt;
use prasme_domain::development_plan::DevelopmentPlanEvent;
use prasme_domain::DomainEvent;
use prasme_eventstore::RecordedEvent;
use sqlx::PgConnection;

use crate::{Change, Projection, ProjectionError};

pub struct DevelopmentPlanProjection;

impl DevelopmentPlanProjection {
    pub const NAME: &'static str = "development_plans";
}

impl Projection for DevelopmentPlanProjection {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn event_types(&self) -> Vec<&'static str> {
        DevelopmentPlanEvent::EVENT_TYPES.to_vec()
    }

    fn apply<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        events: &'a [RecordedEvent],
    ) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            for event in events {
                if let Some(e) = crate::decode::<DevelopmentPlanEvent>(event)? {
                    write::plan(tx, e, event.position).await?;
                }
            }
            Ok(())
        }
        .boxed()
    }

    fn changes(&self, event: &RecordedEvent) -> Vec<Change> {
        match crate::decode::<DevelopmentPlanEvent>(event) {
            Ok(Some(e)) => {
                let (plan_id, employee_id) = write::plan_of(&e);
                vec![Change::DevelopmentPlan { plan_id, employee_id }]
            }
            _ => vec![],
        }
    }

    fn reset<'a>(&'a self, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            for table in [
                "rm_plan_activity_year",
                "rm_development_activity",
                "rm_development_goal",
                "rm_development_plan",
            ] {
                sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
            }
            Ok(())
        }
        .boxed()
    }
}
