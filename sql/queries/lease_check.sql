-- Read first by a leasing call, in the call's snapshot, one index probe each: whether any
-- lease has run out (lease_expire.sql has something to end), and whether caller $1 (user) or
-- $2 (session; the other NULL) holds a running lease (own_leases.sql has something to read,
-- by the same test). Most calls find neither, and each of those two statements costs several
-- times this one to start (a locking walk and an update with the queue's statement trigger;
-- the caller's annotation probes for every lease it holds).
SELECT EXISTS (SELECT 1 FROM annotate_internal.queue e
               WHERE e.leased AND e.lease_until OPERATOR(pg_catalog.<=) pg_catalog.now()) AS due,
       EXISTS (SELECT 1 FROM annotate_internal.queue q
               WHERE q.leased AND q.lease_user OPERATOR(pg_catalog.=) $1::integer
                 AND (q.lease_until OPERATOR(pg_catalog.>) pg_catalog.now()) IS TRUE)
    OR EXISTS (SELECT 1 FROM annotate_internal.queue q
               WHERE q.leased AND q.lease_session OPERATOR(pg_catalog.=) $2::uuid
                 AND (q.lease_until OPERATOR(pg_catalog.>) pg_catalog.now()) IS TRUE) AS own
