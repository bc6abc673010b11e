//! Read models of offerings (`rm_offering`) and places (`rm_place`): rosters
//! with their waitlist order, and the completions transcripts are made of.

pub mod activity;
pub mod read;
mod write;

use futures::future::BoxFuture;
use futures::FutureExt;
use prasme_domain::offering::OfferingEvent;
use prasme_domain::DomainEvent;
use prasme_eventstore::RecordedEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Change, Projection, ProjectionError};

pub struct OfferingProjection;

impl OfferingProjection {
    pub const NAME: &'static str = "offerings";
}

fn decode(event: &RecordedEvent) -> Result<Option<OfferingEvent>, ProjectionError> {
    crate::decode(event)
}

pub(crate) fn offering_of(event: &OfferingEvent) -> Uuid {
    use OfferingEvent as E;
    match event {
        E::OfferingScheduled { offering_id, .. }
        | E::CapacityChanged { offering_id, .. }
        | E::OfferingCancelled { offering_id, .. }
        | E::PlaceRequested { offering_id, .. }
        | E::RequestRejected { offering_id, .. }
        | E::ParticipantEnrolled { offering_id, .. }
        | E::ParticipantWaitlisted { offering_id, .. }
        | E::PlaceCancelled { offering_id, .. }
        | E::WaitlistedParticipantPromoted { offering_id, .. }
        | E::ParticipantSubstituted { offering_id, .. }
        | E::AttendanceRecorded { offering_id, .. }
        | E::CompletionRecorded { offering_id, .. }
        | E::CompletionRevoked { offering_id, .. }
        | E::FeedbackGiven { offering_id, .. } => *offering_id,
        E::TrainingCostCommitted(c) | E::TrainingCostReleased(c) | E::TrainingCostSpent(c) => c.offering_id,
    }
}

impl Projection for OfferingProjection {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn event_types(&self) -> Vec<&'static str> {
        OfferingEvent::EVENT_TYPES.to_vec()
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
                    decoded.push((event.position, e));
                }
            }
            write::Batch::load(tx, &decoded).await?.fold(decoded).write(tx).await
        }
        .boxed()
    }

    fn changes(&self, event: &RecordedEvent) -> Vec<Change> {
        let Ok(Some(e)) = decode(event) else { return vec![] };
        let mut changes = vec![Change::Offering {
            offering_id: offering_of(&e),
        }];
        if let OfferingEvent::CompletionRecorded { employee_id, .. }
        | OfferingEvent::CompletionRevoked { employee_id, .. } = e
        {
            changes.push(Change::Transcript { employee_id });
        }
        changes
    }

    fn reset<'a>(&'a self, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            for table in ["rm_learning_month", "rm_feedback", "rm_place", "rm_offering"] {
                sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
            }
            Ok(())
        }
        .boxed()
    }
}
