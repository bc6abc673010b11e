//! The KPI projection (issue 21): every computed indicator of the plan,
//! kept current event by event, with breakdowns by year, state or
//! municipal, resor, institution and job group, and the history of every
//! total. Its tables: `rm_kpi_series` (what is computed), its own copy of
//! the reference facts (`rm_kpi_institution`, `rm_kpi_career`,
//! `rm_kpi_course`, `rm_kpi_offering`), employees' facts
//! (`rm_kpi_employee_fact`), the facts counted (`rm_kpi_fact`), who counts where (`rm_kpi_member`), the values
//! (`rm_kpi_value`) and their history (`rm_kpi_history`).

pub mod read;
mod write;

use futures::future::BoxFuture;
use futures::FutureExt;
use prasme_domain::assessment::CompetenceEvent;
use prasme_domain::course::CourseEvent;
use prasme_domain::employee::EmployeeEvent;
use prasme_domain::institution::InstitutionEvent;
use prasme_domain::offering::OfferingEvent;
use prasme_domain::plan::PlanEvent;
use prasme_domain::DomainEvent;
use prasme_eventstore::RecordedEvent;
use sqlx::PgConnection;

use crate::{Change, Projection, ProjectionError};
use write::{At, Engine};

pub struct KpiProjection;

impl KpiProjection {
    pub const NAME: &'static str = "kpi";
}

/// Its tables, emptied in this order by a rebuild.
const TABLES: [&str; 10] = [
    "rm_kpi_history",
    "rm_kpi_value",
    "rm_kpi_member",
    "rm_kpi_fact",
    "rm_kpi_employee_fact",
    "rm_kpi_offering",
    "rm_kpi_course",
    "rm_kpi_career",
    "rm_kpi_institution",
    "rm_kpi_series",
];

impl Projection for KpiProjection {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn event_types(&self) -> Vec<&'static str> {
        [
            PlanEvent::EVENT_TYPES,
            &["InstitutionRegistered"],
            EmployeeEvent::EVENT_TYPES,
            CourseEvent::EVENT_TYPES,
            &[
                "OfferingScheduled",
                "OfferingCancelled",
                "AttendanceRecorded",
                "CompletionRecorded",
                "CompletionRevoked",
            ],
            CompetenceEvent::EVENT_TYPES,
        ]
        .concat()
    }

    fn apply<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        events: &'a [RecordedEvent],
    ) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            let mut engine = Engine::load(tx).await?;
            for event in events {
                let at = At {
                    position: event.position,
                    recorded_at: event.recorded_at,
                };
                if let Some(e) = crate::decode::<PlanEvent>(event)? {
                    engine.plan(tx, e, at).await?;
                } else if let Some(e) = crate::decode::<InstitutionEvent>(event)? {
                    engine.institution(tx, e, at).await?;
                } else if let Some(e) = crate::decode::<EmployeeEvent>(event)? {
                    engine.employee(tx, e, at).await?;
                } else if let Some(e) = crate::decode::<CourseEvent>(event)? {
                    engine.course(tx, e, at).await?;
                } else if let Some(e) = crate::decode::<OfferingEvent>(event)? {
                    engine.offering(tx, e, at).await?;
                } else if let Some(e) = crate::decode::<CompetenceEvent>(event)? {
                    engine.competence(tx, e, at).await?;
                }
            }
            Ok(())
        }
        .boxed()
    }

    /// Whether an event moved an indicator depends on what came before
    /// it, so every event read may have: subscribers look up the history
    /// rows written at its position (`read::changed_at`).
    fn changes(&self, _event: &RecordedEvent) -> Vec<Change> {
        vec![Change::Kpis]
    }

    fn reset<'a>(&'a self, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            for table in TABLES {
                sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
            }
            Ok(())
        }
        .boxed()
    }
}
