-- The head of the queue in SPEC 3.2 order (keys 2-5: followed by anyone, manual, user, anon,
-- robot votes, then id): an ordered walk of the queue_order index (its unleased and leased
-- ranges merged) that stops after $5 rows, leaving out URLs the caller annotated (a few index
-- probes per URL passed over, made once above the merge: a plan starts every scan it holds).
-- $1 user_id, $2 session_id (one is NULL); $3 URLs to leave out (those with pending writes,
-- which the caller places itself); $4 batches to leave out (the caller's followed batches and
-- those with pending follow changes, walked apart); $5 how many; $6 whether leased URLs count
-- (false when leasing: the leased range of the index is not walked at all). Column 11 is this
-- statement's snapshot, as text, for a resume point recorded from it (src/resume.rs).
--
-- For an anonymous session: walk_order.sql for a user, probing the session's annotations
-- instead. The two differ in nothing else (a unit test in src/statements.rs keeps them so).
SELECT w.url_id, w.batch_id, w.followed_any, w.is_manual, w.user_votes::bigint, w.anon_votes::bigint,
       w.auto_votes::bigint, u.scheme::pg_catalog.text, u.url::pg_catalog.text, u.trailing_slash,
       pg_catalog.pg_current_snapshot()::pg_catalog.text
FROM (SELECT o.url_id, o.batch_id, o.followed_any, o.is_manual, o.user_votes, o.anon_votes, o.auto_votes
      FROM ((SELECT q.url_id, q.batch_id, q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes
             FROM annotate_internal.queue q
             WHERE NOT q.validated AND NOT q.suspended AND NOT q.leased
               AND NOT (q.url_id OPERATOR(pg_catalog.=) ANY ($3::integer[]))
               AND (q.batch_id IS NULL OR NOT (q.batch_id OPERATOR(pg_catalog.=) ANY ($4::integer[])))
             ORDER BY q.followed_any DESC, q.is_manual DESC, q.user_votes DESC, q.anon_votes DESC,
                      q.auto_votes DESC, q.url_id)
            UNION ALL
            (SELECT q.url_id, q.batch_id, q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes
             FROM annotate_internal.queue q
             WHERE NOT q.validated AND NOT q.suspended AND q.leased AND $6::boolean
               AND NOT (q.url_id OPERATOR(pg_catalog.=) ANY ($3::integer[]))
               AND (q.batch_id IS NULL OR NOT (q.batch_id OPERATOR(pg_catalog.=) ANY ($4::integer[])))
             ORDER BY q.followed_any DESC, q.is_manual DESC, q.user_votes DESC, q.anon_votes DESC,
                      q.auto_votes DESC, q.url_id)
            ORDER BY 3 DESC, 4 DESC, 5 DESC, 6 DESC, 7 DESC, 1
            OFFSET 0) o      -- a fence: the test below is made once, above the merge
      WHERE NOT EXISTS (SELECT 1 FROM annotate_internal.is_done_session(o.url_id, $1::integer, $2::uuid))
      ORDER BY o.followed_any DESC, o.is_manual DESC, o.user_votes DESC, o.anon_votes DESC, o.auto_votes DESC,
               o.url_id
      LIMIT $5::bigint) w
CROSS JOIN LATERAL (SELECT u.scheme, u.url, u.trailing_slash FROM public.urls u
                    WHERE u.id OPERATOR(pg_catalog.=) w.url_id OFFSET 0) u
ORDER BY w.followed_any DESC, w.is_manual DESC, w.user_votes DESC, w.anon_votes DESC, w.auto_votes DESC,
         w.url_id
