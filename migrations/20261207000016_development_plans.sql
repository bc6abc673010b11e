-- Read model of individual development plans (issue 20): one row per plan,
-- its goals with their latest recorded level, and its activities. Coverage
-- per institution, resor and year (seed 001) and the workplace-based share of
-- activities (annex 3: 70 %) are read from these with the employment periods.
CREATE TABLE rm_development_plan (
    plan_id         uuid    PRIMARY KEY,
    employee_id     uuid    NOT NULL,
    institution_id  uuid    NOT NULL,
    resor           text,
    starts_on       date    NOT NULL,
    ends_on         date    NOT NULL,
    approved_on     date,
    approver_id     uuid,
    reviewed_on     date,
    summary         text,
    goals_achieved  integer,
    goals_total     integer,
    position        bigint  NOT NULL
);
CREATE INDEX rm_development_plan_employee ON rm_development_plan (employee_id, starts_on DESC, plan_id);
CREATE INDEX rm_development_plan_period ON rm_development_plan (starts_on, ends_on) WHERE approved_on IS NOT NULL;

CREATE TABLE rm_development_goal (
    plan_id             uuid    NOT NULL,
    goal_id             uuid    NOT NULL,
    ordinal             integer NOT NULL,
    framework_id        uuid    NOT NULL,
    framework_version   bigint  NOT NULL,
    competency          text    NOT NULL,
    target_level        integer NOT NULL,
    levels              integer NOT NULL,
    level               integer,
    achieved            boolean NOT NULL DEFAULT false,
    recorded_on         date,
    note                text,
    PRIMARY KEY (plan_id, goal_id)
);

CREATE TABLE rm_development_activity (
    plan_id         uuid    NOT NULL,
    activity_id     uuid    NOT NULL,
    ordinal         integer NOT NULL,
    kind            text    NOT NULL,
    title           text    NOT NULL,
    course_id       uuid,
    goal_id         uuid,
    completed_on    date,
    note            text,
    PRIMARY KEY (plan_id, activity_id)
);
