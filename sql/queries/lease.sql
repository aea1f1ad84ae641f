-- Leases the first $5 of the URLs $3 (chosen by the walks, in order) that are free to the
-- caller, user $1 or session $2, until now() + $4: as pgmq's read(), in one statement. A URL
-- whose row another transaction holds right now is passed over, never waited for;
-- one leased to someone else since it was chosen is left alone (the condition is checked again
-- on the row's latest version): a lease is free when it ran out, is the caller's own, ended
-- when its holder annotated the URL, or went with its URL. Returns the URLs leased. The writes
-- not yet folded are read once for all of $3, not once per URL: while the folder has a backlog,
-- that was the backlog times the URLs chosen.
WITH recent AS MATERIALIZED (   -- the writes not yet folded of the URLs $3, read once
    SELECT d.url_id, d.xid, d.d_exists, d.d_validated, d.d_suspended
    FROM annotate_internal.pending_deltas() d
    WHERE d.url_id OPERATOR(pg_catalog.=) ANY ($3::integer[])),
picked AS MATERIALIZED (   -- evaluated once: rows are locked and counted exactly once
    SELECT c.url_id FROM annotate_internal.queue c
    WHERE c.url_id OPERATOR(pg_catalog.=) ANY ($3::integer[])
      AND (NOT c.leased
           OR c.lease_until OPERATOR(pg_catalog.<=) pg_catalog.now()
           OR c.lease_user OPERATOR(pg_catalog.=) $1::integer
           OR c.lease_session OPERATOR(pg_catalog.=) $2::uuid
           OR EXISTS (SELECT 1 FROM annotate_internal.is_done(c.url_id, c.lease_user, c.lease_session))
           OR EXISTS (SELECT 1 FROM recent d   -- the URL was deleted since
                      WHERE d.url_id OPERATOR(pg_catalog.=) c.url_id AND d.d_exists OPERATOR(pg_catalog.<) 0
                        AND d.xid OPERATOR(pg_catalog.>) c.lease_xid))
      -- Still eligible now: a write committed since the walk may have validated or suspended it
      -- (the same transaction that ended the previous holder's lease, say).
      AND NOT EXISTS (
          SELECT 1 FROM (SELECT pg_catalog.sum(d.d_validated) AS v, pg_catalog.sum(d.d_suspended) AS s
                         FROM recent d
                         WHERE d.url_id OPERATOR(pg_catalog.=) c.url_id) p
          WHERE (CASE WHEN c.validated THEN 1 ELSE 0 END OPERATOR(pg_catalog.+) COALESCE(p.v, 0)) OPERATOR(pg_catalog.>) 0
             OR (CASE WHEN c.suspended THEN 1 ELSE 0 END OPERATOR(pg_catalog.+) COALESCE(p.s, 0)) OPERATOR(pg_catalog.>) 0)
    ORDER BY pg_catalog.array_position($3::integer[], c.url_id)
    LIMIT $5::bigint
    FOR UPDATE SKIP LOCKED)
UPDATE annotate_internal.queue q
SET leased = true, lease_user = $1::integer, lease_session = $2::uuid,
    lease_until = pg_catalog.timezone('UTC', pg_catalog.timezone('UTC', pg_catalog.now()) OPERATOR(pg_catalog.+) $4::interval), lease_xid = pg_catalog.pg_current_xact_id()
FROM picked p
WHERE q.url_id OPERATOR(pg_catalog.=) p.url_id
RETURNING q.url_id
