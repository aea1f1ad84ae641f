-- Whether this transaction may fold now: attached, no attach() or reconcile() under way, no
-- other fold. Never waits. With the xmin of this statement's snapshot (as text): every
-- transaction that can still add deltas is at or above it, so it becomes folded_below once
-- everything pending is folded.
SELECT annotate_internal.try_lock(1, true) AND annotate_internal.try_lock(2, false)
       AND (SELECT s.attached FROM annotate_internal.state s),
       pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())::pg_catalog.text
