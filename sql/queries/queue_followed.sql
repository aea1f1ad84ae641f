-- Eligible URLs inside the batches $3 (the caller's followed batches, all followed by
-- someone), in selection order: a walk of the followed part of the queue_order index, for
-- callers who follow many batches. $1 user_id, $2 session_id, $4 how many.
-- $5 bounds how many URLs are looked at (NULL: all); the not_done placeholder then leaves
-- out the URLs the caller already annotated.
SELECT q.*
FROM (
    SELECT q.url_id, u.scheme::text, u.url, u.trailing_slash,
           q.followed_any, q.is_manual, q.user_votes::int8, q.anon_votes::int8, q.auto_votes::int8
    FROM annotate.queue q
    JOIN public.urls u ON u.id = q.url_id
    WHERE q.followed_any AND NOT q.validated AND NOT q.suspended
      AND q.batch_id = ANY ($3::int4[])
    ORDER BY q.followed_any DESC, q.is_manual DESC, q.user_votes DESC, q.anon_votes DESC,
             q.auto_votes DESC, q.url_id
    LIMIT $5
) q
WHERE /*not_done*/
LIMIT $4
