-- Removes runs older than $1 seconds (annotate.refresh_history_retention); the rows removed.
WITH gone AS (
    DELETE FROM annotate_internal.refresh_log l
    WHERE l.finished_at OPERATOR(pg_catalog.<)
          (pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => $1::double precision))
    RETURNING 1)
SELECT pg_catalog.count(*) FROM gone
