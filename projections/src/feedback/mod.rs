//! Read model of 360-degree feedback cycles (issue 20): the cycles
//! (`rm_feedback_cycle`), how many raters each group invited
//! (`rm_feedback_invited`, counts only, never who) and, once a cycle is
//! closed, its responses (`rm_feedback_response`: group, ratings and
//! comment, with no pseudonym and in no meaningful order).

pub mod read;
mod write;

use futures::future::BoxFuture;
use futures::FutureExt;
use prasme_domain::feedback_cycle::FeedbackCycleEvent;
use prasme_domain::DomainEvent;
use prasme_eventstore::RecordedEvent;
use sqlx::PgConnection;

use crate::{Change, Projection, ProjectionError};

pub struct FeedbackCycleProjection;

impl FeedbackCycleProjection {
    pub const NAME: &'static str = "feedback_cycles";
}

impl Projection for FeedbackCycleProjection {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn event_types(&self) -> Vec<&'static str> {
        FeedbackCycleEvent::EVENT_TYPES.to_vec()
    }

    fn apply<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        events: &'a [RecordedEvent],
    ) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            for event in events {
                if let Some(e) = crate::decode::<FeedbackCycleEvent>(event)? {
                    write::cycle(tx, e, event.position).await?;
                }
            }
            Ok(())
        }
        .boxed()
    }

    /// Only what counts per group say: an invitation, the close, the
    /// cancellation. A submission is no event until the close.
    fn changes(&self, event: &RecordedEvent) -> Vec<Change> {
        use FeedbackCycleEvent as E;
        match crate::decode::<FeedbackCycleEvent>(event) {
            Ok(Some(
                E::FeedbackCycleOpened { cycle_id, .. }
                | E::RaterInvited { cycle_id, .. }
                | E::FeedbackCycleClosed { cycle_id, .. }
                | E::FeedbackCycleCancelled { cycle_id, .. },
            )) => vec![Change::FeedbackCycle { cycle_id }],
            _ => vec![],
        }
    }

    fn reset<'a>(&'a self, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            for table in ["rm_feedback_response", "rm_feedback_invited", "rm_feedback_cycle"] {
                sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
            }
            Ok(())
        }
        .boxed()
    }
}
