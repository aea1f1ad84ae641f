-- Folds the pending follow changes: each touched batch's followed state is recomputed from
-- the app's tables (never adjusted incrementally, so two concurrent follow changes cannot skew
-- it), and the URLs of the batch whose rows say otherwise move with it: those whose row this
-- transaction can lock now. A row a lease is being taken on is left, never waited for (an open
-- leasing transaction held up every fold until it ended, and the folder gave up on its
-- lock_timeout): its batch gets a follow change again, which keeps readers recomputing the
-- batch until a later fold moves the rest. The follow changes folded, the URLs moved and the
-- batches left.
WITH gone AS (
    DELETE FROM annotate_internal.batch_event e
    WHERE e.xid OPERATOR(pg_catalog.>=) (SELECT s.folded_below FROM annotate_internal.fold_state s)
    RETURNING 1),
state AS MATERIALIZED (
    SELECT pb.batch_id, pb.followed FROM annotate_internal.pending_batches() pb),
due AS MATERIALIZED (
    SELECT q.url_id, q.batch_id, s.followed
    FROM annotate_internal.queue q
    JOIN state s ON s.batch_id OPERATOR(pg_catalog.=) q.batch_id
    WHERE q.followed_any OPERATOR(pg_catalog.<>) s.followed),
mine AS MATERIALIZED (
    SELECT q.url_id FROM annotate_internal.queue q
    WHERE q.url_id OPERATOR(pg_catalog.=) ANY (SELECT d.url_id FROM due d)
    FOR UPDATE SKIP LOCKED),
moved AS (
    UPDATE annotate_internal.queue q SET followed_any = d.followed
    FROM due d
    WHERE q.url_id OPERATOR(pg_catalog.=) d.url_id
      AND q.url_id OPERATOR(pg_catalog.=) ANY (SELECT m.url_id FROM mine m)
    RETURNING 1),
left_over AS MATERIALIZED (
    SELECT DISTINCT d.batch_id FROM due d
    WHERE NOT d.url_id OPERATOR(pg_catalog.=) ANY (SELECT m.url_id FROM mine m)),
changed AS (     -- a batch some of whose rows are left keeps its old state until they move:
                 -- readers recompute it while its state differs (context_batches.sql)
    INSERT INTO annotate_internal.batches AS b (batch_id, followed)
    SELECT s.batch_id, s.followed FROM state s
    WHERE NOT s.batch_id OPERATOR(pg_catalog.=) ANY (SELECT l.batch_id FROM left_over l)
    ON CONFLICT (batch_id) DO UPDATE SET followed = EXCLUDED.followed
    WHERE b.followed OPERATOR(pg_catalog.<>) EXCLUDED.followed
    RETURNING 1),
again AS (
    INSERT INTO annotate_internal.batch_event (xid, batch_id)
    SELECT pg_catalog.pg_current_xact_id(), l.batch_id FROM left_over l
    RETURNING 1),
marked AS (      -- resume points from before this fold are void (src/resume.rs)
    INSERT INTO annotate_internal.queue_moved (url_id)
    SELECT NULL::integer WHERE EXISTS (SELECT 1 FROM due)
    RETURNING 1)
SELECT (SELECT pg_catalog.count(*) FROM gone), (SELECT pg_catalog.count(*) FROM moved),
       (SELECT pg_catalog.count(*) FROM again)
