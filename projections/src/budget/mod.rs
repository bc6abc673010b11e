//! Read model of institutions and their training budgets per year
//! (`rm_institution`, `rm_training_budget`, `rm_training_allocation`).
//! Statuses are not stored: they follow from the amounts by the rule in
//! `prasme_domain::budget`, so a change of rule needs no rebuild.

pub mod read;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::FutureExt;
use prasme_domain::institution::InstitutionEvent;
use prasme_domain::offering::{OfferingEvent, SeatCost};
use prasme_domain::reference::wire_name as wire;
use prasme_domain::DomainEvent;
use prasme_eventstore::RecordedEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Change, Projection, ProjectionError};

pub struct TrainingBudgetProjection;

impl TrainingBudgetProjection {
    pub const NAME: &'static str = "training_budget";
}

impl Projection for TrainingBudgetProjection {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn event_types(&self) -> Vec<&'static str> {
        let mut types = InstitutionEvent::EVENT_TYPES.to_vec();
        types.extend(SEAT_COST_EVENTS);
        types
    }

    fn apply<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        events: &'a [RecordedEvent],
    ) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move { Batch::fold(events)?.write(tx).await }.boxed()
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

/// What a batch of events changes, folded in memory so that each table
/// takes one statement however many events the batch holds.
#[derive(Default)]
struct Batch {
    institutions: Vec<NewInstitution>,
    /// Per (institution, year): the amounts moved and the last position.
    budgets: BTreeMap<(Uuid, i32), BudgetChange>,
    /// Allocations first made in this batch, with any later corrections folded in.
    new_allocations: BTreeMap<(Uuid, Uuid), AllocationRow>,
    /// Allocations made before this batch and corrected in it: the latest
    /// values and how many corrections.
    corrected: BTreeMap<(Uuid, Uuid), AllocationRow>,
}

struct NewInstitution {
    id: Uuid,
    name: String,
    kind: String,
    resor: Option<String>,
    funds_other_staff: bool,
    registered_at: DateTime<Utc>,
}

#[derive(Default)]
struct BudgetChange {
    /// The latest declaration; it replaces any before.
    remuneration: Option<i64>,
    allocated: i64,
    committed: i64,
    spent: i64,
    last_position: i64,
}

struct AllocationRow {
    year: i32,
    amount: i64,
    funding_source: String,
    priority: Option<i32>,
    corrections: i32,
}

impl Batch {
    fn fold(events: &[RecordedEvent]) -> Result<Self, ProjectionError> {
        use InstitutionEvent as E;
        let mut batch = Batch::default();
        for event in events {
            if let Some((column, cost, sign)) = seat_cost(event)? {
                let amount = cost.amount_cents.0 * sign;
                let budget = batch.budget(cost.institution_id, cost.budget_year, event.position);
                // Spending also takes the amount out of what is committed.
                match column {
                    "spent" => {
                        budget.committed -= amount;
                        budget.spent += amount;
                    }
                    _ => budget.committed += amount,
                }
                continue;
            }
            let Some(decoded) = crate::decode::<InstitutionEvent>(event)? else {
                continue;
            };
            match decoded {
                E::InstitutionRegistered {
                    institution_id,
                    name,
                    kind,
                    resor,
                    funds_other_institutions_staff,
                } => batch.institutions.push(NewInstitution {
                    id: institution_id,
                    name,
                    kind: wire(&kind),
                    resor: resor.map(|r| wire(&r)),
                    funds_other_staff: funds_other_institutions_staff,
                    registered_at: event.occurred_at,
                }),
                E::RemunerationBudgetDeclared {
                    institution_id,
                    year,
                    amount_cents,
                } => batch.budget(institution_id, year, event.position).remuneration = Some(amount_cents.0),
                E::TrainingBudgetAllocated {
                    institution_id,
                    allocation_id,
                    year,
                    amount_cents,
                    funding_source,
                    priority,
                } => {
                    batch.new_allocations.insert(
                        (institution_id, allocation_id),
                        AllocationRow {
                            year,
                            amount: amount_cents.0,
                            funding_source: wire(&funding_source),
                            priority: priority.map(|p| i32::from(p.number())),
                            corrections: 0,
                        },
                    );
                    batch.budget(institution_id, year, event.position).allocated += amount_cents.0;
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
                    let key = (institution_id, allocation_id);
                    let row = match batch.new_allocations.get_mut(&key) {
                        Some(row) => row,
                        None => batch.corrected.entry(key).or_insert(AllocationRow {
                            year,
                            amount: 0,
                            funding_source: String::new(),
                            priority: None,
                            corrections: 0,
                        }),
                    };
                    row.amount = amount_cents.0;
                    row.funding_source = wire(&funding_source);
                    row.priority = priority.map(|p| i32::from(p.number()));
                    row.corrections += 1;
                    let delta = amount_cents.0 - previous_amount_cents.0;
                    batch.budget(institution_id, year, event.position).allocated += delta;
                }
            }
        }
        Ok(batch)
    }

    fn budget(&mut self, institution_id: Uuid, year: i32, position: i64) -> &mut BudgetChange {
        let budget = self.budgets.entry((institution_id, year)).or_default();
        budget.last_position = position;
        budget
    }

    /// One statement per table, institutions first (the others refer to them).
    async fn write(self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        if !self.institutions.is_empty() {
            let rows = &self.institutions;
            sqlx::query(
                "INSERT INTO rm_institution (id, name, kind, resor, funds_other_staff, registered_at)
                 SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::timestamptz[])",
            )
            .bind(rows.iter().map(|r| r.id).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.kind.clone()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.resor.clone()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.funds_other_staff).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.registered_at).collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
        }
        if !self.new_allocations.is_empty() {
            let (keys, rows): (Vec<&(Uuid, Uuid)>, Vec<&AllocationRow>) = self.new_allocations.iter().unzip();
            sqlx::query(
                "INSERT INTO rm_training_allocation
                   (institution_id, allocation_id, year, amount_cents, funding_source, priority, corrections)
                 SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::int[], $4::bigint[], $5::text[], $6::int[], $7::int[])",
            )
            .bind(keys.iter().map(|k| k.0).collect::<Vec<_>>())
            .bind(keys.iter().map(|k| k.1).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.year).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.amount).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.funding_source.clone()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.priority).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.corrections).collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
        }
        if !self.corrected.is_empty() {
            let (keys, rows): (Vec<&(Uuid, Uuid)>, Vec<&AllocationRow>) = self.corrected.iter().unzip();
            sqlx::query(
                "UPDATE rm_training_allocation a
                    SET amount_cents = c.amount, funding_source = c.funding_source, priority = c.priority,
                        corrections = a.corrections + c.corrections
                   FROM UNNEST($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::int[], $6::int[])
                        AS c (institution_id, allocation_id, amount, funding_source, priority, corrections)
                  WHERE a.institution_id = c.institution_id AND a.allocation_id = c.allocation_id",
            )
            .bind(keys.iter().map(|k| k.0).collect::<Vec<_>>())
            .bind(keys.iter().map(|k| k.1).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.amount).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.funding_source.clone()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.priority).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.corrections).collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
        }
        if !self.budgets.is_empty() {
            let (keys, rows): (Vec<&(Uuid, i32)>, Vec<&BudgetChange>) = self.budgets.iter().unzip();
            sqlx::query(
                "INSERT INTO rm_training_budget
                   (institution_id, year, remuneration_cents, allocated_cents, committed_cents, spent_cents, last_position)
                 SELECT * FROM UNNEST($1::uuid[], $2::int[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])
                 ON CONFLICT (institution_id, year) DO UPDATE SET
                   remuneration_cents = COALESCE(EXCLUDED.remuneration_cents, rm_training_budget.remuneration_cents),
                   allocated_cents = rm_training_budget.allocated_cents + EXCLUDED.allocated_cents,
                   committed_cents = rm_training_budget.committed_cents + EXCLUDED.committed_cents,
                   spent_cents = rm_training_budget.spent_cents + EXCLUDED.spent_cents,
                   last_position = EXCLUDED.last_position",
            )
            .bind(keys.iter().map(|k| k.0).collect::<Vec<_>>())
            .bind(keys.iter().map(|k| k.1).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.remuneration).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.allocated).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.committed).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.spent).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.last_position).collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }
}

/// The offering events that move a seat's money.
const SEAT_COST_EVENTS: [&str; 3] = ["TrainingCostCommitted", "TrainingCostReleased", "TrainingCostSpent"];

/// A seat's money event: which column it moves, the cost, and which way
/// (committing adds; releasing subtracts; spending moves committed to spent).
fn seat_cost(event: &RecordedEvent) -> Result<Option<(&'static str, SeatCost, i64)>, ProjectionError> {
    if !SEAT_COST_EVENTS.contains(&event.event_type.as_str()) {
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
