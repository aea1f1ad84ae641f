-- $1 batch_id: batch_info.sql's two counts when no URL write waits to be folded, as this
-- snapshot sees it (the folder keeps up): the folded counts are then the whole answer, and
-- column 3 says so. When it is false the caller runs batch_info.sql, whose reading of the
-- pending writes makes a plan the executor sets up in full on every execution, read or not
-- (some 50 µs). Follow changes do not move these counts.
SELECT COALESCE(b.total_urls, 0)::bigint, COALESCE(b.annotated_urls, 0)::bigint,
       NOT EXISTS (SELECT 1 FROM annotate_internal.queue_delta d
                   WHERE d.xid OPERATOR(pg_catalog.>=) (SELECT f.folded_below FROM annotate_internal.fold_state f))
FROM (SELECT $1::integer AS batch_id) one
LEFT JOIN annotate_internal.batches b ON b.batch_id OPERATOR(pg_catalog.=) one.batch_id
