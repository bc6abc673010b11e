-- Searching employees by name without the name in clear anywhere: a blind
-- index of keyed digests (HMAC-SHA-256, first 16 bytes) of the normalised
-- prefixes of each word of a name (domain/src/name_search.rs). Like the keys
-- beside it, it is personal data outside the log: erasing a person deletes
-- their rows with their key.
CREATE TABLE personal_name_index (
    subject_id  uuid    NOT NULL,
    token       bytea   NOT NULL CHECK (length(token) = 16),
    PRIMARY KEY (token, subject_id)
);
CREATE INDEX personal_name_index_subject ON personal_name_index (subject_id);

-- The one key of those digests, made on first use.
CREATE TABLE personal_name_index_key (
    id      boolean PRIMARY KEY DEFAULT true CHECK (id),
    key     bytea   NOT NULL CHECK (length(key) = 32)
);
