-- Followers are notified by the writer's flush, not by the append
-- (docs/architecture.md, "Group commit", step 3).
--
-- A transaction that notifies takes, at commit, a lock that PostgreSQL
-- holds database-wide so that notifications queue in commit order, and it
-- adds its entry to the notification queue. In append_events that work was
-- done while the store's lock was held, so every batch waited for it. The
-- writer's flush transaction, which commits after the batch and runs on a
-- connection of its own beside the next batch, now sends the NOTIFY with
-- the head position instead: after commit as before, and now also after the
-- batch is durable.
--
-- The rows are also unnested in the select list rather than in FROM: a
-- multi-argument unnest in FROM first copies every row into a tuplestore,
-- the select list hands them to the insert one by one (a few per cent of the
-- locked time; `prasme bench` writes its ceiling the same way).

DROP FUNCTION append_events(bigint, bytea, uuid[], text[], bigint[], boolean[], bigint[], text[], bigint[],
                            uuid[], text[], integer[], jsonb[], jsonb[], text[], uuid[], uuid[], uuid[],
                            timestamptz[], timestamptz[], bytea[], bytea[], text);

-- Appends the rows if, under the lock, the log's head is (assumed_head,
-- assumed_head_hash), none of new_command_ids was appended before, and each
-- of stream_ids whose `checked` is true is at the matching assumed_versions
-- (migration 0009). Returns NULL when the rows were written, or
-- events_known(...) when an assumption failed, in which case nothing was
-- written.
CREATE FUNCTION append_events(
    assumed_head bigint, assumed_head_hash bytea,
    new_command_ids uuid[], stream_ids text[], assumed_versions bigint[], checked boolean[],
    p_position bigint[], p_stream_id text[], p_stream_version bigint[], p_event_id uuid[],
    p_event_type text[], p_schema_version integer[], p_payload jsonb[], p_metadata jsonb[],
    p_actor text[], p_command_id uuid[], p_correlation_id uuid[], p_causation_id uuid[],
    p_occurred_at timestamptz[], p_recorded_at timestamptz[], p_prev_hash bytea[], p_hash bytea[]
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
        SELECT unnest(p_position), unnest(p_stream_id), unnest(p_stream_version), unnest(p_event_id),
               unnest(p_event_type), unnest(p_schema_version), unnest(p_payload), unnest(p_metadata),
               unnest(p_actor), unnest(p_command_id), unnest(p_correlation_id), unnest(p_causation_id),
               unnest(p_occurred_at), unnest(p_recorded_at), unnest(p_prev_hash), unnest(p_hash);
    END IF;
    RETURN NULL;
END;
$$;
