-- Version checks only where the writer is guessing (docs/architecture.md,
-- "Group commit").
--
-- append_events used to probe every stream of a batch for "at the version
-- assumed", under the lock. Those probes were about a quarter of the time
-- the lock was held: without them the store appends about a third faster.
-- Most of them were needless, because the writer already knows: it wrote that
-- version itself or read it from the log, and a version once written stays.
-- What it cannot know is whether another process has written the next
-- version since, and for that the unique index on (stream_id,
-- stream_version) answers as the row goes in. So a stream is probed only
-- where the writer's version is a guess (taken from what the caller
-- expected) or where the batch refuses a request on it (a refusal must rest
-- on the truth). When another process got there first, the insert fails
-- with a unique violation, nothing is written, and the writer reads the
-- truth and plans again.

DROP FUNCTION append_events(bigint, bytea, uuid[], text[], bigint[], bigint[], text[], bigint[], uuid[],
                            text[], integer[], jsonb[], jsonb[], text[], uuid[], uuid[], uuid[],
                            timestamptz[], timestamptz[], bytea[], bytea[], text);

-- Appends the rows if, under the lock, the log's head is (assumed_head,
-- assumed_head_hash), none of new_command_ids was appended before, and each
-- of stream_ids whose `checked` is true is at the matching assumed_versions
-- (the others are the writer's knowledge, and the unique index guards the
-- versions it adds to them). Returns NULL when the rows were written (and
-- the NOTIFY queued), or events_known(...) when an assumption failed, in
-- which case nothing was written.
CREATE FUNCTION append_events(
    assumed_head bigint, assumed_head_hash bytea,
    new_command_ids uuid[], stream_ids text[], assumed_versions bigint[], checked boolean[],
    p_position bigint[], p_stream_id text[], p_stream_version bigint[], p_event_id uuid[],
    p_event_type text[], p_schema_version integer[], p_payload jsonb[], p_metadata jsonb[],
    p_actor text[], p_command_id uuid[], p_correlation_id uuid[], p_causation_id uuid[],
    p_occurred_at timestamptz[], p_recorded_at timestamptz[], p_prev_hash bytea[], p_hash bytea[],
    notify_channel text
) RETURNS jsonb LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
    head_position bigint;
    head_hash bytea;
BEGIN
    PERFORM events_writer_lock();
    -- Let the lock go as soon as the commit is visible, without waiting for
    -- the WAL flush: the writer answers no one until it has forced that flush
    -- (eventstore/src/durability.rs), and whatever builds on this batch is
    -- logged after it, so it cannot outlive it in a crash.
    PERFORM set_config('synchronous_commit', 'off', true);
    -- Each statement from here on takes a fresh snapshot, which includes
    -- every append committed by earlier holders of the lock.
    SELECT h.position, h.hash INTO head_position, head_hash FROM events h ORDER BY h.position DESC LIMIT 1;
    IF COALESCE(head_position, 0) <> assumed_head
       OR (head_position IS NOT NULL AND head_hash <> assumed_head_hash)
       OR EXISTS (SELECT 1 FROM unnest(new_command_ids) AS c(id)
                  CROSS JOIN LATERAL (SELECT 1 FROM events e WHERE e.command_id = c.id LIMIT 1) AS seen)
       -- Versions run 1, 2, 3, ... without gaps, so a stream is at version v
       -- exactly when the highest of its versions v and v + 1 is v (0: none):
       -- at most two entries of the unique index. (Written as a scalar
       -- subquery: a correlated EXISTS here may be planned as a hash of the
       -- whole table, and a plan cached while the log was small would keep
       -- doing that as it grows.)
       OR EXISTS (SELECT 1 FROM unnest(stream_ids, assumed_versions, checked) AS s(id, version, checked)
                   WHERE s.checked
                     AND COALESCE((SELECT max(e.stream_version) FROM events e
                                    WHERE e.stream_id = s.id
                                      AND e.stream_version BETWEEN s.version AND s.version + 1), 0)
                         <> s.version)
    THEN
        RETURN events_known(new_command_ids, stream_ids);
    END IF;
    IF cardinality(p_position) > 0 THEN
        INSERT INTO events (position, stream_id, stream_version, event_id, event_type, schema_version,
                            payload, metadata, actor, command_id, correlation_id, causation_id,
                            occurred_at, recorded_at, prev_hash, hash)
        SELECT * FROM unnest(p_position, p_stream_id, p_stream_version, p_event_id, p_event_type,
                             p_schema_version, p_payload, p_metadata, p_actor, p_command_id,
                             p_correlation_id, p_causation_id, p_occurred_at, p_recorded_at,
                             p_prev_hash, p_hash);
        -- Delivered by PostgreSQL only when the transaction commits.
        PERFORM pg_notify(notify_channel, p_position[cardinality(p_position)]::text);
    END IF;
    RETURN NULL;
END;
$$;
