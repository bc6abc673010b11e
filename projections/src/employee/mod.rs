//! Read model of employees (`rm_employee`) and where they worked when
//! (`rm_employment_period`). Personal data is copied sealed, never opened.

pub mod read;
pub(crate) mod write;

use futures::future::BoxFuture;
use futures::FutureExt;
use prasme_domain::employee::EmployeeEvent;
use prasme_domain::DomainEvent;
use prasme_eventstore::RecordedEvent;
use sqlx::PgConnection;

use crate::{Change, Projection, ProjectionError};

pub struct EmployeeProjection;

impl EmployeeProjection {
    pub const NAME: &'static str = "employees";
}

fn decode(event: &RecordedEvent) -> Result<Option<EmployeeEvent>, ProjectionError> {
    crate::decode(event)
}

impl Projection for EmployeeProjection {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn event_types(&self) -> Vec<&'static str> {
        EmployeeEvent::EVENT_TYPES.to_vec()
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
                    decoded.push(e);
                }
            }
            write::Batch::load(tx, &decoded).await?.fold(decoded).write(tx).await
        }
        .boxed()
    }

    fn changes(&self, event: &RecordedEvent) -> Vec<Change> {
        use EmployeeEvent as E;
        match decode(event) {
            Ok(Some(
                E::EmployeeHired { employee_id, .. }
                | E::EmployeeRoleChanged { employee_id, .. }
                | E::EmployeeTransferred { employee_id, .. }
                | E::ManagerAssigned { employee_id, .. }
                | E::EmployeeLeft { employee_id, .. }
                | E::EmployeePersonalDataErased { employee_id },
            )) => vec![Change::Employee { employee_id }],
            _ => vec![],
        }
    }

    fn reset<'a>(&'a self, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            for table in ["rm_employment_flow", "rm_employment_period", "rm_employee"] {
                sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
            }
            Ok(())
        }
        .boxed()
    }
}
