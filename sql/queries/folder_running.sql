-- The process id of this database's folder (src/fold.rs), if it is running.
SELECT a.pid FROM pg_catalog.pg_stat_activity a
WHERE a.backend_type OPERATOR(pg_catalog.=) 'annotate_ext folder'
  AND a.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()
LIMIT 1
