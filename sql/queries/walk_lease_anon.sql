-- Walks the head of the queue and leases what it reaches, in one statement, as pgmq's read():
-- an ordered walk of the unleased range of queue_order (SPEC 3.2 keys 2-5, then id) that passes
-- over URLs another transaction holds right now (a racing caller's lease, a fold), never
-- waiting, and leases the first $4 it reaches to anonymous session $2 ($1 is NULL) until
-- now() + $3. A row leased by a caller that committed since this statement's snapshot is
-- rechecked on its latest version and passed over. Used when the global order alone answers
-- the caller (src/leases.rs: no followed batch, no pending write the caller could get).
-- Left out: every URL with a write not folded yet, as this statement sees them (their queue
-- rows may be stale: a URL validated a moment ago must not be leased).
--
-- The walk starts at $5-$10, the keys of the range's first live entry as the last walk found it
-- (src/head.rs; the start of the range when there is none): what lies before it is the dead
-- entries of leases taken since the queue was vacuumed. In two parts, each an index range: the
-- rest of that key's ties from its id on, then every key after it (a row comparison on the
-- index's five descending keys); the second runs only if the first leased too few.
--
-- Returns one row per URL leased (the columns of walk_order.sql, in no order: the caller sorts
-- them; a Sort here would be planned for the generic plan's estimate of $4), each with the keys
-- of the first live entry from $5-$10 on (columns 11-16); a single row with no URL when the
-- walk leased nothing but found a live entry; no row when the range is empty from there.
--
-- For an anonymous session: walk_lease.sql for a user, probing the session's annotations
-- instead (each kind's executor sets up only its own four probes). The two differ in nothing
-- else (a unit test in src/statements.rs keeps them so).
WITH first AS MATERIALIZED (   -- the first live entry from the start on, leasable or not
    SELECT w.followed_any, w.is_manual, w.user_votes, w.anon_votes, w.auto_votes, w.url_id
    FROM (SELECT * FROM (SELECT q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes, q.url_id
                         FROM annotate_internal.queue q
                         WHERE NOT q.validated AND NOT q.suspended AND NOT q.leased
                           AND q.followed_any OPERATOR(pg_catalog.=) $5::boolean
                           AND q.is_manual OPERATOR(pg_catalog.=) $6::boolean
                           AND q.user_votes OPERATOR(pg_catalog.=) $7::integer
                           AND q.anon_votes OPERATOR(pg_catalog.=) $8::integer
                           AND q.auto_votes OPERATOR(pg_catalog.=) $9::integer
                           AND q.url_id OPERATOR(pg_catalog.>=) $10::integer
                         ORDER BY q.url_id
                         LIMIT 1) ties
          UNION ALL
          SELECT * FROM (SELECT q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes, q.url_id
                         FROM annotate_internal.queue q
                         WHERE NOT q.validated AND NOT q.suspended AND NOT q.leased
                           AND ROW(q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes)
                               OPERATOR(pg_catalog.<) ROW($5::boolean, $6::boolean, $7::integer, $8::integer, $9::integer)
                         ORDER BY q.followed_any DESC, q.is_manual DESC, q.user_votes DESC, q.anon_votes DESC,
                                  q.auto_votes DESC, q.url_id
                         LIMIT 1) later) w
    LIMIT 1),
pending AS MATERIALIZED (      -- URLs with writes not folded yet, once per statement
    SELECT ARRAY(SELECT d.url_id FROM annotate_internal.pending_deltas() d) AS ids),
picked AS MATERIALIZED (       -- evaluated once: rows are locked and leased exactly once
    SELECT w.url_id
    FROM (SELECT * FROM (SELECT q.url_id FROM annotate_internal.queue q
                         WHERE NOT q.validated AND NOT q.suspended AND NOT q.leased
                           AND q.followed_any OPERATOR(pg_catalog.=) $5::boolean
                           AND q.is_manual OPERATOR(pg_catalog.=) $6::boolean
                           AND q.user_votes OPERATOR(pg_catalog.=) $7::integer
                           AND q.anon_votes OPERATOR(pg_catalog.=) $8::integer
                           AND q.auto_votes OPERATOR(pg_catalog.=) $9::integer
                           AND q.url_id OPERATOR(pg_catalog.>=) $10::integer
                           AND NOT (q.url_id OPERATOR(pg_catalog.=) ANY ((SELECT p.ids FROM pending p)::integer[]))
                           AND NOT EXISTS (SELECT 1 FROM annotate_internal.is_done_session(q.url_id, $1::integer, $2::uuid))
                         ORDER BY q.url_id
                         LIMIT $4::bigint
                         FOR UPDATE OF q SKIP LOCKED) ties
          UNION ALL
          SELECT * FROM (SELECT q.url_id FROM annotate_internal.queue q
                         WHERE NOT q.validated AND NOT q.suspended AND NOT q.leased
                           AND ROW(q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes)
                               OPERATOR(pg_catalog.<) ROW($5::boolean, $6::boolean, $7::integer, $8::integer, $9::integer)
                           AND NOT (q.url_id OPERATOR(pg_catalog.=) ANY ((SELECT p.ids FROM pending p)::integer[]))
                           AND NOT EXISTS (SELECT 1 FROM annotate_internal.is_done_session(q.url_id, $1::integer, $2::uuid))
                         ORDER BY q.followed_any DESC, q.is_manual DESC, q.user_votes DESC, q.anon_votes DESC,
                                  q.auto_votes DESC, q.url_id
                         LIMIT $4::bigint
                         FOR UPDATE OF q SKIP LOCKED) later) w
    LIMIT $4::bigint),
leased AS (
    UPDATE annotate_internal.queue q
    SET leased = true, lease_user = $1::integer, lease_session = $2::uuid,
        lease_until = pg_catalog.timezone('UTC', pg_catalog.timezone('UTC', pg_catalog.now()) OPERATOR(pg_catalog.+) $3::interval),
        lease_xid = pg_catalog.pg_current_xact_id()
    FROM picked p
    WHERE q.url_id OPERATOR(pg_catalog.=) p.url_id
    RETURNING q.url_id, q.batch_id, q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes)
SELECT w.url_id, w.batch_id, w.followed_any, w.is_manual, w.user_votes::bigint, w.anon_votes::bigint,
       w.auto_votes::bigint, u.scheme::pg_catalog.text, u.url::pg_catalog.text, u.trailing_slash,
       f.followed_any, f.is_manual, f.user_votes, f.anon_votes, f.auto_votes, f.url_id
FROM first f
LEFT JOIN (leased w JOIN public.urls u ON u.id OPERATOR(pg_catalog.=) w.url_id) ON true
