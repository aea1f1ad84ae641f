-- The heads of a few batches $4 (the caller's followed batches, a batch filter, or batches
-- with pending follow changes), each an ordered walk of the queue_batch_order index that stops
-- after $5 rows; the caller merges them (the order inside a batch is SPEC 3.2 keys 3-5, keys
-- 1-2 being the same for a whole batch; the unleased and leased ranges merged, the caller's
-- own annotations left out once, above the merge). $1 user_id, $2 session_id (one is NULL); $3 URLs to
-- leave out (those with pending writes); $5 how many per batch; $6 whether leased URLs count.
-- Column 11 is this statement's snapshot, for resume points recorded from it (src/resume.rs).
--
-- For a user; walk_batches_anon.sql is this statement for an anonymous session, probing the
-- session's annotations: each kind's plan sets up only its own four probes, not all eight of
-- is_done() (sql/helpers.sql), on every execution. The two differ in nothing else (a unit
-- test in src/statements.rs keeps them so).
SELECT w.url_id, w.batch_id, w.followed_any, w.is_manual, w.user_votes::bigint, w.anon_votes::bigint,
       w.auto_votes::bigint, u.scheme::pg_catalog.text, u.url::pg_catalog.text, u.trailing_slash,
       pg_catalog.pg_current_snapshot()::pg_catalog.text
FROM pg_catalog.unnest($4::integer[]) AS b(batch_id)
CROSS JOIN LATERAL (
    SELECT o.url_id, o.batch_id, o.followed_any, o.is_manual, o.user_votes, o.anon_votes, o.auto_votes
    FROM ((SELECT q.url_id, q.batch_id, q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes
           FROM annotate_internal.queue q
           WHERE q.batch_id OPERATOR(pg_catalog.=) b.batch_id AND NOT q.validated AND NOT q.suspended
             AND NOT q.leased
             AND NOT (q.url_id OPERATOR(pg_catalog.=) ANY ($3::integer[]))
           ORDER BY q.is_manual DESC, q.user_votes DESC, q.anon_votes DESC, q.auto_votes DESC, q.url_id)
          UNION ALL
          (SELECT q.url_id, q.batch_id, q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes
           FROM annotate_internal.queue q
           WHERE q.batch_id OPERATOR(pg_catalog.=) b.batch_id AND NOT q.validated AND NOT q.suspended
             AND q.leased AND $6::boolean
             AND NOT (q.url_id OPERATOR(pg_catalog.=) ANY ($3::integer[]))
           ORDER BY q.is_manual DESC, q.user_votes DESC, q.anon_votes DESC, q.auto_votes DESC, q.url_id)
          ORDER BY 4 DESC, 5 DESC, 6 DESC, 7 DESC, 1
          OFFSET 0) o
    WHERE NOT EXISTS (SELECT 1 FROM annotate_internal.is_done_user(o.url_id, $1::integer, $2::uuid))
    ORDER BY o.is_manual DESC, o.user_votes DESC, o.anon_votes DESC, o.auto_votes DESC, o.url_id
    LIMIT $5::bigint
) w
CROSS JOIN LATERAL (SELECT u.scheme, u.url, u.trailing_slash FROM public.urls u
                    WHERE u.id OPERATOR(pg_catalog.=) w.url_id OFFSET 0) u
