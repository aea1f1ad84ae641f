-- annotate_ext 0.2.0 -> 0.3.0, last part (after 0.3.0's install script, which attached and
-- built the queue): carry over the running leases and the refresh history, then drop what of
-- 0.2.0 is left.
UPDATE annotate_internal.queue q
SET leased = true, lease_user = c.user_id, lease_session = c.session_id, lease_until = c.expires_at,
    lease_xid = pg_catalog.pg_current_xact_id()
FROM annotate.claims c
WHERE q.url_id OPERATOR(pg_catalog.=) c.url_id
  AND c.expires_at OPERATOR(pg_catalog.>) pg_catalog.now()
  AND NOT annotate.claimant_done(c.url_id, c.user_id, c.session_id);
INSERT INTO annotate_internal.refresh_log (finished_at, seconds, concurrent)
SELECT r.finished_at, r.seconds, r.concurrent FROM annotate.refresh_log r ORDER BY r.id;
DROP FUNCTION annotate.claimant_done(integer, integer, uuid);
DROP TABLE annotate.claims;
DROP TABLE annotate.refresh_log;
