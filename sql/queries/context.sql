-- Read before the walks when pending_any.sql says there is anything to read: what changed
-- since the last fold, as this snapshot sees it. $1 user_id (NULL for an anonymous caller), $2
-- session_id (NULL for a user). One row per
--   'url'      URL with writes not yet folded: its state now, and whether the caller annotated it
--   'batch'    batch with follow changes not yet folded: whether anyone follows it now
-- Columns: kind, url_id, batch_id, followed, eligible, is_manual, user_votes, anon_votes,
-- auto_votes, leased, lease_user, lease_session, lease_until, done (probed for eligible URLs
-- only: nothing reads it for the others), scheme, url, trailing_slash, existed (whether the URL
-- has a queue row yet).
SELECT 'url'::pg_catalog.text AS kind, p.url_id, p.batch_id, COALESCE(b.followed, false) AS followed,
       p.present AND NOT p.validated AND NOT p.suspended AS eligible,
       p.is_manual, p.user_votes::bigint, p.anon_votes::bigint, p.auto_votes::bigint,
       p.leased AND NOT p.lease_ended AS leased, p.lease_user, p.lease_session, p.lease_until,
       p.present AND NOT p.validated AND NOT p.suspended
           AND EXISTS (SELECT 1 FROM annotate_internal.is_done(p.url_id, $1, $2)) AS done,
       u.scheme::pg_catalog.text, u.url::pg_catalog.text, u.trailing_slash, p.existed
FROM annotate_internal.pending_urls() p
LEFT JOIN annotate_internal.batches b ON b.batch_id OPERATOR(pg_catalog.=) p.batch_id
LEFT JOIN public.urls u ON u.id OPERATOR(pg_catalog.=) p.url_id
UNION ALL
SELECT 'batch', NULL::integer, pb.batch_id, pb.followed, NULL::boolean, NULL::boolean, NULL::bigint, NULL::bigint,
       NULL::bigint, NULL::boolean, NULL::integer, NULL::uuid,
       NULL::timestamptz, NULL::boolean, NULL::pg_catalog.text, NULL::pg_catalog.text, NULL::boolean, NULL::boolean
FROM annotate_internal.pending_batches() pb
