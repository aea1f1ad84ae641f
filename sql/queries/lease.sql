-- Leases the URLs $3 (chosen by the walks) to the caller, user $1 or session $2, until now() +
-- $4. A URL whose row another transaction holds right now is passed over, never waited for;
-- one leased to someone else since it was chosen is left alone (the condition is checked again
-- on the row's latest version): a lease is free when it ran out, is the caller's own, ended
-- when its holder annotated the URL, or went with its URL. Returns the URLs leased.
UPDATE annotate_internal.queue q
SET leased = true, lease_user = $1::integer, lease_session = $2::uuid,
    lease_until = pg_catalog.now() OPERATOR(pg_catalog.+) $4::interval
WHERE q.url_id OPERATOR(pg_catalog.=) ANY (
    SELECT c.url_id FROM annotate_internal.queue c
    WHERE c.url_id OPERATOR(pg_catalog.=) ANY ($3::integer[])
      AND (NOT c.leased
           OR c.lease_until OPERATOR(pg_catalog.<=) pg_catalog.now()
           OR c.lease_user OPERATOR(pg_catalog.=) $1::integer
           OR c.lease_session OPERATOR(pg_catalog.=) $2::uuid
           OR EXISTS (SELECT 1 FROM annotate_internal.is_done(c.url_id, c.lease_user, c.lease_session))
           OR EXISTS (SELECT 1 FROM annotate_internal.queue_delta d   -- the URL was deleted since
                      WHERE d.xid OPERATOR(pg_catalog.>=) (SELECT f.folded_below FROM annotate_internal.fold_state f)
                        AND d.url_id OPERATOR(pg_catalog.=) c.url_id AND d.d_exists OPERATOR(pg_catalog.<) 0))
    FOR UPDATE SKIP LOCKED)
RETURNING q.url_id
