//! Read models of offerings (`rm_offering`) and places (`rm_place`): rosters
//! with their waitlist order, and the completions transcripts are made of.

pub mod activity;
pub mod read;

use futures::future::BoxFuture;
use futures::FutureExt;
use prasme_domain::offering::{Feedback, OfferingEvent, PlaceStatus};
use prasme_domain::reference::wire_name as wire;
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

fn offering_of(event: &OfferingEvent) -> Uuid {
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
            for event in events {
                if let Some(decoded) = decode(event)? {
                    apply(tx, event.position, decoded).await?;
                }
            }
            Ok(())
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
            for table in ["rm_feedback", "rm_place", "rm_offering"] {
                sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
            }
            Ok(())
        }
        .boxed()
    }
}

async fn set_status(
    tx: &mut PgConnection,
    offering: Uuid,
    employee: Uuid,
    status: PlaceStatus,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE rm_place SET status = $3 WHERE offering_id = $1 AND employee_id = $2")
        .bind(offering)
        .bind(employee)
        .bind(wire(&status))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

async fn apply(tx: &mut PgConnection, position: i64, event: OfferingEvent) -> Result<(), sqlx::Error> {
    use OfferingEvent as E;
    match event {
        E::OfferingScheduled { offering_id, schedule } => {
            sqlx::query(
                "INSERT INTO rm_offering (id, course_id, starts_on, ends_on, format, capacity, cost_cents, organiser)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(offering_id)
            .bind(schedule.course_id)
            .bind(schedule.starts_on)
            .bind(schedule.ends_on)
            .bind(wire(&schedule.format))
            .bind(schedule.capacity)
            .bind(schedule.cost_per_participant.0)
            .bind(schedule.organiser)
            .execute(&mut *tx)
            .await?;
        }
        E::CapacityChanged { offering_id, capacity } => {
            sqlx::query("UPDATE rm_offering SET capacity = $2 WHERE id = $1")
                .bind(offering_id)
                .bind(capacity)
                .execute(&mut *tx)
                .await?;
        }
        E::OfferingCancelled { offering_id, reason } => {
            sqlx::query("UPDATE rm_offering SET cancelled = true, cancel_reason = $2 WHERE id = $1")
                .bind(offering_id)
                .bind(reason)
                .execute(&mut *tx)
                .await?;
            // Every seat is released.
            sqlx::query("UPDATE rm_place SET status = $2 WHERE offering_id = $1 AND status = ANY($3)")
                .bind(offering_id)
                .bind(wire(&PlaceStatus::Cancelled))
                .bind(
                    [PlaceStatus::Requested, PlaceStatus::Enrolled, PlaceStatus::Waitlisted]
                        .iter()
                        .map(wire)
                        .collect::<Vec<_>>(),
                )
                .execute(&mut *tx)
                .await?;
        }
        E::PlaceRequested {
            offering_id,
            employee_id,
            institution_id,
        } => {
            // A new request after a cancelled or rejected one starts afresh.
            sqlx::query(
                "INSERT INTO rm_place (offering_id, employee_id, institution_id, status) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (offering_id, employee_id) DO UPDATE SET
                   institution_id = $3, status = $4, waitlisted_at = NULL, attendance = NULL",
            )
            .bind(offering_id)
            .bind(employee_id)
            .bind(institution_id)
            .bind(wire(&PlaceStatus::Requested))
            .execute(&mut *tx)
            .await?;
        }
        E::RequestRejected {
            offering_id,
            employee_id,
            ..
        } => set_status(tx, offering_id, employee_id, PlaceStatus::Rejected).await?,
        E::ParticipantEnrolled {
            offering_id,
            employee_id,
            ..
        }
        | E::WaitlistedParticipantPromoted {
            offering_id,
            employee_id,
        } => set_status(tx, offering_id, employee_id, PlaceStatus::Enrolled).await?,
        E::ParticipantWaitlisted {
            offering_id,
            employee_id,
            ..
        } => {
            sqlx::query(
                "UPDATE rm_place SET status = $4, waitlisted_at = $3 WHERE offering_id = $1 AND employee_id = $2",
            )
            .bind(offering_id)
            .bind(employee_id)
            .bind(position)
            .bind(wire(&PlaceStatus::Waitlisted))
            .execute(&mut *tx)
            .await?;
        }
        E::PlaceCancelled {
            offering_id,
            employee_id,
            ..
        } => set_status(tx, offering_id, employee_id, PlaceStatus::Cancelled).await?,
        E::ParticipantSubstituted {
            offering_id,
            employee_id,
            substitute_id,
            institution_id,
        } => {
            set_status(tx, offering_id, employee_id, PlaceStatus::Substituted).await?;
            sqlx::query(
                "INSERT INTO rm_place (offering_id, employee_id, institution_id, status) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (offering_id, employee_id) DO UPDATE SET status = $4, waitlisted_at = NULL",
            )
            .bind(offering_id)
            .bind(substitute_id)
            .bind(institution_id)
            .bind(wire(&PlaceStatus::Enrolled))
            .execute(&mut *tx)
            .await?;
        }
        E::AttendanceRecorded {
            offering_id,
            employee_id,
            attendance,
        } => {
            sqlx::query("UPDATE rm_place SET attendance = $3 WHERE offering_id = $1 AND employee_id = $2")
                .bind(offering_id)
                .bind(employee_id)
                .bind(wire(&attendance))
                .execute(&mut *tx)
                .await?;
        }
        E::CompletionRecorded {
            offering_id,
            employee_id,
            result,
            certificate_number,
        } => {
            sqlx::query(
                "UPDATE rm_place SET certificate_number = $3, passed = $4, score = $5, knowledge_test_passed = $6,
                        minutes = $7, completed_on = $8, revoked = false
                  WHERE offering_id = $1 AND employee_id = $2",
            )
            .bind(offering_id)
            .bind(employee_id)
            .bind(certificate_number)
            .bind(result.passed)
            .bind(result.score)
            .bind(result.knowledge_test_passed)
            .bind(result.minutes)
            .bind(result.completed_on)
            .execute(&mut *tx)
            .await?;
        }
        E::CompletionRevoked {
            offering_id,
            employee_id,
            ..
        } => {
            // The number stays, marked revoked, so a verifier learns why it no longer counts.
            sqlx::query("UPDATE rm_place SET revoked = true WHERE offering_id = $1 AND employee_id = $2")
                .bind(offering_id)
                .bind(employee_id)
                .execute(&mut *tx)
                .await?;
        }
        E::FeedbackGiven {
            offering_id,
            employee_id,
            feedback,
        } => {
            let (kind, ratings, applied, comment) = match feedback {
                Feedback::Immediate {
                    organisation,
                    content,
                    trainer,
                    usefulness,
                    methods,
                } => (
                    "IMMEDIATE",
                    Some([organisation, content, trainer, usefulness, methods]),
                    None,
                    None,
                ),
                Feedback::FollowUp {
                    applied_at_work,
                    comment,
                } => ("FOLLOW_UP", None, Some(applied_at_work), comment),
            };
            let rating = |i: usize| ratings.map(|r| r[i]);
            sqlx::query(
                "INSERT INTO rm_feedback (offering_id, employee_id, kind, organisation, content, trainer, usefulness,
                                          methods, applied_at_work, comment)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(offering_id)
            .bind(employee_id)
            .bind(kind)
            .bind(rating(0))
            .bind(rating(1))
            .bind(rating(2))
            .bind(rating(3))
            .bind(rating(4))
            .bind(applied)
            .bind(comment)
            .execute(&mut *tx)
            .await?;
        }
        // Money is the training-budget projection's business.
        E::TrainingCostCommitted(_) | E::TrainingCostReleased(_) | E::TrainingCostSpent(_) => {}
    }
    Ok(())
}
