-- Ends the leases that have run out, so that their URLs return to the unleased range of the
-- order indexes. A row another transaction holds right now is left for later (never waited
-- for). The number of leases ended.
WITH expired AS MATERIALIZED (
    SELECT e.url_id FROM annotate_internal.queue e
    WHERE e.leased AND e.lease_until OPERATOR(pg_catalog.<=) pg_catalog.now()
    FOR UPDATE SKIP LOCKED),
ended AS (
    UPDATE annotate_internal.queue q
    SET leased = false, lease_user = NULL, lease_session = NULL, lease_until = NULL, lease_xid = NULL
    FROM expired x
    WHERE q.url_id OPERATOR(pg_catalog.=) x.url_id
    RETURNING 1)
SELECT pg_catalog.count(*) FROM ended
