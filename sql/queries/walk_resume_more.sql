-- The two ranges walk_resume.sql leaves to this statement, run when its column 13 says they
-- may hold anything: the unleased URLs before the resume point that changed since ($11, that
-- walk's snapshot), and the leased range from its start (the URLs others hold were not the
-- caller's to annotate while they held them, so it passes over few it annotated), each its
-- first $4 the caller may get, without the batches $12. Arguments as walk_resume.sql's.
-- Columns 1-10 as walk_order.sql's, in no order (the caller merges them with
-- walk_resume.sql's).
--
-- For a user; walk_resume_more_anon.sql is this statement for an anonymous session, probing the
-- session's annotations: each kind's plan sets up only its own four probes, not all eight of
-- is_done() (sql/helpers.sql), on every execution. The two differ in nothing else (a unit
-- test in src/statements.rs keeps them so).
WITH moved AS MATERIALIZED (
    SELECT m.url_id FROM annotate_internal.queue_moved m
    WHERE m.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin($11::pg_catalog.text::pg_catalog.pg_snapshot)
      AND NOT pg_catalog.pg_visible_in_snapshot(m.xid, (SELECT $11::pg_catalog.text::pg_catalog.pg_snapshot))
    LIMIT 1001),
changed AS MATERIALIZED (   -- read by primary key, at most 1,001 rows
    SELECT q.url_id, q.batch_id, q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes
    FROM annotate_internal.queue q
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
SELECT w.url_id, w.batch_id, w.followed_any, w.is_manual, w.user_votes::bigint, w.anon_votes::bigint,
       w.auto_votes::bigint, u.scheme::pg_catalog.text, u.url::pg_catalog.text, u.trailing_slash
FROM ((SELECT c.url_id, c.batch_id, c.followed_any, c.is_manual, c.user_votes, c.anon_votes, c.auto_votes
       FROM (SELECT c.* FROM changed c
             ORDER BY c.followed_any DESC, c.is_manual DESC, c.user_votes DESC, c.anon_votes DESC,
                      c.auto_votes DESC, c.url_id
             OFFSET 0) c      -- sorted first, then tested in order until $4 are found
       WHERE NOT EXISTS (SELECT 1 FROM annotate_internal.is_done_user(c.url_id, $1::integer, $2::uuid))
       LIMIT $4::bigint)
      UNION ALL
      (SELECT q.url_id, q.batch_id, q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes
       FROM annotate_internal.queue q
       WHERE NOT q.validated AND NOT q.suspended AND q.leased
         AND NOT (q.url_id OPERATOR(pg_catalog.=) ANY ($3::integer[]))
         AND NOT EXISTS (SELECT 1 FROM annotate_internal.is_done_user(q.url_id, $1::integer, $2::uuid))
         AND (q.batch_id IS NULL OR NOT (q.batch_id OPERATOR(pg_catalog.=) ANY ($12::integer[])))
       ORDER BY q.followed_any DESC, q.is_manual DESC, q.user_votes DESC, q.anon_votes DESC,
                q.auto_votes DESC, q.url_id
       LIMIT $4::bigint)) w
JOIN public.urls u ON u.id OPERATOR(pg_catalog.=) w.url_id
