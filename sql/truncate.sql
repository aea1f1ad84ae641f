-- TRUNCATE of a captured app table (src/triggers.rs, capture_truncate): the queue moves by what
-- the table's rows contributed, appended as deltas like any other write, so a TRUNCATE costs a
-- pass over the queue, not a rebuild from every table. TRUNCATE urls ... CASCADE fires this
-- for every table it empties, the URLs' own rows maybe first: a URL gone since the last fold
-- still has its counts taken away. The number of deltas appended.
--
-- TRUNCATE urls under READ COMMITTED deletes the queue's rows itself instead, with what they
-- counted in their batches: a delta per URL, then a trigger per cascaded table each reading
-- the queue with every delta appended before it, took 7.5 s at 100k URLs (and the folder as
-- long again), holding every app table; deleting them takes 0.3 s. Only rows whose URL has no
-- write pending (a pending write counts from the folded row: deleted, its base would be lost,
-- and a URL id made again would come back wrong, found by a review), whose batch row is free
-- too, and which no other transaction holds: the others get deltas as before. Row locks are
-- taken with SKIP LOCKED, batches' and URLs' alike, so nothing here waits for a lock another
-- transaction holds (a fold's upsert of a batch's counts waited on this one's while this one
-- waited on a batch the fold held: a deadlock, found by the same review); a fold or
-- release_claim() meeting a row deleted here waits for this transaction, as any reader of the
-- app's tables does. Not under REPEATABLE READ or SERIALIZABLE: locking a row a fold changed
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
            WITH pending AS MATERIALIZED (     -- URLs with writes not folded yet, this one's too
                SELECT DISTINCT d.url_id FROM annotate_internal.pending_deltas() d),
            free_batches AS MATERIALIZED (
                SELECT b.batch_id FROM annotate_internal.batches b FOR UPDATE SKIP LOCKED),
            mine AS MATERIALIZED (
                SELECT q.url_id FROM annotate_internal.queue q
                LEFT JOIN free_batches f ON f.batch_id OPERATOR(pg_catalog.=) q.batch_id
                WHERE (q.batch_id IS NULL OR f.batch_id IS NOT NULL)
                  AND NOT EXISTS (SELECT 1 FROM pending p WHERE p.url_id OPERATOR(pg_catalog.=) q.url_id)
                FOR UPDATE OF q SKIP LOCKED),
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
        -- The URLs left: with writes pending, in a batch or a row another transaction holds,
        -- not folded yet (all of them under REPEATABLE READ).
        INSERT INTO annotate_internal.queue_delta (xid, url_id, d_exists, d_manual)
        SELECT me, q.url_id, -1, CASE WHEN q.is_manual THEN -1 ELSE 0 END FROM annotate_internal.queue_now() q
        WHERE q.present;
    ELSIF kind OPERATOR(pg_catalog.=) 'batch_link' THEN
        -- Every URL leaves its batch: packed by batch, up to 400 URLs a row (as below).
        INSERT INTO annotate_internal.queue_delta (xid, url_id, more_urls, batch_id, d_batch)
        SELECT me, c.ids[1],
               CASE WHEN pg_catalog.cardinality(c.ids) OPERATOR(pg_catalog.>) 1
                    THEN c.ids[2:pg_catalog.cardinality(c.ids)] END,
               c.batch_id, -1
        FROM (SELECT k.batch_id, pg_catalog.array_agg(k.url_id ORDER BY k.url_id) AS ids
              FROM (SELECT q.url_id, q.batch_id,
                           (pg_catalog.row_number() OVER (PARTITION BY q.batch_id ORDER BY q.url_id)
                               OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog./) 400 AS pack
                    FROM annotate_internal.queue_now() q WHERE q.batch_id IS NOT NULL) k
              GROUP BY k.batch_id, k.pack) c;
    ELSIF kind OPERATOR(pg_catalog.=) ANY ('{url_type_user,url_type_anon,url_type_auto,agency_user,validated,suspended}'::text[]) THEN
        -- What the table's rows count now, URL by URL (n): the folded value plus the pending
        -- writes of this kind alone. Not queue_now(), which sums every pending write of every
        -- kind: in a TRUNCATE of several tables each table's pass read the writes appended for
        -- the tables before it (0.7 s a pass at 100k URLs; 50 ms this way). A count is taken to
        -- zero, a flag (validated, suspended) cleared where it is set. URLs with the same
        -- change are appended together, up to 400 a row, as the capture triggers pack a
        -- statement's rows (src/held.rs): a row per URL took 190 ms for the 60,000 robot votes
        -- at 100k URLs.
        INSERT INTO annotate_internal.queue_delta (xid, url_id, more_urls, d_user, d_anon, d_auto, d_agency,
                                                   d_validated, d_suspended)
        SELECT me, c.ids[1],
               CASE WHEN pg_catalog.cardinality(c.ids) OPERATOR(pg_catalog.>) 1
                    THEN c.ids[2:pg_catalog.cardinality(c.ids)] END,
               CASE WHEN kind OPERATOR(pg_catalog.=) 'url_type_user' THEN c.change ELSE 0 END,
               CASE WHEN kind OPERATOR(pg_catalog.=) 'url_type_anon' THEN c.change ELSE 0 END,
               CASE WHEN kind OPERATOR(pg_catalog.=) 'url_type_auto' THEN c.change ELSE 0 END,
               CASE WHEN kind OPERATOR(pg_catalog.=) 'agency_user' THEN c.change ELSE 0 END,
               CASE WHEN kind OPERATOR(pg_catalog.=) 'validated' THEN c.change ELSE 0 END,
               CASE WHEN kind OPERATOR(pg_catalog.=) 'suspended' THEN c.change ELSE 0 END
        FROM (SELECT k.change, pg_catalog.array_agg(k.url_id ORDER BY k.url_id) AS ids
              FROM (SELECT t.url_id, t.change,
                           (pg_catalog.row_number() OVER (PARTITION BY t.change ORDER BY t.url_id)
                               OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog./) 400 AS pack
                    FROM (SELECT n.url_id,
                                 CASE WHEN kind OPERATOR(pg_catalog.=) ANY ('{validated,suspended}'::text[]) THEN -1
                                      ELSE OPERATOR(pg_catalog.-) n.now END AS change
                          FROM (SELECT COALESCE(q.url_id, p.url_id) AS url_id,
                                       COALESCE(CASE WHEN kind OPERATOR(pg_catalog.=) 'url_type_user' THEN q.user_votes
                                                     WHEN kind OPERATOR(pg_catalog.=) 'url_type_anon' THEN q.anon_votes
                                                     WHEN kind OPERATOR(pg_catalog.=) 'url_type_auto' THEN q.auto_votes
                                                     WHEN kind OPERATOR(pg_catalog.=) 'agency_user' THEN q.agency_rows
                                                     WHEN kind OPERATOR(pg_catalog.=) 'validated' THEN q.validated::integer
                                                     ELSE q.suspended::integer END, 0)
                                           OPERATOR(pg_catalog.+) COALESCE(p.d, 0) AS now
                                FROM annotate_internal.queue q
                                FULL JOIN (SELECT w.url_id, pg_catalog.sum(w.d)::integer AS d
                                           FROM (SELECT d.url_id,
                                                        CASE WHEN kind OPERATOR(pg_catalog.=) 'url_type_user' THEN d.d_user
                                                             WHEN kind OPERATOR(pg_catalog.=) 'url_type_anon' THEN d.d_anon
                                                             WHEN kind OPERATOR(pg_catalog.=) 'url_type_auto' THEN d.d_auto
                                                             WHEN kind OPERATOR(pg_catalog.=) 'agency_user' THEN d.d_agency
                                                             WHEN kind OPERATOR(pg_catalog.=) 'validated' THEN d.d_validated
                                                             ELSE d.d_suspended END AS d
                                                 FROM annotate_internal.pending_deltas() d) w
                                           WHERE w.d OPERATOR(pg_catalog.<>) 0
                                           GROUP BY w.url_id) p ON p.url_id OPERATOR(pg_catalog.=) q.url_id) n
                          WHERE CASE WHEN kind OPERATOR(pg_catalog.=) ANY ('{validated,suspended}'::text[])
                                     THEN n.now OPERATOR(pg_catalog.>) 0
                                     ELSE n.now OPERATOR(pg_catalog.<>) 0 END) t) k
              GROUP BY k.change, k.pack) c;
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
