-- Read model of the course catalogue.
CREATE TABLE rm_course (
    id                  uuid    PRIMARY KEY,
    title               text    NOT NULL,
    owner_level         text    NOT NULL,
    owner_resor         text,
    owner_institution   uuid,
    owner_group         text,
    priority            integer NOT NULL,
    measures            text[]  NOT NULL,
    course_type         text    NOT NULL,
    knowledge_test      boolean NOT NULL,
    duration_minutes    integer NOT NULL,
    language            text    NOT NULL,
    competencies        text[]  NOT NULL,
    retired             boolean NOT NULL DEFAULT false,
    retired_reason      text
);
CREATE INDEX rm_course_title ON rm_course (title, id);
