-- Records a fold: $1 the xmin read by fold_begin.sql, $2 whether every pending URL was folded
-- (only then are all deltas below $1 gone, and readers may start from it), $3 rows folded.
UPDATE annotate_internal.fold_state
SET folded_below = CASE WHEN $2::boolean THEN $1::pg_catalog.text::pg_catalog.xid8 ELSE folded_below END,
    folded_at = pg_catalog.clock_timestamp(),
    folds = folds OPERATOR(pg_catalog.+) 1,
    rows_folded = rows_folded OPERATOR(pg_catalog.+) $3::bigint
