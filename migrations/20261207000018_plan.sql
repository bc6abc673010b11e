-- The Learning and Development Plan as data (issue 21): the plan as
-- published (annex 2, annex 5, seed 001's targets) and as the State
-- Chancellery supplements it. One plan; its priorities, measures and
-- indicators by their codes.
CREATE TABLE rm_plan (
    plan_id             uuid    PRIMARY KEY,
    code                text    NOT NULL,
    title_lv            text    NOT NULL,
    title_en            text    NOT NULL,
    source              text    NOT NULL,
    chancellery_targets jsonb   NOT NULL,
    position            bigint  NOT NULL
);

CREATE TABLE rm_plan_priority (
    number                      integer PRIMARY KEY,
    title_lv                    text    NOT NULL,
    title_en                    text    NOT NULL,
    indicative_funding_cents    bigint,
    funding_note_lv             text,
    planned_learners            integer,
    funding_by_year             jsonb   NOT NULL
);

CREATE TABLE rm_plan_measure (
    code            text    PRIMARY KEY,
    priority        integer NOT NULL,
    ordinal         integer NOT NULL,
    title_lv        text    NOT NULL,
    title_en        text    NOT NULL,
    outputs_lv      jsonb   NOT NULL,
    responsible     jsonb   NOT NULL,
    co_responsible  jsonb   NOT NULL,
    cooperating     jsonb   NOT NULL,
    deadline_year   integer NOT NULL
);

CREATE TABLE rm_plan_indicator (
    indicator_id        text    PRIMARY KEY,
    measure             text    NOT NULL,
    number              integer NOT NULL,
    text_lv             text    NOT NULL,
    text_en             text    NOT NULL,
    target              jsonb,
    secondary_target    jsonb,
    retired             boolean NOT NULL DEFAULT false,
    retire_reason       text,
    -- Where it was defined (the plan's publication or a supplement), and
    -- where it last changed.
    defined_at          bigint  NOT NULL,
    position            bigint  NOT NULL
);
CREATE INDEX rm_plan_indicator_measure ON rm_plan_indicator (measure, number);
