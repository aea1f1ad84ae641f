-- Walks the head of the queue and leases what it reaches, in one statement, as pgmq's read():
-- an ordered walk of the unleased range of queue_order (SPEC 3.2 keys 2-5, then id) that passes
-- over URLs another transaction holds right now (a racing caller's lease, a fold), never
-- waiting, and leases the first $4 it reaches to user $1 or session $2 (the other NULL) until
-- now() + $3. A row leased by a caller that committed since this statement's snapshot is
-- rechecked on its latest version and passed over. Used when the global order alone answers
-- the caller (src/leases.rs: no followed batch, no pending write the caller could get).
-- Left out: every URL with a write not folded yet, as this statement sees them (their queue
-- rows may be stale: a URL validated a moment ago must not be leased).
-- Returns the leased URLs with the columns of walk_order.sql, in no order (the caller sorts
-- them: a Sort here would be planned for the generic plan's estimate of $4).
WITH picked AS MATERIALIZED (   -- evaluated once: rows are locked and leased exactly once
    SELECT q.url_id FROM annotate_internal.queue q
    WHERE NOT q.validated AND NOT q.suspended AND NOT q.leased
      AND NOT (q.url_id OPERATOR(pg_catalog.=) ANY (ARRAY(   -- once per statement, not per row
          SELECT d.url_id FROM annotate_internal.queue_delta d
          WHERE d.xid OPERATOR(pg_catalog.>=) (SELECT f.folded_below FROM annotate_internal.fold_state f))))
      AND NOT EXISTS (SELECT 1 FROM annotate_internal.is_done(q.url_id, $1::integer, $2::uuid))
    ORDER BY q.followed_any DESC, q.is_manual DESC, q.user_votes DESC, q.anon_votes DESC,
             q.auto_votes DESC, q.url_id
    LIMIT $4::bigint
    FOR UPDATE OF q SKIP LOCKED),
leased AS (
    UPDATE annotate_internal.queue q
    SET leased = true, lease_user = $1::integer, lease_session = $2::uuid,
        lease_until = pg_catalog.now() OPERATOR(pg_catalog.+) $3::interval,
        lease_xid = pg_catalog.pg_current_xact_id()
    FROM picked p
    WHERE q.url_id OPERATOR(pg_catalog.=) p.url_id
    RETURNING q.url_id, q.batch_id, q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes)
SELECT w.url_id, w.batch_id, w.followed_any, w.is_manual, w.user_votes::bigint, w.anon_votes::bigint,
       w.auto_votes::bigint, u.scheme::pg_catalog.text, u.url::pg_catalog.text, u.trailing_slash
FROM leased w
JOIN public.urls u ON u.id OPERATOR(pg_catalog.=) w.url_id
