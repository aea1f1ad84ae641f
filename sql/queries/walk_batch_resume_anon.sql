-- walk_batches.sql for one batch $5 in which the caller has a resume point (src/resume.rs): the
-- unleased part of the batch's order from the first URL the caller's last walk of it found
-- ($6-$10, its keys: SPEC 3.2 keys 3-5 and the id, keys 1-2 being the same for the whole
-- batch): walk_resume.sql, inside one batch. The URLs of the batch before the point that
-- changed since ($11, that walk's snapshot) and the batch's leased range are walked by
-- walk_batch_resume_more.sql, when column 13 says there may be any. $1-$3 as in
-- walk_batches.sql, $4 how many.
--
-- Columns 1-10 as walk_batches.sql's (the caller sorts them); 11 this statement's snapshot; 12 whether the
-- point is void (as in walk_resume.sql): then one row with no URL; 13 whether
-- walk_batch_resume_more.sql may find anything.
--
-- For an anonymous session: walk_batch_resume.sql for a user, probing the session's annotations
-- instead. The two differ in nothing else (a unit test in src/statements.rs keeps them so).
WITH moved AS MATERIALIZED (
    SELECT m.url_id FROM annotate_internal.queue_moved m
    WHERE m.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin($11::pg_catalog.text::pg_catalog.pg_snapshot)
      AND NOT pg_catalog.pg_visible_in_snapshot(m.xid, (SELECT $11::pg_catalog.text::pg_catalog.pg_snapshot))
    LIMIT 1001),
s AS MATERIALIZED (
    SELECT pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot())
               OPERATOR(pg_catalog.<) pg_catalog.pg_snapshot_xmax($11::pg_catalog.text::pg_catalog.pg_snapshot)
           OR EXISTS (SELECT 1 FROM pg_catalog.pg_snapshot_xip(pg_catalog.pg_current_snapshot()) x
                      WHERE pg_catalog.pg_visible_in_snapshot(x, $11::pg_catalog.text::pg_catalog.pg_snapshot))
           OR (SELECT f.moved_from FROM annotate_internal.fold_state f)
               OPERATOR(pg_catalog.>) pg_catalog.pg_snapshot_xmin($11::pg_catalog.text::pg_catalog.pg_snapshot)
           OR (SELECT pg_catalog.count(*) FROM moved) OPERATOR(pg_catalog.>) 1000
           OR EXISTS (SELECT 1 FROM moved m WHERE m.url_id IS NULL) AS stale,
           pg_catalog.pg_current_snapshot()::pg_catalog.text AS snapshot,
           EXISTS (SELECT 1 FROM annotate_internal.queue q
                   WHERE NOT q.validated AND NOT q.suspended AND NOT q.leased
                     AND q.batch_id OPERATOR(pg_catalog.=) $5::integer
                     AND q.url_id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT m.url_id FROM moved m WHERE m.url_id IS NOT NULL))
                     AND (ROW(q.is_manual, q.user_votes, q.anon_votes, q.auto_votes)
                          OPERATOR(pg_catalog.>) ROW($6::boolean, $7::integer, $8::integer, $9::integer)
                          OR (q.is_manual OPERATOR(pg_catalog.=) $6::boolean AND q.user_votes OPERATOR(pg_catalog.=) $7::integer
                              AND q.anon_votes OPERATOR(pg_catalog.=) $8::integer AND q.auto_votes OPERATOR(pg_catalog.=) $9::integer
                              AND q.url_id OPERATOR(pg_catalog.<) $10::integer))
                     AND NOT (q.url_id OPERATOR(pg_catalog.=) ANY ($3::integer[])))
           OR EXISTS (SELECT 1 FROM annotate_internal.queue q
                      WHERE q.batch_id OPERATOR(pg_catalog.=) $5::integer AND NOT q.validated AND NOT q.suspended
                        AND q.leased) AS more),
w AS (
    -- The rest of the point's key's ties, then later keys, in that order, the caller's own
    -- annotations left out once above both (as in walk_resume.sql).
    SELECT t.url_id, t.batch_id, t.followed_any, t.is_manual, t.user_votes, t.anon_votes, t.auto_votes
    FROM ((SELECT q.url_id, q.batch_id, q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes
           FROM annotate_internal.queue q
           WHERE q.batch_id OPERATOR(pg_catalog.=) $5::integer AND NOT q.validated AND NOT q.suspended
             AND NOT q.leased
             AND q.is_manual OPERATOR(pg_catalog.=) $6::boolean AND q.user_votes OPERATOR(pg_catalog.=) $7::integer
             AND q.anon_votes OPERATOR(pg_catalog.=) $8::integer AND q.auto_votes OPERATOR(pg_catalog.=) $9::integer
             AND q.url_id OPERATOR(pg_catalog.>=) $10::integer
             AND NOT (q.url_id OPERATOR(pg_catalog.=) ANY ($3::integer[]))
           ORDER BY q.url_id)
          UNION ALL
          (SELECT q.url_id, q.batch_id, q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes
           FROM annotate_internal.queue q
           WHERE q.batch_id OPERATOR(pg_catalog.=) $5::integer AND NOT q.validated AND NOT q.suspended
             AND NOT q.leased
             AND ROW(q.is_manual, q.user_votes, q.anon_votes, q.auto_votes)
                 OPERATOR(pg_catalog.<) ROW($6::boolean, $7::integer, $8::integer, $9::integer)
             AND NOT (q.url_id OPERATOR(pg_catalog.=) ANY ($3::integer[]))
           ORDER BY q.is_manual DESC, q.user_votes DESC, q.anon_votes DESC, q.auto_votes DESC, q.url_id)
          OFFSET 0) t
    WHERE NOT (SELECT s.stale FROM s)
      AND NOT EXISTS (SELECT 1 FROM annotate_internal.is_done_session(t.url_id, $1::integer, $2::uuid))
    LIMIT $4::bigint)
SELECT w.url_id, w.batch_id, w.followed_any, w.is_manual, w.user_votes::bigint, w.anon_votes::bigint,
       w.auto_votes::bigint, u.scheme::pg_catalog.text, u.url::pg_catalog.text, u.trailing_slash,
       s.snapshot, s.stale, s.more
FROM s
LEFT JOIN (w CROSS JOIN LATERAL (SELECT u.scheme, u.url, u.trailing_slash FROM public.urls u
                                 WHERE u.id OPERATOR(pg_catalog.=) w.url_id OFFSET 0) u) ON true
