-- The KPI engine (issue 21): one projection keeps every computed
-- indicator's series current, event by event. It keeps its own copy of the
-- reference facts it needs (institutions, careers, courses, offerings), so
-- its numbers depend only on the events it has read, never on another
-- projection's progress. docs/kpis.md §4.

ALTER TABLE rm_plan_indicator ADD COLUMN computation jsonb;

-- Each series of each computed indicator: "1.4.1/1", "1.4.1/2".
CREATE TABLE rm_kpi_series (
    series_key      text    PRIMARY KEY,
    indicator_id    text    NOT NULL,
    ordinal         integer NOT NULL,
    definition      jsonb   NOT NULL,
    retired         boolean NOT NULL DEFAULT false
);

CREATE TABLE rm_kpi_institution (
    institution_id  uuid    PRIMARY KEY,
    kind            text    NOT NULL,
    resor           text
);

CREATE TABLE rm_kpi_career (
    employee_id     uuid    PRIMARY KEY,
    career          jsonb   NOT NULL
);

CREATE TABLE rm_kpi_course (
    course_id       uuid    PRIMARY KEY,
    tags            jsonb   NOT NULL,
    catalogued_on   date    NOT NULL
);

CREATE TABLE rm_kpi_offering (
    offering_id     uuid    PRIMARY KEY,
    course_id       uuid    NOT NULL,
    starts_on       date    NOT NULL,
    cancelled       boolean NOT NULL DEFAULT false
);

-- Every fact about an employee, counted or not, to be placed again when a
-- change to their history (a back-dated transfer, a departure) moves it.
CREATE TABLE rm_kpi_employee_fact (
    fact_key        text    PRIMARY KEY,
    employee_id     uuid    NOT NULL,
    occurred_on     date    NOT NULL,
    fact            jsonb   NOT NULL
);
CREATE INDEX rm_kpi_employee_fact_employee ON rm_kpi_employee_fact (employee_id, occurred_on);

-- Every counted fact, with the subject and cells it counted in, so that a
-- revocation or a correction takes back exactly what it added.
CREATE TABLE rm_kpi_fact (
    fact_key        text    NOT NULL,
    series_key      text    NOT NULL,
    subject         text    NOT NULL,
    occurred_on     date    NOT NULL,
    cells           jsonb   NOT NULL,
    PRIMARY KEY (fact_key, series_key)
);
CREATE INDEX rm_kpi_fact_subject ON rm_kpi_fact (series_key, subject);

-- A subject counted in a cell, with how many facts (or, for a share's
-- population, 1) keep it there. part: 'N' the count (numerator), 'D' a
-- share's denominator.
CREATE TABLE rm_kpi_member (
    series_key      text    NOT NULL,
    subject         text    NOT NULL,
    year            integer NOT NULL,
    dimension       text    NOT NULL,
    value           text    NOT NULL,
    part            text    NOT NULL,
    refs            integer NOT NULL,
    PRIMARY KEY (series_key, subject, part, year, dimension, value)
);

-- The value of each cell: year 0 is the whole plan.
CREATE TABLE rm_kpi_value (
    series_key      text    NOT NULL,
    year            integer NOT NULL,
    dimension       text    NOT NULL,
    value           text    NOT NULL,
    count           bigint  NOT NULL DEFAULT 0,
    denominator     bigint  NOT NULL DEFAULT 0,
    position        bigint  NOT NULL,
    PRIMARY KEY (series_key, year, dimension, value)
);

-- Every change of a series' total, per year and for the whole plan, with
-- the position and recorded time of the event that made it.
CREATE TABLE rm_kpi_history (
    series_key      text        NOT NULL,
    year            integer     NOT NULL,
    position        bigint      NOT NULL,
    recorded_at     timestamptz NOT NULL,
    count           bigint      NOT NULL,
    denominator     bigint      NOT NULL,
    PRIMARY KEY (series_key, year, position)
);
CREATE INDEX rm_kpi_history_as_of ON rm_kpi_history (series_key, year, recorded_at DESC, position DESC);
CREATE INDEX rm_kpi_history_position ON rm_kpi_history (position);
