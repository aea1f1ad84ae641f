-- Scheduling refresh() with pg_cron. pg_cron is optional and lives in one database per server
-- (cron.database_name, postgres by default): when that is this database, schedule_refresh()
-- schedules here; otherwise its error shows the cron.schedule_in_database call to run there.
-- The job is named after the database ('annotate_ext refresh <database>'): pg_cron's job names
-- are one namespace per user across every database it serves.

CREATE FUNCTION annotate.schedule_refresh(schedule text DEFAULT '17 3 * * *')
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job bigint;
    cron_db text := pg_catalog.current_setting('cron.database_name', true);
BEGIN
    IF schedule IS NULL THEN
        RAISE EXCEPTION 'annotate.schedule_refresh: schedule must not be NULL'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        IF cron_db IS NULL THEN
            RAISE EXCEPTION 'annotate.schedule_refresh: pg_cron is not loaded on this server'
                USING ERRCODE = 'feature_not_supported',
                      HINT = 'Install pg_cron (Debian: postgresql-15-cron), add it to shared_preload_libraries, '
                             'restart, CREATE EXTENSION pg_cron in the database cron.database_name names (postgres '
                             'by default), and schedule from there with cron.schedule_in_database (see the README).';
        END IF;
        RAISE EXCEPTION 'annotate.schedule_refresh: pg_cron is in database %, not in this one', cron_db
            USING ERRCODE = 'feature_not_supported',
                  HINT = pg_catalog.format(
                      'In database %s run: SELECT cron.schedule_in_database(%L, %L, %L, %L);',
                      cron_db, 'annotate_ext refresh ' OPERATOR(pg_catalog.||) pg_catalog.current_database(),
                      schedule, 'SELECT annotate.refresh()', pg_catalog.current_database());
    END IF;
    -- A named job: scheduling again replaces the schedule.
    EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job
        USING 'annotate_ext refresh ' OPERATOR(pg_catalog.||) pg_catalog.current_database(), schedule,
              'SELECT annotate.refresh()';
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
    cron_db text := pg_catalog.current_setting('cron.database_name', true);
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        RAISE EXCEPTION 'annotate.unschedule_refresh: pg_cron is not installed in this database'
            USING ERRCODE = 'feature_not_supported',
                  HINT = CASE WHEN cron_db IS NOT NULL THEN pg_catalog.format(
                      'In database %s run: SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = %L AND database = %L;',
                      cron_db, 'annotate_ext refresh ' OPERATOR(pg_catalog.||) pg_catalog.current_database(),
                      pg_catalog.current_database()) END;
    END IF;
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM cron.job WHERE jobname OPERATOR(pg_catalog.=) $1)' INTO found_job
        USING 'annotate_ext refresh ' OPERATOR(pg_catalog.||) pg_catalog.current_database();
    IF found_job THEN
        EXECUTE 'SELECT cron.unschedule($1)'
            USING 'annotate_ext refresh ' OPERATOR(pg_catalog.||) pg_catalog.current_database();
    END IF;
    RETURN found_job;
END
$$;

-- The pg_cron job that runs refresh() for this database, for status(): its schedule and last
-- outcome when pg_cron is in this database; otherwise where pg_cron is (its job list is there,
-- out of reach from here; the runs themselves show in annotate.refresh_history either way).
CREATE FUNCTION annotate_internal.cron_status()
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cron_db text := pg_catalog.current_setting('cron.database_name', true);
    job jsonb;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        RETURN pg_catalog.jsonb_build_object(
            'in_this_database', false,
            'cron_database', cron_db,
            'note', CASE WHEN cron_db IS NULL THEN 'pg_cron is not loaded on this server'
                         ELSE 'pg_cron is in database ' OPERATOR(pg_catalog.||) cron_db
                              OPERATOR(pg_catalog.||) ': its jobs are listed there (cron.job)' END);
    END IF;
    -- The pattern has no backslash: it reads the same under standard_conforming_strings = off
    -- ('annotate\.refresh\(' then became an invalid pattern, and status() failed).
    EXECUTE $q$
        SELECT pg_catalog.jsonb_build_object(
                   'jobid', j.jobid, 'schedule', j.schedule, 'active', j.active,
                   'last_run', (SELECT pg_catalog.jsonb_build_object('status', d.status, 'start_time', d.start_time,
                                                                    'end_time', d.end_time,
                                                                    'return_message', d.return_message)
                                FROM cron.job_run_details d
                                WHERE d.jobid OPERATOR(pg_catalog.=) j.jobid
                                ORDER BY d.runid DESC LIMIT 1))
        FROM cron.job j
        WHERE j.command OPERATOR(pg_catalog.~) 'annotate[.]refresh[(]'
          AND j.database OPERATOR(pg_catalog.=) pg_catalog.current_database()
        ORDER BY j.jobid DESC LIMIT 1 $q$
    INTO job;
    RETURN pg_catalog.jsonb_build_object('in_this_database', true, 'cron_database', cron_db, 'job', job);
END
$$;
