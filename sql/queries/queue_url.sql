-- URL $3 if it is eligible for the caller, with its batch last. $1 user_id, $2 session_id.
SELECT q.url_id, u.scheme::text, u.url, u.trailing_slash,
       q.followed_any, q.is_manual, q.user_votes::int8, q.anon_votes::int8, q.auto_votes::int8,
       q.batch_id
FROM annotate.queue q
JOIN public.urls u ON u.id = q.url_id
WHERE q.url_id = $3 AND NOT q.validated AND NOT q.suspended
  AND NOT EXISTS (SELECT 1 FROM (/*done*/) d(url_id) WHERE d.url_id = $3)
