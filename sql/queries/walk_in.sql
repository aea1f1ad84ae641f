-- The head of many batches $4 together (a caller's followed batches, when there are too many
-- to walk each apart, none of them with pending follow changes): the walk of walk_order.sql
-- keeping only their URLs, which, followed by someone, come early in it (the caller's own
-- annotations left out once, above the merge of the unleased and leased ranges). The order inside them
-- is SPEC 3.2's (keys 1-2 being the same for all). $1 user_id, $2 session_id (one is NULL); $3
-- URLs to leave out; $5 how many; $6 whether leased URLs count.
--
-- For a user; walk_in_anon.sql is this statement for an anonymous session, probing the
-- session's annotations: each kind's plan sets up only its own four probes, not all eight of
-- is_done() (sql/helpers.sql), on every execution. The two differ in nothing else (a unit
-- test in src/statements.rs keeps them so).
SELECT w.url_id, w.batch_id, w.followed_any, w.is_manual, w.user_votes::bigint, w.anon_votes::bigint,
       w.auto_votes::bigint, u.scheme::pg_catalog.text, u.url::pg_catalog.text, u.trailing_slash
FROM (SELECT o.url_id, o.batch_id, o.followed_any, o.is_manual, o.user_votes, o.anon_votes, o.auto_votes
      FROM ((SELECT q.url_id, q.batch_id, q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes
             FROM annotate_internal.queue q
             WHERE NOT q.validated AND NOT q.suspended AND NOT q.leased
               AND NOT (q.url_id OPERATOR(pg_catalog.=) ANY ($3::integer[]))
               AND q.batch_id OPERATOR(pg_catalog.=) ANY ($4::integer[])
             ORDER BY q.followed_any DESC, q.is_manual DESC, q.user_votes DESC, q.anon_votes DESC,
                      q.auto_votes DESC, q.url_id)
            UNION ALL
            (SELECT q.url_id, q.batch_id, q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes
             FROM annotate_internal.queue q
             WHERE NOT q.validated AND NOT q.suspended AND q.leased AND $6::boolean
               AND NOT (q.url_id OPERATOR(pg_catalog.=) ANY ($3::integer[]))
               AND q.batch_id OPERATOR(pg_catalog.=) ANY ($4::integer[])
             ORDER BY q.followed_any DESC, q.is_manual DESC, q.user_votes DESC, q.anon_votes DESC,
                      q.auto_votes DESC, q.url_id)
            ORDER BY 3 DESC, 4 DESC, 5 DESC, 6 DESC, 7 DESC, 1
            OFFSET 0) o
      WHERE NOT EXISTS (SELECT 1 FROM annotate_internal.is_done_user(o.url_id, $1::integer, $2::uuid))
      ORDER BY o.followed_any DESC, o.is_manual DESC, o.user_votes DESC, o.anon_votes DESC, o.auto_votes DESC,
               o.url_id
      LIMIT $5::bigint) w
CROSS JOIN LATERAL (SELECT u.scheme, u.url, u.trailing_slash FROM public.urls u
                    WHERE u.id OPERATOR(pg_catalog.=) w.url_id OFFSET 0) u
ORDER BY w.followed_any DESC, w.is_manual DESC, w.user_votes DESC, w.anon_votes DESC, w.auto_votes DESC,
         w.url_id
