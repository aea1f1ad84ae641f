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
-- 0.2.0 recorded successful runs only, and not who ran them. Their ids go below those of the
-- runs recorded by this update, so that the newest run stays the last.
INSERT INTO annotate_internal.refresh_log (id, started_at, finished_at, status, concurrent, seconds, run_by)
OVERRIDING SYSTEM VALUE
SELECT r.id OPERATOR(pg_catalog.-) (SELECT pg_catalog.max(o.id) FROM annotate.refresh_log o) OPERATOR(pg_catalog.-) 1,
       r.finished_at OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => r.seconds),
       r.finished_at, 'succeeded', r.concurrent, r.seconds, pg_catalog."session_user"()
FROM annotate.refresh_log r;
DROP FUNCTION annotate.claimant_done(integer, integer, uuid);
DROP TABLE annotate.claims;
DROP TABLE annotate.refresh_log;
