//! Read model of institutions and their training budgets per year
//! (`rm_institution`, `rm_training_budget`, `rm_training_allocation`).
//! Statuses are not stored: they follow from the amounts by the rule in
//! `prasme_domain::budget`, so a change of rule needs no rebuild.

use futures::future::BoxFuture;
use futures::FutureExt;
use prasme_domain::institution::InstitutionEvent;
use prasme_domain::offering::{OfferingEvent, SeatCost};
use prasme_domain::reference::wire_name as wire;
use prasme_domain::DomainEvent;
use prasme_eventstore::RecordedEvent;
use sqlx::PgConnection;

use crate::{Change, Projection, ProjectionError};

pub struct TrainingBudgetProjection;

impl TrainingBudgetProjection {
    pub const NAME: &'static str = "training_budget";
}

impl Projection for TrainingBudgetProjection {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn apply<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a RecordedEvent,
    ) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            if let Some((column, cost, sign)) = seat_cost(event)? {
                return move_money(tx, column, &cost, sign, event.position).await;
            }
            match crate::decode::<InstitutionEvent>(event)? {
                Some(decoded) => apply(tx, event, decoded).await,
                None => Ok(()),
            }
        }
        .boxed()
    }

    fn changes(&self, event: &RecordedEvent) -> Vec<Change> {
        use InstitutionEvent as E;
        if let Ok(Some((_, cost, _))) = seat_cost(event) {
            return vec![Change::TrainingBudget {
                institution_id: cost.institution_id,
                year: cost.budget_year,
            }];
        }
        if !InstitutionEvent::handles(&event.event_type) {
            return vec![];
        }
        // An event that does not decode fails in `apply`, which never skips it.
        match InstitutionEvent::from_stored(&event.event_type, event.schema_version, &event.payload) {
            Ok(E::InstitutionRegistered { institution_id, .. }) => vec![Change::Institution { institution_id }],
            Ok(
                E::RemunerationBudgetDeclared {
                    institution_id, year, ..
                }
                | E::TrainingBudgetAllocated {
                    institution_id, year, ..
                }
                | E::TrainingAllocationCorrected {
                    institution_id, year, ..
                },
            ) => vec![Change::TrainingBudget { institution_id, year }],
            Err(_) => vec![],
        }
    }

    fn reset<'a>(&'a self, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            // DELETE, not TRUNCATE: readers keep the old rows until the rebuild commits.
            for table in ["rm_training_allocation", "rm_training_budget", "rm_institution"] {
                sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
            }
            Ok(())
        }
        .boxed()
    }
}

async fn apply(tx: &mut PgConnection, event: &RecordedEvent, decoded: InstitutionEvent) -> Result<(), ProjectionError> {
    use InstitutionEvent as E;
    match decoded {
        E::InstitutionRegistered {
            institution_id,
            name,
            kind,
            resor,
            funds_other_institutions_staff,
        } => {
            sqlx::query(
                "INSERT INTO rm_institution (id, name, kind, resor, funds_other_staff, registered_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(institution_id)
            .bind(name)
            .bind(wire(&kind))
            .bind(resor.map(|r| wire(&r)))
            .bind(funds_other_institutions_staff)
            .bind(event.occurred_at)
            .execute(&mut *tx)
            .await?;
            Ok(())
        }
        E::RemunerationBudgetDeclared {
            institution_id,
            year,
            amount_cents,
        } => {
            sqlx::query(
                "INSERT INTO rm_training_budget (institution_id, year, remuneration_cents, last_position)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (institution_id, year)
                 DO UPDATE SET remuneration_cents = $3, last_position = $4",
            )
            .bind(institution_id)
            .bind(year)
            .bind(amount_cents.0)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
            Ok(())
        }
        E::TrainingBudgetAllocated {
            institution_id,
            allocation_id,
            year,
            amount_cents,
            funding_source,
            priority,
        } => {
            sqlx::query(
                "INSERT INTO rm_training_allocation (allocation_id, institution_id, year, amount_cents, funding_source, priority)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(allocation_id)
            .bind(institution_id)
            .bind(year)
            .bind(amount_cents.0)
            .bind(wire(&funding_source))
            .bind(priority.map(|p| i32::from(p.number())))
            .execute(&mut *tx)
            .await?;
            add_allocated(tx, institution_id, year, amount_cents.0, event.position).await?;
            Ok(())
        }
        E::TrainingAllocationCorrected {
            institution_id,
            allocation_id,
            year,
            previous_amount_cents,
            amount_cents,
            funding_source,
            priority,
            ..
        } => {
            sqlx::query(
                "UPDATE rm_training_allocation
                    SET amount_cents = $2, funding_source = $3, priority = $4, corrections = corrections + 1
                  WHERE institution_id = $5 AND allocation_id = $1",
            )
            .bind(allocation_id)
            .bind(amount_cents.0)
            .bind(wire(&funding_source))
            .bind(priority.map(|p| i32::from(p.number())))
            .bind(institution_id)
            .execute(&mut *tx)
            .await?;
            let delta = amount_cents.0 - previous_amount_cents.0;
            add_allocated(tx, institution_id, year, delta, event.position).await?;
            Ok(())
        }
    }
}

async fn add_allocated(
    tx: &mut PgConnection,
    institution_id: uuid::Uuid,
    year: i32,
    delta: i64,
    position: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO rm_training_budget (institution_id, year, allocated_cents, last_position)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (institution_id, year)
         DO UPDATE SET allocated_cents = rm_training_budget.allocated_cents + $3, last_position = $4",
    )
    .bind(institution_id)
    .bind(year)
    .bind(delta)
    .bind(position)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A seat's money event: which column it moves, the cost, and which way
/// (committing adds; releasing subtracts; spending moves committed to spent).
fn seat_cost(event: &RecordedEvent) -> Result<Option<(&'static str, SeatCost, i64)>, ProjectionError> {
    if !matches!(
        event.event_type.as_str(),
        "TrainingCostCommitted" | "TrainingCostReleased" | "TrainingCostSpent"
    ) {
        return Ok(None);
    }
    let Some(decoded) = crate::decode::<OfferingEvent>(event)? else {
        return Ok(None);
    };
    Ok(match decoded {
        OfferingEvent::TrainingCostCommitted(c) => Some(("committed", c, 1)),
        OfferingEvent::TrainingCostReleased(c) => Some(("committed", c, -1)),
        OfferingEvent::TrainingCostSpent(c) => Some(("spent", c, 1)),
        _ => None,
    })
}

async fn move_money(
    tx: &mut PgConnection,
    column: &str,
    cost: &SeatCost,
    sign: i64,
    position: i64,
) -> Result<(), ProjectionError> {
    let amount = cost.amount_cents.0 * sign;
    // Spending also takes the amount out of what is committed.
    let (committed, spent) = match column {
        "spent" => (-amount, amount),
        _ => (amount, 0),
    };
    sqlx::query(
        "INSERT INTO rm_training_budget (institution_id, year, committed_cents, spent_cents, last_position)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (institution_id, year) DO UPDATE SET
           committed_cents = rm_training_budget.committed_cents + $3,
           spent_cents = rm_training_budget.spent_cents + $4,
           last_position = $5",
    )
    .bind(cost.institution_id)
    .bind(cost.budget_year)
    .bind(committed)
    .bind(spent)
    .bind(position)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
