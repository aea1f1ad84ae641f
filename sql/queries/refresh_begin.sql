-- Whether this refresh() may run (no other runs in this database: the lock is held until the
-- transaction ends), who runs it, from what (the application_name, or for a background worker
-- such as pg_cron's its type), and when (as text that reads back the same anywhere).
SELECT annotate_internal.try_lock(4, false),
       pg_catalog."session_user"()::text,
       COALESCE(NULLIF(pg_catalog.current_setting('application_name', true), ''),
                (SELECT a.backend_type FROM pg_catalog.pg_stat_activity a
                 WHERE a.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()),
                ''),
       -- as JSON writes it (ISO 8601, a numeric offset), whatever the session's DateStyle: text
       -- in the SQL or German style carries a zone abbreviation (IST: India, or Israel when
       -- read back) and a day-month order the recorder, under the database's settings, reads
       -- differently
       pg_catalog.to_json(pg_catalog.clock_timestamp()) OPERATOR(pg_catalog.#>>) '{}'::pg_catalog.text[]
