-- status(): the attachment, the queue, its health, refresh() runs and their schedule, from the
-- extension's own bookkeeping. Reads only (it runs on a standby and takes no transaction id),
-- and counts nothing over the app's tables: queue_rows_estimate is the planner's estimate,
-- pending_writes an exact count of writes not yet folded (small, the folder keeps it so).
SELECT pg_catalog.jsonb_build_object(
    'attached', s.attached,
    'attached_at', s.attached_at,
    'reconcile_owed', s.reconcile_owed IS NOT NULL OR EXISTS (SELECT 1 FROM annotate_internal.reconcile_due d),
    'last_refresh', ok.finished_at,
    'last_refresh_seconds', ok.seconds,
    'views_age_seconds', EXTRACT(epoch FROM pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) ok.finished_at)::double precision,
    'queue_rows_estimate', (SELECT GREATEST(c.reltuples, 0)::bigint FROM pg_catalog.pg_class c
                            WHERE c.oid OPERATOR(pg_catalog.=) 'annotate_internal.queue'::pg_catalog.regclass),
    'pending_writes', (SELECT pg_catalog.count(*) FROM annotate_internal.pending_deltas() d),
    'last_fold', f.folded_at,
    'folds', f.folds,
    'folder_running', EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
                              WHERE a.backend_type OPERATOR(pg_catalog.=) 'annotate_ext folder'
                                AND a.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()),
    'objects', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.format('%s %s: %s', p.kind, p.name, p.problem)),
                                '[]'::pg_catalog.jsonb)
                FROM annotate_internal.object_problems() p),
    'health', pg_catalog.jsonb_build_object(
        'last_verify', h.verified_at,
        'verify_problems', h.verify_problems,
        'last_reconcile', h.reconciled_at,
        'reconcile_fixed', h.reconcile_fixed),
    'refresh', pg_catalog.jsonb_build_object(
        'running_pid', (SELECT l.pid
                        FROM pg_catalog.pg_locks l
                        WHERE l.locktype OPERATOR(pg_catalog.=) 'userlock' AND l.granted
                          AND l.database OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d
                                                                 WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
                          AND l.classid OPERATOR(pg_catalog.=) pg_catalog.hashtext('annotate_ext')::oid
                          AND l.objid OPERATOR(pg_catalog.=) 4 AND l.objsubid OPERATOR(pg_catalog.=) 2
                        LIMIT 1),
        'last_run', (SELECT pg_catalog.jsonb_build_object('finished_at', r.finished_at, 'status', r.status,
                                                         'seconds', r.seconds, 'run_by', r.run_by,
                                                         'application_name', r.application_name)
                     FROM annotate_internal.refresh_log r ORDER BY r.id DESC LIMIT 1),
        'last_failure', (SELECT pg_catalog.jsonb_build_object('finished_at', r.finished_at, 'step', r.failed_step,
                                                             'sqlstate', r.sqlstate, 'message', r.message)
                         FROM annotate_internal.refresh_log r
                         WHERE r.status OPERATOR(pg_catalog.=) 'failed' ORDER BY r.id DESC LIMIT 1),
        'last_by_pg_cron', (SELECT r.finished_at FROM annotate_internal.refresh_log r
                            WHERE r.application_name OPERATOR(pg_catalog.=) 'pg_cron'
                            ORDER BY r.id DESC LIMIT 1)),
    'cron', annotate_internal.cron_status())
FROM annotate_internal.state s
CROSS JOIN annotate_internal.fold_state f
CROSS JOIN annotate_internal.health h
LEFT JOIN LATERAL (SELECT r.finished_at, r.seconds FROM annotate_internal.refresh_log r
                   WHERE r.status OPERATOR(pg_catalog.=) 'succeeded'
                   ORDER BY r.id DESC LIMIT 1) ok ON true
