-- $1 batch_id: its URLs, and those with at least one annotation__agency__user row (the app's
-- definition of annotated, SPEC 4), as this snapshot sees them: the folded counts plus the
-- pending writes of the batch's URLs. O(1) in the size of the batch.
SELECT COALESCE(b.total_urls, 0) OPERATOR(pg_catalog.+) COALESCE(a.total, 0),
       COALESCE(b.annotated_urls, 0) OPERATOR(pg_catalog.+) COALESCE(a.annotated, 0)
FROM (SELECT $1::integer AS batch_id) one
LEFT JOIN annotate_internal.batches b ON b.batch_id OPERATOR(pg_catalog.=) one.batch_id
LEFT JOIN LATERAL (
    SELECT pg_catalog.sum(t.total)::bigint AS total, pg_catalog.sum(t.annotated)::bigint AS annotated
    FROM annotate_internal.pending_urls() p
    CROSS JOIN LATERAL (
        SELECT -1 AS total, CASE WHEN p.old_annotated THEN -1 ELSE 0 END AS annotated
        WHERE p.existed AND p.old_batch_id OPERATOR(pg_catalog.=) one.batch_id
        UNION ALL
        SELECT 1, CASE WHEN p.annotated THEN 1 ELSE 0 END
        WHERE p.present AND p.batch_id OPERATOR(pg_catalog.=) one.batch_id) t
) a ON true
