-- The scorecard's plan coverage without a scan of the institution's staff
-- (docs/kpis.md §2.8). The `scorecard` projection keeps its own copy of the
-- employment periods (folded as the employee projection folds them) and the
-- years each employee has an approved plan in, and from them the periods
-- starting and ending per institution, year and date: of every period
-- (year 0), and of the periods of employees with an approved plan
-- overlapping that year. Headcount and plan holders on a date are sums of
-- an institution's rows, as `rm_employment_flow` gives learning time.
CREATE TABLE rm_scorecard_period (
    employee_id     uuid    NOT NULL,
    from_date       date    NOT NULL,
    institution_id  uuid    NOT NULL,
    to_date         date,
    PRIMARY KEY (employee_id, from_date, institution_id)
);

CREATE TABLE rm_scorecard_plan_year (
    employee_id     uuid    NOT NULL,
    year            integer NOT NULL,
    PRIMARY KEY (employee_id, year)
);

-- Never a row of 0 and 0: a date with nothing left is deleted.
CREATE TABLE rm_scorecard_coverage_flow (
    institution_id  uuid    NOT NULL,
    year            integer NOT NULL,
    on_date         date    NOT NULL,
    started         integer NOT NULL,
    ended           integer NOT NULL,
    PRIMARY KEY (institution_id, year, on_date)
);


-- The projection reads two more event types (EmployeeLeft,
-- DevelopmentPlanApproved) for these tables: it starts again from the
-- beginning of the log, so that they hold every event before this
-- migration too.
DELETE FROM rm_priority_participation;
DELETE FROM rm_priority_participant;
DELETE FROM rm_scorecard_completion;
DELETE FROM rm_scorecard_standing;
DELETE FROM rm_scorecard_offering;
DELETE FROM rm_scorecard_course;
UPDATE projection_checkpoints SET position = 0, updated_at = now() WHERE name = 'scorecard';
