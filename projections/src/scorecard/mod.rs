//! Read model of the institution scorecard's participation per strategic
//! priority: for each institution, year and priority, the distinct
//! employees with a passed, unrevoked completion of a course of that
//! priority in that year, counted where they stood on the completion's date
//! (`rm_priority_participant`, `rm_priority_participation`).
//!
//! It keeps its own copies of the facts that decide that (a course's
//! priority, an offering's course, each employee's standing by date, each
//! completion), folded in log order, and re-derives the memberships of every
//! employee a batch touches; so a backdated transfer or a course revised
//! into another priority re-attributes what it touches, and the read model
//! is a function of the log alone, whatever another projection has reached.
//!
//! It keeps the development-plan coverage of the scorecard the same way
//! (`coverage.rs`): its own copy of the employment periods and of the years
//! each employee has an approved plan in, and from them flows per
//! institution, year and date (`rm_scorecard_coverage_flow`).

mod coverage;
pub mod read;
mod write;

use futures::future::BoxFuture;
use futures::FutureExt;
use prasme_domain::course::CourseEvent;
use prasme_domain::development_plan::DevelopmentPlanEvent;
use prasme_domain::employee::EmployeeEvent;
use prasme_domain::offering::OfferingEvent;
use prasme_domain::DomainEvent;
use prasme_eventstore::RecordedEvent;
use sqlx::PgConnection;

use crate::{Change, Projection, ProjectionError};

pub struct ScorecardProjection;

impl ScorecardProjection {
    pub const NAME: &'static str = "scorecard";
}

/// The event types the projection reads, each one of its aggregate's.
const TYPES: [&str; 9] = [
    "CourseCatalogued",
    "CourseRevised",
    "OfferingScheduled",
    "CompletionRecorded",
    "CompletionRevoked",
    "EmployeeHired",
    "EmployeeTransferred",
    "EmployeeLeft",
    "DevelopmentPlanApproved",
];

impl Projection for ScorecardProjection {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn event_types(&self) -> Vec<&'static str> {
        CourseEvent::EVENT_TYPES
            .iter()
            .chain(OfferingEvent::EVENT_TYPES)
            .chain(EmployeeEvent::EVENT_TYPES)
            .chain(DevelopmentPlanEvent::EVENT_TYPES)
            .copied()
            .filter(|t| TYPES.contains(t))
            .collect()
    }

    fn apply<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        events: &'a [RecordedEvent],
    ) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            let mut touched = write::Touched::default();
            let mut coverage = Vec::new();
            for event in events {
                if let Some(e) = crate::decode::<CourseEvent>(event)? {
                    write::course(tx, e, &mut touched).await?;
                } else if let Some(e) = crate::decode::<OfferingEvent>(event)? {
                    write::offering(tx, e, &mut touched).await?;
                } else if let Some(e) = crate::decode::<EmployeeEvent>(event)? {
                    coverage.extend(coverage::Fact::employment(&e));
                    write::employee(tx, e, event.position, &mut touched).await?;
                } else if let Some(e) = crate::decode::<DevelopmentPlanEvent>(event)? {
                    coverage.extend(coverage::Fact::plan(e));
                }
            }
            coverage::apply(tx, coverage).await?;
            write::participation(tx, touched).await
        }
        .boxed()
    }

    fn changes(&self, _event: &RecordedEvent) -> Vec<Change> {
        vec![]
    }

    fn reset<'a>(&'a self, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            for table in [
                "rm_scorecard_coverage_flow",
                "rm_scorecard_plan_year",
                "rm_scorecard_period",
                "rm_priority_participation",
                "rm_priority_participant",
                "rm_scorecard_completion",
                "rm_scorecard_standing",
                "rm_scorecard_offering",
                "rm_scorecard_course",
            ] {
                sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
            }
            Ok(())
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_it_reads_is_one_its_aggregates_store() {
        assert_eq!(ScorecardProjection.event_types().len(), TYPES.len());
    }
}
