-- Scheduling refresh() with pg_cron, when the database has it. pg_cron is optional: these
-- functions look for it at call time and say what to do when it is missing.

CREATE FUNCTION annotate.schedule_refresh(schedule text DEFAULT '17 3 * * *')
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job bigint;
BEGIN
    IF schedule IS NULL THEN
        RAISE EXCEPTION 'annotate.schedule_refresh: schedule must not be NULL'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        RAISE EXCEPTION 'annotate.schedule_refresh: pg_cron is not installed in this database'
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Install pg_cron (Debian: postgresql-15-cron), set shared_preload_libraries = ''pg_cron'' '
                         'and cron.database_name = ' OPERATOR(pg_catalog.||) pg_catalog.quote_literal(pg_catalog.current_database())
                         OPERATOR(pg_catalog.||) ' in postgresql.conf, restart, then CREATE EXTENSION pg_cron here.';
    END IF;
    -- A named job: scheduling again replaces the schedule.
    EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job
        USING 'annotate_ext refresh', schedule, 'SELECT annotate.refresh()';
    RETURN job;
END
$$;

CREATE FUNCTION annotate.unschedule_refresh()
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_job boolean;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        RAISE EXCEPTION 'annotate.unschedule_refresh: pg_cron is not installed in this database'
            USING ERRCODE = 'feature_not_supported';
    END IF;
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM cron.job WHERE jobname OPERATOR(pg_catalog.=) $1)' INTO found_job
        USING 'annotate_ext refresh';
    IF found_job THEN
        EXECUTE 'SELECT cron.unschedule($1)' USING 'annotate_ext refresh';
    END IF;
    RETURN found_job;
END
$$;
