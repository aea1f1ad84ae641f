-- The caller's live leases that are still eligible for it, with the batch last.
-- $1 user_id, $2 session_id (one is NULL), $3 batch filter, $4 url filter (NULL: none).
-- The not_done placeholder leaves out URLs the caller annotated (which ends a lease anyway).
SELECT q.url_id, u.scheme::text, u.url, u.trailing_slash,
       q.followed_any, q.is_manual, q.user_votes::int8, q.anon_votes::int8, q.auto_votes::int8,
       q.batch_id
FROM annotate.claims c
JOIN annotate.queue q ON q.url_id = c.url_id
JOIN public.urls u ON u.id = q.url_id
WHERE (c.user_id = $1 OR c.session_id = $2)
  AND c.expires_at > now()
  AND NOT q.validated AND NOT q.suspended
  AND ($3::int4 IS NULL OR q.batch_id = $3)
  AND ($4::int4 IS NULL OR q.url_id = $4)
  AND /*not_done*/
