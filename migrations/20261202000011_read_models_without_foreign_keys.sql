-- Read models are derived from the log, which is where their consistency
-- comes from: the budget rows an event names are written by the same
-- projection as the institution it names, in log order. A foreign key could
-- only ever stop that projection (which retries a failing batch forever),
-- and checking one per row took about half the time of writing a batch of
-- allocations (docs/benchmarks.md), so the read models do without.
ALTER TABLE rm_training_budget DROP CONSTRAINT rm_training_budget_institution_id_fkey;
ALTER TABLE rm_training_allocation DROP CONSTRAINT rm_training_allocation_institution_id_fkey;
