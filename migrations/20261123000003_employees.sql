-- One key per data subject (employee), outside the append-only log. Deleting
-- a row is the lawful erasure of that person's personal data: every sealed
-- copy (in events, read models, exports) becomes unreadable.
CREATE TABLE personal_data_keys (
    subject_id  uuid        PRIMARY KEY,
    key         bytea       NOT NULL CHECK (length(key) = 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Read model of the employee projection. Personal data stays sealed here too.
CREATE TABLE rm_employee (
    id                  uuid    PRIMARY KEY,
    institution_id      uuid    NOT NULL,
    job_groups          text[]  NOT NULL,
    functions           text[]  NOT NULL,
    civil_servant       boolean NOT NULL,
    manager_id          uuid,
    hired_on            date    NOT NULL,
    left_on             date,
    personal_nonce      text    NOT NULL,
    personal_ciphertext text    NOT NULL,
    personal_erased     boolean NOT NULL DEFAULT false
);
CREATE INDEX rm_employee_institution ON rm_employee (institution_id, id);

-- Where an employee worked when: KPIs count people by institution as of a
-- business date, not by where they are today.
CREATE TABLE rm_employment_period (
    employee_id     uuid    NOT NULL,
    institution_id  uuid    NOT NULL,
    from_date       date    NOT NULL,
    to_date         date,
    PRIMARY KEY (employee_id, from_date, institution_id)
);
