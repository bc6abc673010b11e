-- 360-degree feedback cycles (issue 20). See docs/competencies.md, "360-degree
-- feedback: anonymity by construction".
--
-- Outside the event log: one key per open cycle, and the submissions sealed
-- under it until the cycle closes. Closing or cancelling a cycle deletes both;
-- after that nothing links a submission to its rater. No timestamps, no serial
-- ids: nothing here orders the submissions.
CREATE TABLE feedback_cycle_keys (
    cycle_id    uuid    PRIMARY KEY,
    key         bytea   NOT NULL CHECK (length(key) = 32)
);

CREATE TABLE feedback_pending (
    cycle_id        uuid    NOT NULL,
    -- hex(HMAC-SHA256(cycle key, invitation id)): refuses a second submission.
    pseudonym       text    NOT NULL,
    relationship    text    NOT NULL,
    nonce           bytea   NOT NULL,
    sealed          bytea   NOT NULL,
    PRIMARY KEY (cycle_id, pseudonym)
);

-- Which open cycles invite an employee, so that a rater can find them
-- (`feedbackInvitations`). Who is invited is not who submitted what; like the
-- key, the rows go when the cycle closes or is cancelled. A row whose
-- invitation was never appended is harmless: the invitation is unsealed
-- before a row is shown.
CREATE TABLE feedback_inbox (
    rater_id    uuid    NOT NULL,
    cycle_id    uuid    NOT NULL,
    PRIMARY KEY (rater_id, cycle_id)
);
CREATE INDEX feedback_inbox_cycle ON feedback_inbox (cycle_id);

-- Read model: the cycles, the invitations counted per group (never who), and
-- the responses written at close (released groups only, hidden cells left out),
-- without pseudonym or order.
CREATE TABLE rm_feedback_cycle (
    cycle_id            uuid    PRIMARY KEY,
    subject_id          uuid    NOT NULL,
    institution_id      uuid    NOT NULL,
    framework_id        uuid    NOT NULL,
    framework_version   bigint  NOT NULL,
    competencies        jsonb   NOT NULL,
    deadline            date    NOT NULL,
    min_raters          integer NOT NULL,
    status              text    NOT NULL,
    cancel_reason       text,
    position            bigint  NOT NULL
);
CREATE INDEX rm_feedback_cycle_subject ON rm_feedback_cycle (subject_id);

CREATE TABLE rm_feedback_invited (
    cycle_id        uuid    NOT NULL,
    relationship    text    NOT NULL,
    invited         integer NOT NULL,
    -- Set by the close from its counts; only released groups' answers are written.
    responses       bigint,
    PRIMARY KEY (cycle_id, relationship)
);

CREATE TABLE rm_feedback_response (
    cycle_id        uuid    NOT NULL,
    relationship    text    NOT NULL,
    ratings         jsonb   NOT NULL,
    comment         text
);
CREATE INDEX rm_feedback_response_cycle ON rm_feedback_response (cycle_id);
