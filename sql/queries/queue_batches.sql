-- Eligible URLs of the batches $3, in selection order: the head of each batch from the
-- queue_batch_order index, merged. For a batch filter, or a caller who follows few batches.
-- $1 user_id, $2 session_id, $4 limit.
SELECT c.*
FROM unnest($3::int4[]) AS b(batch_id)
CROSS JOIN LATERAL (
    SELECT q.url_id, u.scheme::text, u.url, u.trailing_slash,
           q.followed_any, q.is_manual, q.user_votes::int8 AS user_votes,
           q.anon_votes::int8 AS anon_votes, q.auto_votes::int8 AS auto_votes
    FROM annotate.queue q
    JOIN public.urls u ON u.id = q.url_id
    WHERE q.batch_id = b.batch_id AND NOT q.validated AND NOT q.suspended
      AND q.url_id NOT IN (/*done*/)
    ORDER BY q.is_manual DESC, q.user_votes DESC, q.anon_votes DESC, q.auto_votes DESC, q.url_id
    LIMIT $4
) c
ORDER BY c.followed_any DESC, c.is_manual DESC, c.user_votes DESC, c.anon_votes DESC,
         c.auto_votes DESC, c.url_id
LIMIT $4
