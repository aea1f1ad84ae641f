-- Ends the leases this transaction took on the URLs $1, returning them to the unleased range:
-- a leasing walk that started from the recorded head of the range (src/head.rs) while a URL
-- may have been put back ahead of it undoes what it leased, and walks again from the start.
-- Reached by primary key: the rows are told by lease_xid alone (set only while a row is leased),
-- as a test of leased would let the planner walk every live lease in queue_lease_expiry.
UPDATE annotate_internal.queue q
SET leased = false, lease_user = NULL, lease_session = NULL, lease_until = NULL, lease_xid = NULL
WHERE q.url_id OPERATOR(pg_catalog.=) ANY ($1::integer[])
  AND q.lease_xid OPERATOR(pg_catalog.=) pg_catalog.pg_current_xact_id()
