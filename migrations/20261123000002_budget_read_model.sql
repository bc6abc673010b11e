-- Read model of the training-budget projection. Rebuilt from events at will.
CREATE TABLE rm_institution (
    id                      uuid        PRIMARY KEY,
    name                    text        NOT NULL,
    kind                    text        NOT NULL,
    resor                   text,
    funds_other_staff       boolean     NOT NULL,
    registered_at           timestamptz NOT NULL
);
CREATE INDEX rm_institution_name ON rm_institution (name, id);

CREATE TABLE rm_training_budget (
    institution_id      uuid    NOT NULL REFERENCES rm_institution (id),
    year                integer NOT NULL,
    remuneration_cents  bigint,
    allocated_cents     bigint  NOT NULL DEFAULT 0,
    last_position       bigint  NOT NULL,
    PRIMARY KEY (institution_id, year)
);
CREATE INDEX rm_training_budget_year ON rm_training_budget (year);

-- Allocation ids are unique within their institution's stream (the decider
-- checks), not across institutions, so the key includes the institution.
CREATE TABLE rm_training_allocation (
    institution_id  uuid    NOT NULL REFERENCES rm_institution (id),
    allocation_id   uuid    NOT NULL,
    year            integer NOT NULL,
    amount_cents    bigint  NOT NULL,
    funding_source  text    NOT NULL,
    priority        integer,
    corrections     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (institution_id, allocation_id)
);
CREATE INDEX rm_training_allocation_budget ON rm_training_allocation (institution_id, year);
