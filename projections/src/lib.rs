//! Projections: read models built from the event log. Each projection's
//! checkpoint is written in the same transaction as its read-model rows, so
//! every event takes effect exactly once, across crashes and restarts.

pub mod budget;
pub mod competency;
pub mod course;
pub mod development_plan;
pub mod employee;
pub mod feedback;
pub mod kpi;
pub mod offering;
pub mod page;
pub mod plan;
mod rebuild;
pub mod record;
mod runner;
pub mod scope;
pub mod scorecard;
mod staged;

pub use budget::TrainingBudgetProjection;
pub use competency::CompetencyProjection;
pub use course::CourseProjection;
pub use development_plan::DevelopmentPlanProjection;
pub use employee::EmployeeProjection;
pub use feedback::FeedbackCycleProjection;
pub use kpi::KpiProjection;
pub use offering::OfferingProjection;
pub use plan::PlanProjection;
pub use rebuild::{rebuild, REBUILD_BATCH};
pub use runner::{Lagging, ProjectionLag, ProjectionRunner, Runner};
pub use scope::ReadScope;
pub use scorecard::ScorecardProjection;

use futures::future::BoxFuture;
use prasme_domain::DomainEvent;
use prasme_eventstore::{RecordedEvent, StoreError};
use sqlx::PgConnection;
use thiserror::Error;
use uuid::Uuid;

/// What a projection changed, announced after its transaction commits (for
/// subscriptions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    TrainingBudget {
        institution_id: Uuid,
        year: i32,
    },
    Institution {
        institution_id: Uuid,
    },
    Employee {
        employee_id: Uuid,
    },
    Course {
        course_id: Uuid,
    },
    Offering {
        offering_id: Uuid,
    },
    /// A framework was published, revised or retired.
    CompetencyFramework {
        framework_id: Uuid,
    },
    /// An assessment or talent review of this employee was recorded.
    CompetenceRecord {
        employee_id: Uuid,
    },
    /// A development plan of this employee was created or changed.
    DevelopmentPlan {
        plan_id: Uuid,
        employee_id: Uuid,
    },
    /// A feedback cycle was opened, invited a rater, closed or was cancelled.
    FeedbackCycle {
        cycle_id: Uuid,
    },
    /// A completion of this employee was recorded or revoked.
    Transcript {
        employee_id: Uuid,
    },
    /// The KPI projection read an event, which may have moved indicators.
    Kpis,
}

#[derive(Debug, Clone)]
pub struct ChangeNotice {
    pub position: i64,
    pub change: Change,
}

#[derive(Debug, Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("event at position {position} cannot be projected: {reason}")]
    BadEvent { position: i64, reason: String },
    #[error("no projection is named {0}")]
    Unknown(String),
    /// A projection's own row it cannot read back: its writer and reader disagree.
    #[error("a read model row cannot be read: {0}")]
    Corrupt(String),
}

/// A typed reader's failure.
#[derive(Debug, Error)]
pub enum ReadError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored value no type of the domain has: a writer and a reader disagree.
    #[error("{table} holds an unknown value {value:?}")]
    Corrupt { table: &'static str, value: String },
}

pub trait Projection: Send + Sync + 'static {
    /// Stable name: the checkpoint row's key.
    fn name(&self) -> &'static str;

    /// The stored event types it reads, from the aggregates' `EVENT_TYPES`:
    /// the runner and a rebuild fetch only these.
    fn event_types(&self) -> Vec<&'static str>;

    /// Applies a batch of events (ascending positions) inside the caller's
    /// transaction. The read model must end as if they were applied one by
    /// one (`tests/projections.rs` rebuilds both ways and compares).
    fn apply<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        events: &'a [RecordedEvent],
    ) -> BoxFuture<'a, Result<(), ProjectionError>>;

    /// What applying `event` changes in the read model, for subscribers. A
    /// pure function of the event, so a runner can announce changes that
    /// another process's runner applied.
    fn changes(&self, event: &RecordedEvent) -> Vec<Change>;

    /// Empties the read model, inside the caller's transaction, for a rebuild.
    fn reset<'a>(&'a self, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), ProjectionError>>;

    /// How a rebuild applies the log. A rebuild is one transaction, so a
    /// projection may keep what it computed between batches and write it
    /// when it chooses, instead of rewriting the same rows every batch.
    /// By default each batch is applied as the runner applies it.
    fn rebuilding(&self) -> Box<dyn Rebuilding + '_> {
        Box::new(BatchByBatch(self))
    }
}

/// A rebuild in progress: `apply` takes every batch in order, and `finish`
/// writes whatever is still held, inside the rebuild's transaction.
pub trait Rebuilding: Send {
    fn apply<'a>(
        &'a mut self,
        tx: &'a mut PgConnection,
        events: &'a [RecordedEvent],
    ) -> BoxFuture<'a, Result<(), ProjectionError>>;

    fn finish<'a>(&'a mut self, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), ProjectionError>>;
}

/// The default rebuild: each batch applied and written on its own.
struct BatchByBatch<'p, P: ?Sized>(&'p P);

impl<P: Projection + ?Sized> Rebuilding for BatchByBatch<'_, P> {
    fn apply<'a>(
        &'a mut self,
        tx: &'a mut PgConnection,
        events: &'a [RecordedEvent],
    ) -> BoxFuture<'a, Result<(), ProjectionError>> {
        self.0.apply(tx, events)
    }

    fn finish<'a>(&'a mut self, _tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), ProjectionError>> {
        Box::pin(async { Ok(()) })
    }
}

/// The event as `E`, if it is one of `E`'s; an event of `E`'s type that does
/// not decode is an error (the runner retries, never skips it).
pub(crate) fn decode<E: DomainEvent>(event: &RecordedEvent) -> Result<Option<E>, ProjectionError> {
    if !E::handles(&event.event_type) {
        return Ok(None);
    }
    E::from_stored(&event.event_type, event.schema_version, &event.payload)
        .map(Some)
        .map_err(|e| ProjectionError::BadEvent {
            position: event.position,
            reason: e.to_string(),
        })
}

/// The checkpoint row, locked until the caller's transaction ends so that two
/// runners (or a runner and a rebuild) never apply the same events.
pub(crate) async fn lock_checkpoint(tx: &mut PgConnection, name: &str) -> Result<i64, sqlx::Error> {
    sqlx::query("INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    sqlx::query_scalar("SELECT position FROM projection_checkpoints WHERE name = $1 FOR UPDATE")
        .bind(name)
        .fetch_one(&mut *tx)
        .await
}

pub(crate) async fn save_checkpoint(tx: &mut PgConnection, name: &str, position: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE projection_checkpoints SET position = $2, updated_at = now() WHERE name = $1")
        .bind(name)
        .bind(position)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Applies `events` (which follow the checkpoint) and moves the checkpoint
/// to `through`: the position the read of them covered.
pub(crate) async fn apply_batch(
    tx: &mut PgConnection,
    projection: &dyn Projection,
    events: &[RecordedEvent],
    through: i64,
) -> Result<(), ProjectionError> {
    if !events.is_empty() {
        projection.apply(tx, events).await?;
    }
    save_checkpoint(tx, projection.name(), through).await?;
    Ok(())
}

/// The changes `events` make, for subscribers.
pub(crate) fn notices(projection: &dyn Projection, events: &[RecordedEvent]) -> Vec<ChangeNotice> {
    events
        .iter()
        .flat_map(|event| {
            projection.changes(event).into_iter().map(|change| ChangeNotice {
                position: event.position,
                change,
            })
        })
        .collect()
}
