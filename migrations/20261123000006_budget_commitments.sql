-- Seats commit their cost against the participant's institution's training
-- budget; attendance turns the commitment into spend.
ALTER TABLE rm_training_budget
    ADD COLUMN committed_cents bigint NOT NULL DEFAULT 0,
    ADD COLUMN spent_cents     bigint NOT NULL DEFAULT 0;
