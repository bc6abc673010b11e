-- The institution scorecard (docs/kpis.md, "Institution scorecard").
--
-- Participation per strategic priority: the `scorecard` projection keeps its
-- own copies of the facts it needs (a course's priority, an offering's
-- course, where each employee stood from which date, each completion), all
-- folded in log order, so a backdated transfer or a course moved to another
-- priority re-attributes the completions it touches without reading another
-- projection's tables. From them it keeps one row per (institution, year,
-- priority, employee) with a passed, unrevoked completion, and the count of
-- those rows: the scorecard reads five rows.
CREATE TABLE rm_scorecard_course (
    course_id   uuid PRIMARY KEY,
    priority    text NOT NULL
);

CREATE TABLE rm_scorecard_offering (
    offering_id uuid PRIMARY KEY,
    course_id   uuid NOT NULL
);
CREATE INDEX rm_scorecard_offering_course ON rm_scorecard_offering (course_id);

-- From `from_date` the employee stood in `institution_id` (hire, transfers);
-- `position` orders two changes on one date as the log does.
CREATE TABLE rm_scorecard_standing (
    employee_id     uuid    NOT NULL,
    from_date       date    NOT NULL,
    position        bigint  NOT NULL,
    institution_id  uuid    NOT NULL,
    PRIMARY KEY (employee_id, from_date, position)
);

CREATE TABLE rm_scorecard_completion (
    offering_id     uuid    NOT NULL,
    employee_id     uuid    NOT NULL,
    completed_on    date    NOT NULL,
    passed          boolean NOT NULL,
    revoked         boolean NOT NULL DEFAULT false,
    PRIMARY KEY (offering_id, employee_id)
);
CREATE INDEX rm_scorecard_completion_employee ON rm_scorecard_completion (employee_id);

CREATE TABLE rm_priority_participant (
    institution_id  uuid    NOT NULL,
    year            integer NOT NULL,
    priority        text    NOT NULL,
    employee_id     uuid    NOT NULL,
    PRIMARY KEY (institution_id, year, priority, employee_id)
);
CREATE INDEX rm_priority_participant_employee ON rm_priority_participant (employee_id);

-- Never a row of 0: a key with no participant left is deleted.
CREATE TABLE rm_priority_participation (
    institution_id  uuid    NOT NULL,
    year            integer NOT NULL,
    priority        text    NOT NULL,
    participants    integer NOT NULL,
    PRIMARY KEY (institution_id, year, priority)
);

-- Learning minutes per institution and completion month, kept by the
-- offering projection from each place's counted completion (the rule of
-- docs/kpis.md §2.4: the place's institution, not revoked).
CREATE TABLE rm_learning_month (
    institution_id  uuid    NOT NULL,
    year            integer NOT NULL,
    month           integer NOT NULL,
    minutes         bigint  NOT NULL,
    PRIMARY KEY (institution_id, year, month)
);

-- Employment periods starting and ending per institution and date, kept by
-- the employee projection: who worked there on a date, or in a month, is a
-- sum of an institution's flows, not a scan of its periods.
CREATE TABLE rm_employment_flow (
    institution_id  uuid    NOT NULL,
    on_date         date    NOT NULL,
    started         integer NOT NULL,
    ended           integer NOT NULL,
    PRIMARY KEY (institution_id, on_date)
);

-- The activities of the approved plans made in an institution, per year
-- their period overlaps, kept by the development-plan projection at approval.
CREATE TABLE rm_plan_activity_year (
    institution_id  uuid    NOT NULL,
    year            integer NOT NULL,
    activities      integer NOT NULL,
    workplace       integer NOT NULL,
    PRIMARY KEY (institution_id, year)
);

-- Who among an institution's staff on a date has an approved plan is still
-- read from its periods: this index reads that institution's only.
CREATE INDEX rm_employment_period_institution ON rm_employment_period (institution_id, from_date);
