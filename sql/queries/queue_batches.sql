-- Eligible URLs of a few batches $3 (a caller's followed batches), in selection order: the
-- head of each batch from the queue_batch_order index, merged. $1 user_id, $2 session_id,
-- $4 how many ($5 is unused: each batch is walked until it yields $4). The not_done
-- placeholder leaves out the URLs the caller already annotated.
SELECT c.*
FROM unnest($3::int4[]) AS b(batch_id)
CROSS JOIN LATERAL (
    SELECT q.url_id, u.scheme::text, u.url, u.trailing_slash,
           q.followed_any, q.is_manual, q.user_votes::int8 AS user_votes,
           q.anon_votes::int8 AS anon_votes, q.auto_votes::int8 AS auto_votes
    FROM annotate.queue q
    JOIN public.urls u ON u.id = q.url_id
    WHERE q.batch_id = b.batch_id AND NOT q.validated AND NOT q.suspended
      AND /*not_done*/
    ORDER BY q.is_manual DESC, q.user_votes DESC, q.anon_votes DESC, q.auto_votes DESC, q.url_id
    LIMIT $4
) c
ORDER BY c.followed_any DESC, c.is_manual DESC, c.user_votes DESC, c.anon_votes DESC,
         c.auto_votes DESC, c.url_id
LIMIT $4
