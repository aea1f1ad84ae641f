-- Ends the caller's lease on URL $1 (user $2 or session $3, the other NULL). True when the
-- caller held a running lease on it.
WITH held AS MATERIALIZED (
    SELECT q.url_id, q.lease_until FROM annotate_internal.queue q
    WHERE q.url_id OPERATOR(pg_catalog.=) $1::integer AND q.leased
      AND (q.lease_user OPERATOR(pg_catalog.=) $2::integer OR q.lease_session OPERATOR(pg_catalog.=) $3::uuid)
    FOR UPDATE),
released AS (
    UPDATE annotate_internal.queue q
    SET leased = false, lease_user = NULL, lease_session = NULL, lease_until = NULL, lease_xid = NULL
    FROM held h
    WHERE q.url_id OPERATOR(pg_catalog.=) h.url_id
    RETURNING h.lease_until)
SELECT EXISTS (SELECT 1 FROM released r WHERE r.lease_until OPERATOR(pg_catalog.>) pg_catalog.now())
