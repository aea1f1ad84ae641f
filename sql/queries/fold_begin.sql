-- Whether this transaction may fold now: attached, no attach() or reconcile() under way, no
-- other fold. Never waits. With the xmin of this statement's snapshot (as text): every
-- transaction that can still add deltas is at or above it, so it becomes folded_below once
-- everything pending is folded.
SELECT pg_catalog.pg_try_advisory_xact_lock_shared(pg_catalog.hashtext('annotate_ext'), 1)
       AND pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('annotate_ext'), 2)
       AND (SELECT s.attached FROM annotate_internal.state s),
       pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())::pg_catalog.text
