-- Folds the pending writes of every URL whose queue row this transaction can lock now (a row
-- a lease is being taken on is left for the next fold, never waited for): the URL's state and
-- its batch's counts move by the writes, a lease ends when its holder annotated the URL, the
-- deltas are deleted (a row of several URLs with some left over is appended again for those),
-- and the URL is logged in queue_moved. Writes that cancel out (a flag set and cleared, a robot vote made and
-- taken back) only have their deltas deleted: the row is neither locked nor rewritten. Returns
-- the delta rows folded, the URLs folded and the URLs left.
WITH p AS MATERIALIZED (SELECT * FROM annotate_internal.pending_urls()),
idle AS MATERIALIZED (  -- the row would stay as it is, and no lease can end
    SELECT p.url_id FROM p WHERE p.unchanged),
mine AS MATERIALIZED (
    SELECT q.url_id FROM annotate_internal.queue q
    WHERE q.url_id OPERATOR(pg_catalog.=) ANY (SELECT p.url_id FROM p)
      AND NOT q.url_id OPERATOR(pg_catalog.=) ANY (SELECT i.url_id FROM idle i)
    FOR UPDATE SKIP LOCKED),
take AS MATERIALIZED (
    SELECT p.* FROM p
    WHERE NOT p.existed OR p.url_id OPERATOR(pg_catalog.=) ANY (SELECT m.url_id FROM mine m)),
left_over AS MATERIALIZED (   -- URLs whose row a lease holds right now: their writes stay
    SELECT ARRAY(SELECT p.url_id FROM p
                 WHERE p.existed
                   AND NOT p.url_id OPERATOR(pg_catalog.=) ANY (SELECT m.url_id FROM mine m)
                   AND NOT p.url_id OPERATOR(pg_catalog.=) ANY (SELECT i.url_id FROM idle i)) AS ids),
gone AS (        -- every pending row with a URL folded here; one for several URLs may keep some
    DELETE FROM annotate_internal.queue_delta d
    WHERE d.xid OPERATOR(pg_catalog.>=) (SELECT s.folded_below FROM annotate_internal.fold_state s)
      AND NOT pg_catalog.array_prepend(d.url_id, d.more_urls) OPERATOR(pg_catalog.<@) (SELECT l.ids FROM left_over l)
    RETURNING d.*),
kept AS (        -- ... whose writes on the URLs left over are appended again, as they were
    INSERT INTO annotate_internal.queue_delta (xid, url_id, batch_id, d_batch, d_exists, d_manual, d_user, d_anon,
                                               d_auto, d_agency, d_validated, d_suspended, done_user,
                                               done_session, more_urls)
    SELECT g.xid, r.ids[1], g.batch_id, g.d_batch, g.d_exists, g.d_manual, g.d_user, g.d_anon, g.d_auto,
           g.d_agency, g.d_validated, g.d_suspended, g.done_user, g.done_session,
           CASE WHEN pg_catalog.cardinality(r.ids) OPERATOR(pg_catalog.>) 1
                THEN r.ids[2:pg_catalog.cardinality(r.ids)] END
    FROM gone g
    CROSS JOIN LATERAL (
        SELECT pg_catalog.array_agg(u.url_id) AS ids
        FROM pg_catalog.unnest(pg_catalog.array_prepend(g.url_id, g.more_urls)) AS u(url_id)
        WHERE u.url_id OPERATOR(pg_catalog.=) ANY ((SELECT l.ids FROM left_over l)::integer[])) r
    WHERE g.more_urls IS NOT NULL AND r.ids IS NOT NULL
      AND (SELECT pg_catalog.cardinality(l.ids) FROM left_over l) OPERATOR(pg_catalog.>) 0
    RETURNING 1),
seen AS MATERIALIZED (SELECT t.url_id FROM take t UNION ALL SELECT i.url_id FROM idle i),
logged AS (      -- for resume points (src/resume.rs): every URL whose row or writes this fold saw,
                 -- or, past 1,000 of them, one row with no URL: a point that more than 1,000
                 -- URLs changed since is void all the same (sql/queries/walk_resume.sql)
    INSERT INTO annotate_internal.queue_moved (url_id)
    SELECT s.url_id FROM seen s WHERE (SELECT pg_catalog.count(*) FROM seen) OPERATOR(pg_catalog.<=) 1000
    UNION ALL
    SELECT NULL::integer WHERE (SELECT pg_catalog.count(*) FROM seen) OPERATOR(pg_catalog.>) 1000
    RETURNING 1),
removed AS (
    DELETE FROM annotate_internal.queue q USING take t
    WHERE q.url_id OPERATOR(pg_catalog.=) t.url_id AND t.existed AND NOT t.present
    RETURNING 1),
added AS (
    INSERT INTO annotate_internal.queue (url_id, batch_id, followed_any, is_manual, user_votes, anon_votes,
                                         auto_votes, agency_rows, validated, suspended)
    SELECT t.url_id, t.batch_id, COALESCE(b.followed, false), t.is_manual, t.user_votes, t.anon_votes,
           t.auto_votes, t.agency_rows, t.validated, t.suspended
    FROM take t LEFT JOIN annotate_internal.batches b ON b.batch_id OPERATOR(pg_catalog.=) t.batch_id
    WHERE t.present AND NOT t.existed
    RETURNING 1),
changed AS (
    -- A lease ends when its holder is among the URL's annotators, or when the URL was deleted
    -- after it was taken (checked on the row's latest version: the lease may have changed
    -- hands since this snapshot).
    UPDATE annotate_internal.queue q
    SET batch_id = t.batch_id,
        followed_any = CASE WHEN t.batch_id IS NOT DISTINCT FROM t.old_batch_id THEN q.followed_any
                            ELSE COALESCE(b.followed, false) END,
        is_manual = t.is_manual, user_votes = t.user_votes, anon_votes = t.anon_votes,
        auto_votes = t.auto_votes, agency_rows = t.agency_rows, validated = t.validated, suspended = t.suspended,
        (leased, lease_user, lease_session, lease_until, lease_xid) = (
            SELECT q.leased AND NOT e.ended,
                   CASE WHEN e.ended THEN NULL ELSE q.lease_user END,
                   CASE WHEN e.ended THEN NULL ELSE q.lease_session END,
                   CASE WHEN e.ended THEN NULL ELSE q.lease_until END,
                   CASE WHEN e.ended THEN NULL ELSE q.lease_xid END
            FROM (SELECT COALESCE(t.deleted_by OPERATOR(pg_catalog.>) q.lease_xid, false)
                         OR COALESCE(q.lease_user OPERATOR(pg_catalog.=) ANY (t.done_users)
                                     OR q.lease_session OPERATOR(pg_catalog.=) ANY (t.done_sessions), false)
                         AS ended) e)
    FROM take t
    LEFT JOIN annotate_internal.batches b ON b.batch_id OPERATOR(pg_catalog.=) t.batch_id
    WHERE q.url_id OPERATOR(pg_catalog.=) t.url_id AND t.existed AND t.present
    RETURNING 1),
totals AS (
    INSERT INTO annotate_internal.batches AS b (batch_id, total_urls, annotated_urls)
    SELECT x.batch_id, pg_catalog.sum(x.total), pg_catalog.sum(x.annotated)
    FROM (SELECT t.old_batch_id AS batch_id, -1 AS total, CASE WHEN t.old_annotated THEN -1 ELSE 0 END AS annotated
          FROM take t WHERE t.existed AND t.old_batch_id IS NOT NULL
          UNION ALL
          SELECT t.batch_id, 1, CASE WHEN t.annotated THEN 1 ELSE 0 END
          FROM take t WHERE t.present AND t.batch_id IS NOT NULL) x
    GROUP BY x.batch_id
    ON CONFLICT (batch_id) DO UPDATE
    SET total_urls = b.total_urls OPERATOR(pg_catalog.+) EXCLUDED.total_urls,
        annotated_urls = b.annotated_urls OPERATOR(pg_catalog.+) EXCLUDED.annotated_urls
    RETURNING 1)
SELECT (SELECT pg_catalog.count(*) FROM gone) OPERATOR(pg_catalog.-) (SELECT pg_catalog.count(*) FROM kept),
       (SELECT pg_catalog.count(*) FROM seen),
       (SELECT pg_catalog.count(*) FROM p) OPERATOR(pg_catalog.-) (SELECT pg_catalog.count(*) FROM take)
           OPERATOR(pg_catalog.-) (SELECT pg_catalog.count(*) FROM idle)
