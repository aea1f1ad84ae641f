-- Records a fold: $1 the xmin read by fold_begin.sql, $2 whether every pending URL was folded
-- (only then are all deltas below $1 gone, and readers may start from it), $3 rows folded.
-- Every 32nd fold also prunes queue_moved to its newest 4,000 rows or so (src/resume.rs reads
-- at most 1,000 of them), and moved_from says from which transaction on it is whole.
WITH cut AS MATERIALIZED (
    SELECT m.xid FROM annotate_internal.queue_moved m
    WHERE (SELECT f.folds OPERATOR(pg_catalog.%) 32 FROM annotate_internal.fold_state f) OPERATOR(pg_catalog.=) 0
    ORDER BY m.xid DESC
    OFFSET 4000 LIMIT 1),
pruned AS (
    DELETE FROM annotate_internal.queue_moved m
    WHERE m.xid OPERATOR(pg_catalog.<) (SELECT c.xid FROM cut c)
    RETURNING 1)
UPDATE annotate_internal.fold_state
SET folded_below = CASE WHEN $2::boolean THEN $1::pg_catalog.text::pg_catalog.xid8 ELSE folded_below END,
    folded_at = pg_catalog.clock_timestamp(),
    folds = folds OPERATOR(pg_catalog.+) 1,
    rows_folded = rows_folded OPERATOR(pg_catalog.+) $3::bigint,
    moved_from = GREATEST(moved_from, COALESCE((SELECT c.xid FROM cut c), moved_from))
