//! Read model of employees (`rm_employee`) and where they worked when
//! (`rm_employment_period`). Personal data is copied sealed, never opened.

pub mod read;

use futures::future::BoxFuture;
use futures::FutureExt;
use prasme_domain::employee::EmployeeEvent;
use prasme_domain::reference::wire_name as wire;
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

fn wires<T: serde::Serialize>(items: &[T]) -> Vec<String> {
    items.iter().map(wire).collect()
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
            for event in events {
                if let Some(decoded) = decode(event)? {
                    apply(tx, decoded).await?;
                }
            }
            Ok(())
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
            for table in ["rm_employment_period", "rm_employee"] {
                sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
            }
            Ok(())
        }
        .boxed()
    }
}

async fn apply(tx: &mut PgConnection, event: EmployeeEvent) -> Result<(), sqlx::Error> {
    use EmployeeEvent as E;
    match event {
        E::EmployeeHired {
            employee_id,
            institution_id,
            job_groups,
            civil_servant,
            functions,
            personal_data,
            hired_on,
        } => {
            sqlx::query(
                "INSERT INTO rm_employee (id, institution_id, job_groups, functions, civil_servant, hired_on,
                                          personal_nonce, personal_ciphertext)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(employee_id)
            .bind(institution_id)
            .bind(wires(&job_groups))
            .bind(wires(&functions))
            .bind(civil_servant)
            .bind(hired_on)
            .bind(personal_data.nonce)
            .bind(personal_data.ciphertext)
            .execute(&mut *tx)
            .await?;
            open_period(tx, employee_id, institution_id, hired_on).await
        }
        E::EmployeeRoleChanged {
            employee_id,
            job_groups,
            civil_servant,
            functions,
            ..
        } => {
            sqlx::query("UPDATE rm_employee SET job_groups = $2, functions = $3, civil_servant = $4 WHERE id = $1")
                .bind(employee_id)
                .bind(wires(&job_groups))
                .bind(wires(&functions))
                .bind(civil_servant)
                .execute(&mut *tx)
                .await?;
            Ok(())
        }
        E::EmployeeTransferred {
            employee_id,
            to_institution_id,
            effective_on,
            ..
        } => {
            sqlx::query("UPDATE rm_employee SET institution_id = $2, manager_id = NULL WHERE id = $1")
                .bind(employee_id)
                .bind(to_institution_id)
                .execute(&mut *tx)
                .await?;
            close_period(tx, employee_id, effective_on).await?;
            open_period(tx, employee_id, to_institution_id, effective_on).await
        }
        E::ManagerAssigned {
            employee_id,
            manager_id,
            ..
        } => {
            sqlx::query("UPDATE rm_employee SET manager_id = $2 WHERE id = $1")
                .bind(employee_id)
                .bind(manager_id)
                .execute(&mut *tx)
                .await?;
            Ok(())
        }
        E::EmployeeLeft {
            employee_id, left_on, ..
        } => {
            sqlx::query("UPDATE rm_employee SET left_on = $2 WHERE id = $1")
                .bind(employee_id)
                .bind(left_on)
                .execute(&mut *tx)
                .await?;
            close_period(tx, employee_id, left_on).await
        }
        E::EmployeePersonalDataErased { employee_id } => {
            // The key is gone already; blank the sealed copy too, so not even
            // ciphertext of an erased person stays in the read model.
            sqlx::query(
                "UPDATE rm_employee SET personal_erased = true, personal_nonce = '', personal_ciphertext = ''
                  WHERE id = $1",
            )
            .bind(employee_id)
            .execute(&mut *tx)
            .await?;
            Ok(())
        }
    }
}

async fn open_period(
    tx: &mut PgConnection,
    employee_id: uuid::Uuid,
    institution_id: uuid::Uuid,
    from: chrono::NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO rm_employment_period (employee_id, institution_id, from_date) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
    )
    .bind(employee_id)
    .bind(institution_id)
    .bind(from)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn close_period(
    tx: &mut PgConnection,
    employee_id: uuid::Uuid,
    to: chrono::NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE rm_employment_period SET to_date = $2 WHERE employee_id = $1 AND to_date IS NULL")
        .bind(employee_id)
        .bind(to)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
