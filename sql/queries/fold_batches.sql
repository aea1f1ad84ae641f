-- Folds the pending follow changes: each touched batch's followed state is recomputed from
-- the app's tables (never adjusted incrementally, so two concurrent follow changes cannot skew
-- it), and the URLs of a batch that changed state move with it. The number of URLs moved.
WITH gone AS (
    DELETE FROM annotate_internal.batch_event e
    WHERE e.xid OPERATOR(pg_catalog.>=) (SELECT s.folded_below FROM annotate_internal.fold_state s)
    RETURNING 1),
changed AS (
    INSERT INTO annotate_internal.batches AS b (batch_id, followed)
    SELECT pb.batch_id, pb.followed FROM annotate_internal.pending_batches() pb
    ON CONFLICT (batch_id) DO UPDATE SET followed = EXCLUDED.followed
    WHERE b.followed OPERATOR(pg_catalog.<>) EXCLUDED.followed
    RETURNING b.batch_id, b.followed),
moved AS (
    UPDATE annotate_internal.queue q SET followed_any = c.followed
    FROM changed c
    WHERE q.batch_id OPERATOR(pg_catalog.=) c.batch_id AND q.followed_any OPERATOR(pg_catalog.<>) c.followed
    RETURNING 1),
marked AS (      -- resume points from before this fold are void (src/resume.rs)
    INSERT INTO annotate_internal.queue_moved (url_id)
    SELECT NULL::integer WHERE EXISTS (SELECT 1 FROM changed)
    RETURNING 1)
SELECT (SELECT pg_catalog.count(*) FROM gone), (SELECT pg_catalog.count(*) FROM moved)
