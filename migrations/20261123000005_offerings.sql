-- Read models of the offering projection: offerings and every place in them.
CREATE TABLE rm_offering (
    id              uuid    PRIMARY KEY,
    course_id       uuid    NOT NULL,
    starts_on       date    NOT NULL,
    ends_on         date    NOT NULL,
    format          text    NOT NULL,
    capacity        integer NOT NULL,
    cost_cents      bigint  NOT NULL,
    organiser       text    NOT NULL,
    cancelled       boolean NOT NULL DEFAULT false,
    cancel_reason   text
);
CREATE INDEX rm_offering_course ON rm_offering (course_id, starts_on);

CREATE TABLE rm_place (
    offering_id             uuid    NOT NULL,
    employee_id             uuid    NOT NULL,
    institution_id          uuid    NOT NULL,
    status                  text    NOT NULL,
    -- The global position at which the place joined the waitlist: its order.
    waitlisted_at           bigint,
    attendance              text,
    certificate_number      text,
    passed                  boolean,
    score                   integer,
    knowledge_test_passed   boolean,
    minutes                 integer,
    completed_on            date,
    revoked                 boolean NOT NULL DEFAULT false,
    PRIMARY KEY (offering_id, employee_id)
);
CREATE INDEX rm_place_employee ON rm_place (employee_id);
CREATE UNIQUE INDEX rm_place_certificate ON rm_place (certificate_number);
