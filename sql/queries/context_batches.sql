-- Read before the walks when context_start.sql says a follow change waits to be folded: one row
-- per batch whose followed state such a change turned over, and whether anyone follows it now
-- (a change that leaves the batch as it was folded, a second follower or a follower of one of
-- several locations leaving, leaves its rows where the order indexes have them: nothing to walk
-- apart). Columns: batch_id, followed.
SELECT pb.batch_id, pb.followed
FROM annotate_internal.pending_batches() pb
LEFT JOIN annotate_internal.batches fb ON fb.batch_id OPERATOR(pg_catalog.=) pb.batch_id
WHERE pb.followed OPERATOR(pg_catalog.<>) COALESCE(fb.followed, false)
