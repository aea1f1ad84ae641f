-- The head of the queue in SPEC 3.2 order (keys 2-5: followed by anyone, manual, user, anon,
-- robot votes, then id): an ordered walk of the queue_order index that stops after $5 rows,
-- leaving out URLs the caller annotated (a few index probes per URL passed over).
-- $1 user_id, $2 session_id (one is NULL); $3 URLs to leave out (those with pending writes,
-- which the caller places itself); $4 batches to leave out (the caller's followed batches and
-- those with pending follow changes, walked apart); $5 how many; $6 whether leased URLs count
-- (false when leasing: the leased range of the index is not walked at all). Column 11 is this
-- statement's snapshot, as text, for a resume point recorded from it (src/resume.rs).
SELECT w.url_id, w.batch_id, w.followed_any, w.is_manual, w.user_votes::bigint, w.anon_votes::bigint,
       w.auto_votes::bigint, u.scheme::pg_catalog.text, u.url::pg_catalog.text, u.trailing_slash,
       pg_catalog.pg_current_snapshot()::pg_catalog.text
FROM ((SELECT q.url_id, q.batch_id, q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes
       FROM annotate_internal.queue q
       WHERE NOT q.validated AND NOT q.suspended AND NOT q.leased
         AND NOT (q.url_id OPERATOR(pg_catalog.=) ANY ($3::integer[]))
         AND (q.batch_id IS NULL OR NOT (q.batch_id OPERATOR(pg_catalog.=) ANY ($4::integer[])))
         AND NOT EXISTS (SELECT 1 FROM annotate_internal.is_done(q.url_id, $1::integer, $2::uuid))
       ORDER BY q.followed_any DESC, q.is_manual DESC, q.user_votes DESC, q.anon_votes DESC,
                q.auto_votes DESC, q.url_id
       LIMIT $5::bigint)
      UNION ALL
      (SELECT q.url_id, q.batch_id, q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes
       FROM annotate_internal.queue q
       WHERE NOT q.validated AND NOT q.suspended AND q.leased AND $6::boolean
         AND NOT (q.url_id OPERATOR(pg_catalog.=) ANY ($3::integer[]))
         AND (q.batch_id IS NULL OR NOT (q.batch_id OPERATOR(pg_catalog.=) ANY ($4::integer[])))
         AND NOT EXISTS (SELECT 1 FROM annotate_internal.is_done(q.url_id, $1::integer, $2::uuid))
       ORDER BY q.followed_any DESC, q.is_manual DESC, q.user_votes DESC, q.anon_votes DESC,
                q.auto_votes DESC, q.url_id
       LIMIT $5::bigint)) w
JOIN public.urls u ON u.id OPERATOR(pg_catalog.=) w.url_id
ORDER BY w.followed_any DESC, w.is_manual DESC, w.user_votes DESC, w.anon_votes DESC, w.auto_votes DESC,
         w.url_id
LIMIT $5::bigint
