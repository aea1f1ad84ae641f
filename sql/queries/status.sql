-- status(): the attachment, the queue, folding and the last refresh, from the extension's own
-- bookkeeping (no count over the app's tables).
SELECT pg_catalog.jsonb_build_object(
    'attached', s.attached,
    'attached_at', s.attached_at,
    'last_refresh', l.finished_at,
    'last_refresh_seconds', l.seconds,
    'views_age_seconds', EXTRACT(epoch FROM pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) l.finished_at)::double precision,
    'queue_rows_estimate', (SELECT c.reltuples::bigint FROM pg_catalog.pg_class c
                            WHERE c.oid OPERATOR(pg_catalog.=) 'annotate_internal.queue'::pg_catalog.regclass),
    'pending_writes', (SELECT pg_catalog.count(*) FROM annotate_internal.queue_delta d
                       WHERE d.xid OPERATOR(pg_catalog.>=) f.folded_below),
    'last_fold', f.folded_at,
    'folds', f.folds,
    'folder_running', EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
                              WHERE a.backend_type OPERATOR(pg_catalog.=) 'annotate_ext folder'
                                AND a.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()),
    'objects', (SELECT pg_catalog.jsonb_agg(pg_catalog.format('%s %s: %s', p.kind, p.name, p.problem))
                FROM annotate_internal.object_problems() p))
FROM annotate_internal.state s
CROSS JOIN annotate_internal.fold_state f
LEFT JOIN LATERAL (SELECT r.finished_at, r.seconds FROM annotate_internal.refresh_log r
                   ORDER BY r.id DESC LIMIT 1) l ON true
