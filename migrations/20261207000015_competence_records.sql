-- Read model of employees' competence records (issue 20): every assessment
-- and talent review, as the events state them. The current profile is the
-- latest assessment of each competency by business date (then by log
-- position), read with DISTINCT ON, so a back-dated assessment never
-- supersedes a later one and rebuilding needs no order but the log's.
CREATE TABLE rm_competency_assessment (
    assessment_id       uuid    PRIMARY KEY,
    employee_id         uuid    NOT NULL,
    institution_id      uuid    NOT NULL,
    resor               text,
    job_groups          text[]  NOT NULL,
    framework_id        uuid    NOT NULL,
    framework_version   bigint  NOT NULL,
    competency          text    NOT NULL,
    level               integer NOT NULL,
    required_level      integer,
    method              text    NOT NULL,
    feedback_cycle_id   uuid,
    assessor_id         uuid,
    assessed_on         date    NOT NULL,
    evidence_note       text,
    position            bigint  NOT NULL
);
CREATE INDEX rm_competency_assessment_current
    ON rm_competency_assessment (employee_id, framework_id, competency, assessed_on DESC, position DESC);
CREATE INDEX rm_competency_assessment_institution ON rm_competency_assessment (institution_id, framework_id);

CREATE TABLE rm_talent_review (
    review_id       uuid    PRIMARY KEY,
    employee_id     uuid    NOT NULL,
    institution_id  uuid    NOT NULL,
    resor           text,
    performance     text    NOT NULL,
    potential       text    NOT NULL,
    reviewer_id     uuid,
    reviewed_on     date    NOT NULL,
    position        bigint  NOT NULL
);
CREATE INDEX rm_talent_review_employee ON rm_talent_review (employee_id, reviewed_on DESC, position DESC);
CREATE INDEX rm_talent_review_institution ON rm_talent_review (institution_id, reviewed_on);

-- The framework competencies a course develops, as its description names
-- them: a passed completion is evidence of them in the learner's profile.
ALTER TABLE rm_course ADD COLUMN develops jsonb NOT NULL DEFAULT '[]';
