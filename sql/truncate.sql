-- TRUNCATE of a captured app table (src/triggers.rs, capture_truncate): the queue moves by what
-- the table's rows contributed, appended as deltas like any other write, so a TRUNCATE costs a
-- pass over the queue, not a rebuild from every table. TRUNCATE urls ... CASCADE fires this
-- for every table it empties, the URLs' own rows maybe first: a URL gone since the last fold
-- still has its counts taken away. The number of deltas appended.
--
-- Cost: one pass per table over the queue and the pending writes of that table's kind (not
-- queue_now(), which sums every pending write of every kind: in a TRUNCATE of several tables,
-- urls ... CASCADE above all, each table's pass read the writes appended for the tables
-- before it, 7.5 s at 100k URLs), and the deltas packed: URLs with the same change appended
-- together, up to 400 a row, as the capture triggers pack a statement's rows (src/held.rs).
-- No row of the queue or of the batches is locked or written here: deleting the queue's rows
-- directly (a version of this function did) held them and the batches' rows until the
-- TRUNCATE's transaction ended, and a fold, or this transaction's own release_claim() or
-- reconcile() behind one, met them: deadlocks, found by two reviews. A count beyond what a
-- delta's smallint holds is taken away in several rows.
CREATE FUNCTION annotate_internal.truncated(kind text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- Its passes read the whole queue: past jit_above_cost, JIT compiling took 0.4 s of 0.5.
SET jit = off
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
        -- Every URL the queue has now leaves it (a manual one takes its mark with it).
        INSERT INTO annotate_internal.queue_delta (xid, url_id, more_urls, d_exists, d_manual)
        SELECT me, c.ids[1],
               CASE WHEN pg_catalog.cardinality(c.ids) OPERATOR(pg_catalog.>) 1
                    THEN c.ids[2:pg_catalog.cardinality(c.ids)] END,
               -1, c.manual
        FROM (SELECT k.manual, pg_catalog.array_agg(k.url_id ORDER BY k.url_id) AS ids
              FROM (SELECT t.url_id, t.manual,
                           (pg_catalog.row_number() OVER (PARTITION BY t.manual ORDER BY t.url_id)
                               OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog./) 400 AS pack
                    FROM (SELECT q.url_id, CASE WHEN q.is_manual THEN -1 ELSE 0 END AS manual
                          FROM annotate_internal.queue_now() q WHERE q.present) t) k
              GROUP BY k.manual, k.pack) c;
    ELSIF kind OPERATOR(pg_catalog.=) 'batch_link' THEN
        -- Every URL leaves the batch it is linked to now: per URL and batch, the folded link
        -- (1) plus the pending link changes (d_batch), linked when above 0 (a URL is linked to
        -- one batch at most: the reading of pending_urls(), without its other sums).
        INSERT INTO annotate_internal.queue_delta (xid, url_id, more_urls, batch_id, d_batch)
        SELECT me, c.ids[1],
               CASE WHEN pg_catalog.cardinality(c.ids) OPERATOR(pg_catalog.>) 1
                    THEN c.ids[2:pg_catalog.cardinality(c.ids)] END,
               c.batch_id, -1
        FROM (SELECT k.batch_id, pg_catalog.array_agg(k.url_id ORDER BY k.url_id) AS ids
              FROM (SELECT t.url_id, t.batch_id,
                           (pg_catalog.row_number() OVER (PARTITION BY t.batch_id ORDER BY t.url_id)
                               OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog./) 400 AS pack
                    FROM (SELECT COALESCE(q.url_id, p.url_id) AS url_id, COALESCE(q.batch_id, p.batch_id) AS batch_id
                          FROM (SELECT f.url_id, f.batch_id FROM annotate_internal.queue f
                                WHERE f.batch_id IS NOT NULL) q
                          FULL JOIN (SELECT d.url_id, d.batch_id, pg_catalog.sum(d.d_batch)::integer AS d
                                     FROM annotate_internal.pending_deltas() d
                                     WHERE d.d_batch OPERATOR(pg_catalog.<>) 0
                                     GROUP BY d.url_id, d.batch_id) p
                            ON p.url_id OPERATOR(pg_catalog.=) q.url_id AND p.batch_id OPERATOR(pg_catalog.=) q.batch_id
                          WHERE (CASE WHEN q.url_id IS NULL THEN 0 ELSE 1 END OPERATOR(pg_catalog.+) COALESCE(p.d, 0))
                                OPERATOR(pg_catalog.>) 0) t) k
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
              FROM (SELECT t.url_id, x.change,
                           (pg_catalog.row_number() OVER (PARTITION BY x.change, x.piece ORDER BY t.url_id)
                               OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog./) 400 AS pack, x.piece
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
                                     ELSE n.now OPERATOR(pg_catalog.<>) 0 END) t
                    -- in pieces a smallint holds (the last one the rest)
                    CROSS JOIN LATERAL (
                        SELECT i.piece,
                               pg_catalog.sign(t.change)::integer OPERATOR(pg_catalog.*)
                                   LEAST(32767, pg_catalog.abs(t.change) OPERATOR(pg_catalog.-)
                                                ((i.piece OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog.*) 32767)) AS change
                        FROM pg_catalog.generate_series(1, (pg_catalog.abs(t.change) OPERATOR(pg_catalog.-) 1)
                                                              OPERATOR(pg_catalog./) 32767 OPERATOR(pg_catalog.+) 1) AS i(piece)) x) k
              GROUP BY k.change, k.piece, k.pack) c;
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
