-- URL $3 as the queue holds it, for a url_id filter: its keys, whether it is eligible at all,
-- whether the caller (user $1 or session $2) annotated it, and its lease.
SELECT q.url_id, q.batch_id, q.followed_any, q.is_manual, q.user_votes::bigint, q.anon_votes::bigint,
       q.auto_votes::bigint, u.scheme::pg_catalog.text, u.url::pg_catalog.text, u.trailing_slash,
       NOT q.validated AND NOT q.suspended AS eligible,
       EXISTS (SELECT 1 FROM annotate_internal.is_done(q.url_id, $1::integer, $2::uuid)) AS done,
       q.leased, q.lease_user, q.lease_session, q.lease_until
FROM annotate_internal.queue q
JOIN public.urls u ON u.id OPERATOR(pg_catalog.=) q.url_id
WHERE q.url_id OPERATOR(pg_catalog.=) $3::integer
