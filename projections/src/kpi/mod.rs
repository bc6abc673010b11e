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
mod spilled;
mod work;
mod write;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

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

use crate::{Change, Projection, ProjectionError, Rebuilding};
use work::At;
use write::Engine;

pub struct KpiProjection {
    fact_budget: usize,
}

/// The facts a rebuild holds before it writes them and forgets them:
/// about 1.5 GB at its peak at full scale, with every career and subject.
const FACT_BUDGET: usize = 250_000;

impl KpiProjection {
    pub const NAME: &'static str = "kpi";

    pub const fn new() -> Self {
        KpiProjection {
            fact_budget: FACT_BUDGET,
        }
    }

    /// One whose rebuild writes and forgets its facts beyond `fact_budget`,
    /// so that a small log takes the path a large one does.
    pub const fn with_fact_budget(fact_budget: usize) -> Self {
        KpiProjection { fact_budget }
    }
}

impl Default for KpiProjection {
    fn default() -> Self {
        Self::new()
    }
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
            let mut engine = Engine::load(tx).await?;
            apply_events(&mut engine, tx, events).await?;
            engine.work.flush(tx).await
        }
        .boxed()
    }

    /// One engine for the whole rebuild: what it computed stays in memory
    /// from batch to batch and is written when its budget is spent and at
    /// the end, so the rows every batch touches (totals, institutions,
    /// busy employees) are written a few times instead of thousands.
    fn rebuilding(&self) -> Box<dyn Rebuilding + '_> {
        Box::new(KpiRebuild {
            engine: None,
            fact_budget: self.fact_budget,
        })
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

/// Decodes a batch, reads ahead what it will touch, and applies it.
async fn apply_events(
    engine: &mut Engine,
    tx: &mut PgConnection,
    events: &[RecordedEvent],
) -> Result<(), ProjectionError> {
    let read = events
        .iter()
        .map(|event| Ok((read(event)?, event)))
        .collect::<Result<Vec<_>, ProjectionError>>()?;
    let wanted = Wanted::of(read.iter().map(|(r, _)| r));
    engine
        .work
        .prefetch(tx, &wanted.employees, &wanted.offerings, &wanted.courses, &wanted.facts)
        .await?;
    engine.work.load_employee_facts(tx, &wanted.moved).await?;
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
    Ok(())
}

/// A rebuild of the KPI projection; its engine starts on the emptied
/// tables, so nothing need be read back until it first writes.
struct KpiRebuild {
    engine: Option<Engine>,
    fact_budget: usize,
}

impl Rebuilding for KpiRebuild {
    fn apply<'a>(
        &'a mut self,
        tx: &'a mut PgConnection,
        events: &'a [RecordedEvent],
    ) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            let engine = match &mut self.engine {
                Some(engine) => engine,
                None => self.engine.insert(Engine::load_cold(tx, self.fact_budget).await?),
            };
            apply_events(engine, tx, events).await?;
            if engine.work.over_budget() {
                engine.work.spill_facts(tx).await?;
                // From now on facts are read back: the planner must know
                // the table is no longer empty (autovacuum cannot see into
                // this transaction), or it scans where an index would do.
                sqlx::query("ANALYZE rm_kpi_fact").execute(&mut *tx).await?;
            } else if engine.work.history_is_long() {
                engine.work.flush_history(tx).await?;
            }
            Ok(())
        }
        .boxed()
    }

    fn finish<'a>(&'a mut self, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            if let Some(engine) = &mut self.engine {
                engine.work.flush(tx).await?;
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
    /// Employees whose history changes from a date, so their facts from
    /// then on may be placed again.
    moved: BTreeMap<uuid::Uuid, NaiveDate>,
}

impl Wanted {
    fn of<'a>(events: impl Iterator<Item = &'a Read>) -> Self {
        let mut w = Wanted::default();
        for event in events {
            match event {
                Read::Employee(EmployeeEvent::EmployeeHired { employee_id, .. }) => {
                    w.employees.insert(*employee_id);
                }
                Read::Employee(
                    EmployeeEvent::EmployeeRoleChanged {
                        employee_id,
                        effective_on: from,
                        ..
                    }
                    | EmployeeEvent::EmployeeTransferred {
                        employee_id,
                        effective_on: from,
                        ..
                    }
                    | EmployeeEvent::EmployeeLeft {
                        employee_id,
                        left_on: from,
                        ..
                    },
                ) => {
                    w.employees.insert(*employee_id);
                    let earliest = w.moved.entry(*employee_id).or_insert(*from);
                    *earliest = (*earliest).min(*from);
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
