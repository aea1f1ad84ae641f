-- TRUNCATE of a captured app table (src/triggers.rs, capture_truncate): the queue moves by what
-- the table's rows contributed, appended as deltas like any other write, so a TRUNCATE costs a
-- pass over the queue, not a rebuild from every table. TRUNCATE urls ... CASCADE fires this
-- for every table it empties, the URLs' own rows maybe first: a URL gone since the last fold
-- still has its counts taken away. The number of deltas appended.
--
-- TRUNCATE urls under READ COMMITTED deletes the queue's rows itself instead, with what they
-- counted in their batches: a delta per URL, then a trigger per cascaded table each reading
-- the queue with every delta appended before it, took 7.5 s at 100k URLs (and the folder as
-- long again), holding every app table; deleting them takes 0.3 s. Rows another transaction
-- holds right now (a fold's, a lease being taken or ended) are passed over, never waited for,
-- and get deltas as before, as do URLs created since the last fold: nothing here waits for a
-- lock another transaction may hold while it waits for the app's tables, which this
-- transaction holds. Not under REPEATABLE READ or SERIALIZABLE: locking a row a fold changed
-- after this transaction's snapshot fails there with 40001, which a TRUNCATE alone never does.
CREATE FUNCTION annotate_internal.truncated(kind text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    me xid8 := pg_catalog.pg_current_xact_id();
    n bigint := 0;
BEGIN
    IF pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.<>) 'read committed'
       AND kind OPERATOR(pg_catalog.<>) ALL ('{record_type_user,location_user,agency_anon,record_type_anon,location_anon}'::text[]) THEN
        -- Under REPEATABLE READ or SERIALIZABLE the queue read below is the transaction's
        -- snapshot, taken before the TRUNCATE's lock: a write to the table committed in between
        -- is not in it, and its deltas, which stay, would leave the counts off what the empty
        -- table implies. As a rebuild does (build_queue(), sql/attach.sql), this TRUNCATE owes
        -- a reconcile(), which the folder makes in READ COMMITTED once it has committed:
        -- appended (reconcile_due), which takes no row lock a concurrent transaction may hold
        -- (an update of the state row could fail with 40001, or deadlock with a migration).
        INSERT INTO annotate_internal.reconcile_due DEFAULT VALUES;
        PERFORM annotate_internal.wake_folder_at_commit();
    END IF;
    IF kind OPERATOR(pg_catalog.=) 'urls' THEN
        IF pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.=) 'read committed' THEN
            WITH mine AS MATERIALIZED (
                SELECT q.url_id FROM annotate_internal.queue q FOR UPDATE SKIP LOCKED),
            gone AS (
                DELETE FROM annotate_internal.queue q USING mine m
                WHERE q.url_id OPERATOR(pg_catalog.=) m.url_id
                RETURNING q.batch_id, q.agency_rows OPERATOR(pg_catalog.>) 0 AS annotated),
            counts AS (     -- what the rows deleted counted in their batches (as a fold counts it)
                SELECT g.batch_id, pg_catalog.count(*) AS total,
                       pg_catalog.count(*) FILTER (WHERE g.annotated) AS annotated
                FROM gone g WHERE g.batch_id IS NOT NULL GROUP BY g.batch_id)
            UPDATE annotate_internal.batches b
            SET total_urls = b.total_urls OPERATOR(pg_catalog.-) c.total,
                annotated_urls = b.annotated_urls OPERATOR(pg_catalog.-) c.annotated
            FROM counts c WHERE b.batch_id OPERATOR(pg_catalog.=) c.batch_id;
            -- Every resume point from before it is void (src/resume.rs), as after any change
            -- that reaches many rows.
            INSERT INTO annotate_internal.queue_moved (xid, url_id) VALUES (me, NULL);
        END IF;
        -- The URLs left: rows held by another transaction, URLs not folded yet (all of them
        -- under REPEATABLE READ).
        INSERT INTO annotate_internal.queue_delta (xid, url_id, d_exists, d_manual)
        SELECT me, q.url_id, -1, CASE WHEN q.is_manual THEN -1 ELSE 0 END FROM annotate_internal.queue_now() q
        WHERE q.present;
    ELSIF kind OPERATOR(pg_catalog.=) 'batch_link' THEN
        INSERT INTO annotate_internal.queue_delta (xid, url_id, batch_id, d_batch)
        SELECT me, q.url_id, q.batch_id, -1 FROM annotate_internal.queue_now() q WHERE q.batch_id IS NOT NULL;
    ELSIF kind OPERATOR(pg_catalog.=) 'url_type_user' THEN
        INSERT INTO annotate_internal.queue_delta (xid, url_id, d_user)
        SELECT me, q.url_id, OPERATOR(pg_catalog.-) q.user_votes FROM annotate_internal.queue_now() q
        WHERE q.user_votes OPERATOR(pg_catalog.<>) 0;
    ELSIF kind OPERATOR(pg_catalog.=) 'url_type_anon' THEN
        INSERT INTO annotate_internal.queue_delta (xid, url_id, d_anon)
        SELECT me, q.url_id, OPERATOR(pg_catalog.-) q.anon_votes FROM annotate_internal.queue_now() q
        WHERE q.anon_votes OPERATOR(pg_catalog.<>) 0;
    ELSIF kind OPERATOR(pg_catalog.=) 'url_type_auto' THEN
        INSERT INTO annotate_internal.queue_delta (xid, url_id, d_auto)
        SELECT me, q.url_id, OPERATOR(pg_catalog.-) q.auto_votes FROM annotate_internal.queue_now() q
        WHERE q.auto_votes OPERATOR(pg_catalog.<>) 0;
    ELSIF kind OPERATOR(pg_catalog.=) 'agency_user' THEN
        INSERT INTO annotate_internal.queue_delta (xid, url_id, d_agency)
        SELECT me, q.url_id, OPERATOR(pg_catalog.-) q.agency_rows FROM annotate_internal.queue_now() q
        WHERE q.agency_rows OPERATOR(pg_catalog.<>) 0;
    ELSIF kind OPERATOR(pg_catalog.=) 'validated' THEN
        INSERT INTO annotate_internal.queue_delta (xid, url_id, d_validated)
        SELECT me, q.url_id, -1 FROM annotate_internal.queue_now() q WHERE q.validated;
    ELSIF kind OPERATOR(pg_catalog.=) 'suspended' THEN
        INSERT INTO annotate_internal.queue_delta (xid, url_id, d_suspended)
        SELECT me, q.url_id, -1 FROM annotate_internal.queue_now() q WHERE q.suspended;
    ELSIF kind OPERATOR(pg_catalog.=) ANY ('{follow,batch_location}'::text[]) THEN
        -- No batch is followed any more: every batch that was is recomputed.
        INSERT INTO annotate_internal.batch_event (xid, batch_id)
        SELECT me, b.batch_id FROM annotate_internal.batches_now() b WHERE b.followed;
    ELSE
        -- The other captured tables only end leases: emptying them changes no queue row, but
        -- every URL in them may be a caller's to annotate again (src/resume.rs).
        INSERT INTO annotate_internal.queue_moved (xid, url_id) VALUES (me, NULL);
        RETURN 0;
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
