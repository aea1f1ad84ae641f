-- The process id of this database's folder (src/fold.rs), if it is running: the holder of the
-- session lock it takes as it starts (src/locks.rs). pg_locks is read
-- as it is now; pg_stat_activity would be as it was when this transaction first read it, and a
-- writer's transaction can outlive a folder or see one start.
SELECT l.pid FROM pg_catalog.pg_locks l
WHERE l.locktype OPERATOR(pg_catalog.=) 'userlock' AND l.granted
  AND l.database OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d
                                         WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
  AND l.classid OPERATOR(pg_catalog.=) pg_catalog.hashtext('annotate_ext')::pg_catalog.oid
  AND l.objid OPERATOR(pg_catalog.=) 3::pg_catalog.oid AND l.objsubid OPERATOR(pg_catalog.=) 2
  AND l.mode OPERATOR(pg_catalog.=) 'ExclusiveLock' -- not a writer's probe (src/fold.rs: folder_lock_free)
LIMIT 1
