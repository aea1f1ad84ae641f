-- Scheduling refresh() with pg_cron. The throwaway cluster preloads pg_cron for database
-- annotate_cron; pg_cron runs jobs at minute boundaries, so this test waits up to ~70 s.
DROP DATABASE IF EXISTS annotate_t_nocron;
CREATE DATABASE annotate_t_nocron TEMPLATE annotate_fixture;
\c annotate_t_nocron
CREATE EXTENSION annotate_ext;
-- Without pg_cron: a clear error saying what to install and configure.
SELECT annotate.schedule_refresh();
SELECT annotate.unschedule_refresh();

-- With it (tests/run made annotate_cron from the app fixture).
\c annotate_cron
CREATE EXTENSION pg_cron;
CREATE EXTENSION annotate_ext;

SELECT annotate.schedule_refresh() > 0 AS scheduled;
SELECT jobname, schedule, command FROM cron.job;
SELECT annotate.schedule_refresh(NULL);
-- Every minute, then wait for the next run to land in refresh_log.
SELECT annotate.schedule_refresh('* * * * *') > 0 AS rescheduled;
SELECT jobname, schedule FROM cron.job;
CREATE TEMP TABLE before AS SELECT max(id) AS id FROM annotate.refresh_log;
DO $$
DECLARE
    waited int := 0;
BEGIN
    WHILE (NOT EXISTS (SELECT 1 FROM annotate.refresh_log WHERE id > (SELECT id FROM before))
           OR NOT EXISTS (SELECT 1 FROM cron.job_run_details WHERE status IN ('succeeded', 'failed')))
          AND waited < 75 LOOP
        PERFORM pg_sleep(1);
        waited := waited + 1;
    END LOOP;
END $$;
SELECT count(*) > 0 AS refreshed_by_cron FROM annotate.refresh_log WHERE id > (SELECT id FROM before);
SELECT status FROM cron.job_run_details WHERE status IN ('succeeded', 'failed') ORDER BY runid LIMIT 1;
SELECT (annotate.status()->>'last_refresh')::timestamptz
       = (SELECT finished_at FROM annotate.refresh_log ORDER BY id DESC LIMIT 1)
   AND (SELECT max(id) FROM annotate.refresh_log) > (SELECT id FROM before) AS status_shows_it;
SELECT annotate.unschedule_refresh() AS removed, annotate.unschedule_refresh() AS again;
SELECT count(*) AS jobs FROM cron.job;
