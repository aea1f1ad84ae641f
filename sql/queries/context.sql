-- Read before the walks when context_start.sql says a URL's writes wait to be folded: one row per
-- URL with writes not yet folded, its state now as this snapshot sees it. Columns: url_id,
-- batch_id, followed (whether anyone follows its batch, as folded: context_batches.sql says
-- which batches changed since), eligible, is_manual, user_votes, anon_votes, auto_votes,
-- leased, lease_user, lease_session, lease_until, existed (whether the URL has a queue row
-- yet). Whether the caller annotated a URL, and its text, are read only for the URLs that reach
-- an answer (pending_detail.sql): when writes outrun the folder there are thousands of these
-- rows, and each probe here would be paid on every call. The batch's followed state is a probe
-- per row (a join could scan every batch for every row).
SELECT p.url_id, p.batch_id,
       COALESCE((SELECT b.followed FROM annotate_internal.batches b
                 WHERE b.batch_id OPERATOR(pg_catalog.=) p.batch_id), false) AS followed,
       p.present AND NOT p.validated AND NOT p.suspended AS eligible,
       p.is_manual, p.user_votes::bigint, p.anon_votes::bigint, p.auto_votes::bigint,
       p.leased AND NOT p.lease_ended AS leased, p.lease_user, p.lease_session, p.lease_until, p.existed
FROM annotate_internal.pending_urls() p
