-- Appends in one round trip. The writer computes a batch's positions, stream
-- versions and hashes from what it believes the log looks like; append_events
-- takes the store's lock, checks that belief, and writes the batch only if it
-- holds. Otherwise it writes nothing and returns what is true, so the writer
-- can plan again (docs/architecture.md, "Group commit"). The batch commits
-- without waiting for its WAL flush; the writer forces the flush before it
-- answers anyone.

-- The store's global writer lock: transaction-scoped, so it is released only
-- once the holder's commit is visible. The key is "prasme" in ASCII.
CREATE FUNCTION events_writer_lock() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- Under REPEATABLE READ or SERIALIZABLE the snapshot would predate the
    -- lock, and an append planned on it could reuse positions or versions.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'events are appended under READ COMMITTED, not %',
            current_setting('transaction_isolation')
            USING ERRCODE = 'invalid_transaction_state';
    END IF;
    PERFORM pg_advisory_xact_lock(123636563537253);  -- 0x7072_6173_6d65
END;
$$;

-- What a batch must know: the head of the log, the earlier results of the
-- given command ids, and the current version of each given stream. Lateral
-- joins make one index probe per id: a plain `= ANY` may be planned as a scan
-- of the whole log once statistics lag behind its growth.
--
-- The functions that read the log run with enable_seqscan off. It grows by
-- thousands of rows a second, while a plan is cached for the life of a
-- connection and statistics are refreshed only now and then: a plan made when
-- the table looked empty must never go on scanning it whole.
CREATE FUNCTION events_known(command_ids uuid[], stream_ids text[]) RETURNS jsonb
LANGUAGE sql STABLE SET enable_seqscan = off AS $$
    SELECT jsonb_build_object(
        'head', (SELECT jsonb_build_array(h.position, encode(h.hash, 'hex'),
                                          (extract(epoch FROM h.recorded_at) * 1000000)::bigint)
                   FROM events h ORDER BY h.position DESC LIMIT 1),
        'earlier', COALESCE((SELECT jsonb_agg(jsonb_build_array(c.id, r.stream_id, r.first, r.last, r.version))
                               FROM unnest(command_ids) AS c(id)
                              CROSS JOIN LATERAL (
                                    SELECT (array_agg(e.stream_id ORDER BY e.position))[1] AS stream_id,
                                           min(e.position) AS first, max(e.position) AS last,
                                           max(e.stream_version) AS version, count(*) AS n
                                      FROM events e WHERE e.command_id = c.id) AS r
                              WHERE r.n > 0), '[]'::jsonb),
        'versions', COALESCE((SELECT jsonb_agg(jsonb_build_array(s.id,
                                  COALESCE((SELECT max(e.stream_version) FROM events e WHERE e.stream_id = s.id), 0)))
                                FROM unnest(stream_ids) AS s(id)), '[]'::jsonb))
$$;

-- Takes the lock, then reads: for a writer that must plan on the truth
-- within the transaction that will append.
CREATE FUNCTION events_lock_and_read(command_ids uuid[], stream_ids text[]) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM events_writer_lock();
    RETURN events_known(command_ids, stream_ids);
END;
$$;

-- Appends the rows if, under the lock, the log's head is (assumed_head,
-- assumed_head_hash), none of new_command_ids was appended before, and each
-- of stream_ids is at the matching assumed_versions. Returns NULL when the
-- rows were written (and the NOTIFY queued), or events_known(...) when an
-- assumption failed, in which case nothing was written.
CREATE FUNCTION append_events(
    assumed_head bigint, assumed_head_hash bytea,
    new_command_ids uuid[], stream_ids text[], assumed_versions bigint[],
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
       OR EXISTS (SELECT 1 FROM unnest(stream_ids, assumed_versions) AS s(id, version)
                   WHERE COALESCE((SELECT max(e.stream_version) FROM events e
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
