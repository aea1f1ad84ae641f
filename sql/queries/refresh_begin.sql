-- Whether this refresh() may run (no other runs in this database: the lock is held until the
-- transaction ends), who runs it, from what (the application_name, or for a background worker
-- such as pg_cron's its type), and when.
SELECT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('annotate_ext'), 4),
       pg_catalog."session_user"()::text,
       COALESCE(NULLIF(pg_catalog.current_setting('application_name', true), ''),
                (SELECT a.backend_type FROM pg_catalog.pg_stat_activity a
                 WHERE a.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()),
                ''),
       pg_catalog.clock_timestamp()::text
