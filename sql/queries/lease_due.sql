-- Whether any lease has run out (lease_expire.sql has something to end): one probe of the
-- expiry index, read in the caller's snapshot. Most calls find none, and the statement that
-- ends leases (a locking walk and an update, with the queue's statement trigger) costs several
-- times this one to start.
SELECT EXISTS (SELECT 1 FROM annotate_internal.queue e
               WHERE e.leased AND e.lease_until OPERATOR(pg_catalog.<=) pg_catalog.now())
