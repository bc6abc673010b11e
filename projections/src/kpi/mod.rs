//! The KPI projection (issue 21): every computed indicator of the plan,
//! kept current event by event, with breakdowns by year, state or
//! municipal, resor, institution and job group, and the history of every
//! total. Its tables: `rm_kpi_series` (what is computed), its own copy of
//! the reference facts (`rm_kpi_institution`, `rm_kpi_career`,
//! `rm_kpi_course`, `rm_kpi_offering`), the facts and where each counted
//! (`rm_kpi_fact`), what each subject holds (`rm_kpi_subject`), the values
//! (`rm_kpi_value`) and their history (`rm_kpi_history`).

mod held;
pub mod read;
mod work;
mod write;

use std::collections::BTreeSet;

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
use work::At;
use write::Engine;

pub struct KpiProjection;

impl KpiProjection {
    pub const NAME: &'static str = "kpi";
}

/// Its tables, emptied in this order by a rebuild.
const TABLES: [&str; 9] = [
    "rm_kpi_history",
    "rm_kpi_value",
    "rm_kpi_subject",
    "rm_kpi_fact",
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
            let read = events
                .iter()
                .map(|event| Ok((read(event)?, event)))
                .collect::<Result<Vec<_>, ProjectionError>>()?;
            let mut engine = Engine::load(tx).await?;
            let wanted = Wanted::of(read.iter().map(|(r, _)| r));
            engine
                .work
                .prefetch(tx, &wanted.employees, &wanted.offerings, &wanted.courses, &wanted.facts)
                .await?;
            for (read, event) in read {
                let at = At {
                    position: event.position,
                    recorded_at: event.recorded_at,
                };
                match read {
                    Read::Plan(e) => engine.plan(tx, e, at).await?,
                    Read::Institution(e) => engine.institution(tx, e, at).await?,
                    Read::Employee(e) => engine.employee(tx, e, at).await?,
                    Read::Course(e) => engine.course(tx, e, at).await?,
                    Read::Offering(e) => engine.offering(tx, e, at).await?,
                    Read::Competence(e) => engine.competence(tx, e, at).await?,
                    Read::Other => {}
                }
            }
            engine.work.flush(tx).await
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

/// An event as the engine reads it.
enum Read {
    Plan(PlanEvent),
    Institution(InstitutionEvent),
    Employee(EmployeeEvent),
    Course(CourseEvent),
    Offering(OfferingEvent),
    Competence(CompetenceEvent),
    Other,
}

fn read(event: &RecordedEvent) -> Result<Read, ProjectionError> {
    Ok(if let Some(e) = crate::decode::<PlanEvent>(event)? {
        Read::Plan(e)
    } else if let Some(e) = crate::decode::<InstitutionEvent>(event)? {
        Read::Institution(e)
    } else if let Some(e) = crate::decode::<EmployeeEvent>(event)? {
        Read::Employee(e)
    } else if let Some(e) = crate::decode::<CourseEvent>(event)? {
        Read::Course(e)
    } else if let Some(e) = crate::decode::<OfferingEvent>(event)? {
        Read::Offering(e)
    } else if let Some(e) = crate::decode::<CompetenceEvent>(event)? {
        Read::Competence(e)
    } else {
        Read::Other
    })
}

/// What a batch's events will touch, read up front in one statement a
/// kind (`work::Work::prefetch`); anything missed is read when first used.
#[derive(Default)]
struct Wanted {
    employees: BTreeSet<uuid::Uuid>,
    offerings: BTreeSet<uuid::Uuid>,
    courses: BTreeSet<uuid::Uuid>,
    facts: BTreeSet<String>,
}

impl Wanted {
    fn of<'a>(events: impl Iterator<Item = &'a Read>) -> Self {
        let mut w = Wanted::default();
        for event in events {
            match event {
                Read::Employee(
                    EmployeeEvent::EmployeeHired { employee_id, .. }
                    | EmployeeEvent::EmployeeRoleChanged { employee_id, .. }
                    | EmployeeEvent::EmployeeTransferred { employee_id, .. }
                    | EmployeeEvent::EmployeeLeft { employee_id, .. },
                ) => {
                    w.employees.insert(*employee_id);
                }
                Read::Course(
                    CourseEvent::CourseCatalogued { course_id, .. } | CourseEvent::CourseRevised { course_id, .. },
                ) => {
                    w.courses.insert(*course_id);
                    w.facts.insert(format!("crs:{course_id}"));
                }
                Read::Offering(OfferingEvent::OfferingScheduled { offering_id, schedule }) => {
                    w.offerings.insert(*offering_id);
                    w.courses.insert(schedule.course_id);
                    w.facts.insert(format!("off:{offering_id}"));
                }
                Read::Offering(OfferingEvent::OfferingCancelled { offering_id, .. }) => {
                    w.offerings.insert(*offering_id);
                    w.facts.insert(format!("off:{offering_id}"));
                }
                Read::Offering(OfferingEvent::AttendanceRecorded {
                    offering_id,
                    employee_id,
                    ..
                }) => {
                    w.offerings.insert(*offering_id);
                    w.employees.insert(*employee_id);
                    w.facts.insert(format!("att:{offering_id}:{employee_id}"));
                }
                Read::Offering(
                    OfferingEvent::CompletionRecorded {
                        offering_id,
                        employee_id,
                        ..
                    }
                    | OfferingEvent::CompletionRevoked {
                        offering_id,
                        employee_id,
                        ..
                    },
                ) => {
                    w.offerings.insert(*offering_id);
                    w.employees.insert(*employee_id);
                    w.facts.insert(format!("cmp:{offering_id}:{employee_id}"));
                }
                Read::Competence(
                    CompetenceEvent::CompetencyAssessed { employee_id, .. }
                    | CompetenceEvent::TalentReviewed { employee_id, .. },
                ) => {
                    w.employees.insert(*employee_id);
                }
                Read::Plan(
                    PlanEvent::PlanProgressRecorded { record_id, .. }
                    | PlanEvent::PlanProgressWithdrawn { record_id, .. },
                ) => {
                    w.facts.insert(format!("rec:{record_id}"));
                }
                _ => {}
            }
        }
        w
    }
}
