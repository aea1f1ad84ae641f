-- The backend running refresh() in this database now, if any (the lock of refresh_begin.sql).
SELECT l.pid
FROM pg_catalog.pg_locks l
WHERE l.locktype OPERATOR(pg_catalog.=) 'userlock'
  AND l.granted
  AND l.database OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d
                                         WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
  AND l.classid OPERATOR(pg_catalog.=) pg_catalog.hashtext('annotate_ext')::oid
  AND l.objid OPERATOR(pg_catalog.=) 4
  AND l.objsubid OPERATOR(pg_catalog.=) 2
LIMIT 1
