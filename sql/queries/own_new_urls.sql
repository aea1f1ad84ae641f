-- Which of the URLs $1 this transaction made itself (its own pending write gives them their
-- first queue row): no fold can give them a row before it commits, so a leasing call in it does
-- not wait for one (it waited 2 s for nothing, src/fold.rs wait_for_rows()).
SELECT d.url_id FROM annotate_internal.pending_deltas() d
WHERE d.url_id OPERATOR(pg_catalog.=) ANY ($1::integer[])
  AND d.xid OPERATOR(pg_catalog.=) pg_catalog.pg_current_xact_id_if_assigned()
  AND d.d_exists OPERATOR(pg_catalog.>) 0
