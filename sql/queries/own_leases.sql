-- The caller's running leases (user $1 or session $2, the other NULL) with the URL's keys,
-- whether it is still eligible and whether the caller annotated it (which ends the lease).
-- Each part reads the caller's entries of queue_lease_user or queue_lease_session, never every
-- live lease: the test of lease_until is written so that it neither serves as a condition on
-- queue_lease_expiry nor proves that index's predicate (IS TRUE), as the planner would
-- otherwise walk queue_lease_expiry for it when the statistics were taken while leases ran
-- out together or few were held (plans as generic as these tie at one row).
SELECT w.url_id, w.batch_id, w.followed_any, w.is_manual, w.user_votes::bigint, w.anon_votes::bigint,
       w.auto_votes::bigint, u.scheme::pg_catalog.text, u.url::pg_catalog.text, u.trailing_slash,
       NOT w.validated AND NOT w.suspended AS eligible,
       EXISTS (SELECT 1 FROM annotate_internal.is_done(w.url_id, $1::integer, $2::uuid)) AS done
FROM ((SELECT q.* FROM annotate_internal.queue q
       WHERE q.leased AND q.lease_user OPERATOR(pg_catalog.=) $1::integer
         AND (q.lease_until OPERATOR(pg_catalog.>) pg_catalog.now()) IS TRUE)
      UNION ALL
      (SELECT q.* FROM annotate_internal.queue q
       WHERE q.leased AND q.lease_session OPERATOR(pg_catalog.=) $2::uuid
         AND (q.lease_until OPERATOR(pg_catalog.>) pg_catalog.now()) IS TRUE)) w
JOIN public.urls u ON u.id OPERATOR(pg_catalog.=) w.url_id
