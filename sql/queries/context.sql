-- Read before the walks when pending_any.sql says there is anything to read: what changed
-- since the last fold, as this snapshot sees it. One row per
--   'url'      URL with writes not yet folded: its state now
--   'batch'    batch with follow changes not yet folded that change whether anyone follows it:
--              whether anyone does now (a change that leaves the batch as it was folded, a
--              second follower or a follower of one of several locations leaving, leaves its
--              rows where the order indexes have them: nothing to walk apart)
-- Columns: kind, url_id, batch_id, followed, eligible, is_manual, user_votes, anon_votes,
-- auto_votes, leased, lease_user, lease_session, lease_until, existed (whether the URL has a
-- queue row yet). Whether the caller annotated a URL, and its text, are read only for the URLs
-- that reach an answer (pending_detail.sql): when writes outrun the folder there are thousands
-- of these rows, and each probe here would be paid on every call.
SELECT 'url'::pg_catalog.text AS kind, p.url_id, p.batch_id, COALESCE(b.followed, false) AS followed,
       p.present AND NOT p.validated AND NOT p.suspended AS eligible,
       p.is_manual, p.user_votes::bigint, p.anon_votes::bigint, p.auto_votes::bigint,
       p.leased AND NOT p.lease_ended AS leased, p.lease_user, p.lease_session, p.lease_until, p.existed
FROM annotate_internal.pending_urls() p
LEFT JOIN annotate_internal.batches b ON b.batch_id OPERATOR(pg_catalog.=) p.batch_id
UNION ALL
SELECT 'batch', NULL::integer, pb.batch_id, pb.followed, NULL::boolean, NULL::boolean, NULL::bigint, NULL::bigint,
       NULL::bigint, NULL::boolean, NULL::integer, NULL::uuid, NULL::timestamptz, NULL::boolean
FROM annotate_internal.pending_batches() pb
LEFT JOIN annotate_internal.batches fb ON fb.batch_id OPERATOR(pg_catalog.=) pb.batch_id
WHERE pb.followed OPERATOR(pg_catalog.<>) COALESCE(fb.followed, false)
