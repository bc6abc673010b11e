-- Read model of the competency frameworks (issue 20): one row per framework
-- with its newest version's title, and every version's content whole, since
-- an assessment names the version it used.
CREATE TABLE rm_competency_framework (
    id              uuid    PRIMARY KEY,
    title           text    NOT NULL,
    latest_version  bigint  NOT NULL,
    retired         boolean NOT NULL DEFAULT false,
    retired_reason  text
);
CREATE INDEX rm_competency_framework_title ON rm_competency_framework (title, id);

CREATE TABLE rm_competency_framework_version (
    framework_id    uuid    NOT NULL,
    version         bigint  NOT NULL,
    content         jsonb   NOT NULL,
    PRIMARY KEY (framework_id, version)
);
