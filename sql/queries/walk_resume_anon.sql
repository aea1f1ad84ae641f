-- walk_order.sql for a caller with a resume point (src/resume.rs): the unleased range of the
-- global order from the first URL the caller's last walk found ($5-$10, its keys), without
-- the batches $12 (a follower's own, walked apart; the point is kept for that set). The URLs
-- before the point that changed since ($11, that walk's snapshot: queue_moved holds every URL
-- changed by a transaction it did not see, whose xid is at or above its xmin) and the leased
-- range are walked by walk_resume_more.sql, and only when column 13 says there is anything
-- there: a statement's every index scan is started whether it finds anything or not, and the
-- two ranges, usually empty, cost a short call half its time. Everything else before the point
-- was not the caller's to get then and has not changed since. $1-$3 as in walk_order.sql, $4
-- how many.
--
-- Columns 1-10 as walk_order.sql's (the caller sorts them); 11 this statement's snapshot (the next resume
-- point's); 12 whether the point is void: this snapshot does not see everything $11 saw
-- (another session of the caller recorded it after this statement began), queue_moved is no
-- longer whole from its xmin on, more than 1,000 URLs changed since, or a change reached many
-- rows at once. Then one row with no URL, and the caller walks from the start; otherwise one
-- row with no URL when nothing is left to find. 13 whether walk_resume_more.sql may find
-- anything: a URL before the point that changed since and may be the caller's, or any lease.
--
-- For an anonymous session: walk_resume.sql for a user, probing the session's annotations
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
                     AND q.url_id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT m.url_id FROM moved m WHERE m.url_id IS NOT NULL))
                     AND (ROW(q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes)
                          OPERATOR(pg_catalog.>) ROW($5::boolean, $6::boolean, $7::integer, $8::integer, $9::integer)
                          OR (q.followed_any OPERATOR(pg_catalog.=) $5::boolean AND q.is_manual OPERATOR(pg_catalog.=) $6::boolean
                              AND q.user_votes OPERATOR(pg_catalog.=) $7::integer AND q.anon_votes OPERATOR(pg_catalog.=) $8::integer
                              AND q.auto_votes OPERATOR(pg_catalog.=) $9::integer
                              AND q.url_id OPERATOR(pg_catalog.<) $10::integer))
                     AND NOT (q.url_id OPERATOR(pg_catalog.=) ANY ($3::integer[]))
                     AND (q.batch_id IS NULL OR NOT (q.batch_id OPERATOR(pg_catalog.=) ANY ($12::integer[]))))
           OR EXISTS (SELECT 1 FROM annotate_internal.queue q
                      WHERE NOT q.validated AND NOT q.suspended AND q.leased) AS more),
w AS (
    -- The rest of the point's key's ties, then later keys: walked in that order (an Append
    -- runs its parts in turn), the caller's own annotations left out once, above both
    -- (the fence, OFFSET 0, keeps the test out of the parts), the second part walked only if
    -- the first found too few.
    SELECT t.url_id, t.batch_id, t.followed_any, t.is_manual, t.user_votes, t.anon_votes, t.auto_votes
    FROM ((SELECT q.url_id, q.batch_id, q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes
           FROM annotate_internal.queue q
           WHERE NOT q.validated AND NOT q.suspended AND NOT q.leased
             AND q.followed_any OPERATOR(pg_catalog.=) $5::boolean AND q.is_manual OPERATOR(pg_catalog.=) $6::boolean
             AND q.user_votes OPERATOR(pg_catalog.=) $7::integer AND q.anon_votes OPERATOR(pg_catalog.=) $8::integer
             AND q.auto_votes OPERATOR(pg_catalog.=) $9::integer AND q.url_id OPERATOR(pg_catalog.>=) $10::integer
             AND NOT (q.url_id OPERATOR(pg_catalog.=) ANY ($3::integer[]))
             AND (q.batch_id IS NULL OR NOT (q.batch_id OPERATOR(pg_catalog.=) ANY ($12::integer[])))
           ORDER BY q.url_id)
          UNION ALL
          (SELECT q.url_id, q.batch_id, q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes
           FROM annotate_internal.queue q
           WHERE NOT q.validated AND NOT q.suspended AND NOT q.leased
             AND ROW(q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes)
                 OPERATOR(pg_catalog.<) ROW($5::boolean, $6::boolean, $7::integer, $8::integer, $9::integer)
             AND NOT (q.url_id OPERATOR(pg_catalog.=) ANY ($3::integer[]))
             AND (q.batch_id IS NULL OR NOT (q.batch_id OPERATOR(pg_catalog.=) ANY ($12::integer[])))
           ORDER BY q.followed_any DESC, q.is_manual DESC, q.user_votes DESC, q.anon_votes DESC,
                    q.auto_votes DESC, q.url_id)
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
