-- The append-only event log. Positions are assigned by the writer while it
-- holds the store's global advisory lock, so they are gap-free and follow
-- commit order (see docs/architecture.md, "Global order").
CREATE TABLE events (
    position        bigint      PRIMARY KEY CHECK (position > 0),
    stream_id       text        NOT NULL CHECK (length(stream_id) BETWEEN 1 AND 200),
    stream_version  bigint      NOT NULL CHECK (stream_version > 0),
    event_id        uuid        NOT NULL UNIQUE,
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL CHECK (schema_version > 0),
    payload         jsonb       NOT NULL,
    metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    actor           text        NOT NULL,
    command_id      uuid        NOT NULL,
    correlation_id  uuid        NOT NULL,
    causation_id    uuid        NOT NULL,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL,
    prev_hash       bytea       NOT NULL,
    hash            bytea       NOT NULL,
    UNIQUE (stream_id, stream_version)
);

CREATE INDEX events_command_id ON events (command_id);

CREATE FUNCTION events_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER events_no_update_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_immutable();

CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_are_immutable();

-- One row per projection: the last global position whose effects are in its
-- read model. Written in the same transaction as the read-model rows.
CREATE TABLE projection_checkpoints (
    name       text        PRIMARY KEY,
    position   bigint      NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
