-- Participants' feedback on an offering (seed 000 §5.3): one row per kind.
CREATE TABLE rm_feedback (
    offering_id     uuid    NOT NULL,
    employee_id     uuid    NOT NULL,
    kind            text    NOT NULL,
    organisation    integer,
    content         integer,
    trainer         integer,
    usefulness      integer,
    methods         integer,
    applied_at_work boolean,
    comment         text,
    PRIMARY KEY (offering_id, employee_id, kind)
);
