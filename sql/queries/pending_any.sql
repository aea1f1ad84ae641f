-- Whether any write waits to be folded, as this snapshot sees it: read first, so that a call
-- finding none (the folder keeps up) reads no more of context.sql than this. 1 whether a
-- URL's writes do (context.sql), 2 whether a follow change does (context_batches.sql).
SELECT EXISTS (SELECT 1 FROM annotate_internal.queue_delta d
               WHERE d.xid OPERATOR(pg_catalog.>=) (SELECT f.folded_below FROM annotate_internal.fold_state f)),
       EXISTS (SELECT 1 FROM annotate_internal.batch_event e
               WHERE e.xid OPERATOR(pg_catalog.>=) (SELECT f.folded_below FROM annotate_internal.fold_state f))
