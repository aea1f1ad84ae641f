-- Runs last: the settings every function runs with, who may call what, what each object is,
-- and the attachment to the app's tables.

-- The request path: each function sets the planner settings its statements are planned and
-- run under for the length of its call (src/guc.rs REQUEST_PLANNING: no host setting can turn
-- a walk into a sort of the whole queue or JIT-compile it), and pins search_path here. Snapshot
-- mode, which sorts by design, runs in annotate_internal.snapshot_candidates() with the
-- planner's stock settings instead.
ALTER FUNCTION annotate.next_url_for_annotation(integer, integer, integer, integer, integer, interval)
    SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate.next_url_for_anonymous_annotation(uuid, integer, integer, interval)
    SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate.next_annotation(integer, integer, integer, integer, interval)
    SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate.next_anonymous_annotation(uuid, integer, interval) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate.annotation_for_url(integer, integer) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate.release_claim(integer, integer, uuid) SET search_path = pg_catalog, pg_temp;

-- Everything else pins search_path (the SQL functions do in their definitions).
ALTER FUNCTION annotate.refresh(boolean) SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off;
ALTER FUNCTION annotate.status() SET search_path = pg_catalog, pg_temp SET jit = off;
ALTER FUNCTION annotate.last_timings() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate.timing_stats() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate.timing_histogram() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate.call_stats() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate.reset_timings() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate_internal.capture() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate_internal.capture_truncate() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate_internal.capture_insert() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate_internal.capture_delete() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate_internal.queue_written() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate_internal.wake_folder() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate_internal.wake_folder_at_commit() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate_internal.fold_now() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate_internal.request_planning() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate_internal.in_watch() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate_internal.watch_begin() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate_internal.watch_end(boolean) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate_internal.try_lock(integer, boolean) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate_internal.take_lock(integer, boolean) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION annotate_internal.refuse_planner_hazards(text) SET search_path = pg_catalog, pg_temp;

-- Nothing the extension runs is worth compiling: its statements are index lookups or one
-- pass over a table, and JIT compilation would cost more than any of them (SQL functions and
-- plpgsql included, the six inlined helpers aside: they take the calling function's).
DO $jit$
DECLARE
    f pg_catalog.regprocedure;
BEGIN
    FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
             WHERE p.pronamespace OPERATOR(pg_catalog.=) ANY (ARRAY['annotate'::pg_catalog.regnamespace,
                                                                    'annotate_internal'::pg_catalog.regnamespace])
               AND p.prolang OPERATOR(pg_catalog.<>) (SELECT l.oid FROM pg_catalog.pg_language l
                                                      WHERE l.lanname OPERATOR(pg_catalog.=) 'c')
               AND p.proconfig IS NOT NULL
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SET jit = off', f);
    END LOOP;
END
$jit$;

-- Statistics as views, pg_stat_statements style (README "Operations"): what monitoring scrapes.
CREATE VIEW annotate.timing_stats AS
    SELECT t.phase, t.calls, t.total_ms, t.mean_ms, t.min_ms, t.max_ms, t.p50_ms, t.p95_ms, t.p99_ms,
           c.stats_reset
    FROM annotate.timing_stats() t CROSS JOIN annotate.call_stats() c;
CREATE VIEW annotate.timing_histogram AS
    SELECT h.phase, h.le_seconds, h.calls FROM annotate.timing_histogram() h;
CREATE VIEW annotate.call_stats AS
    SELECT c.calls, c.empty_answers, c.lease_calls, c.urls_leased, c.lease_conflicts, c.stats_reset, c.scope
    FROM annotate.call_stats() c;
-- Every refresh() run, newest last (annotate.refresh_history_retention says for how long).
CREATE VIEW annotate.refresh_history AS
    SELECT r.id, r.started_at, r.finished_at, r.status, r.seconds, r.rows, r.steps, r.failed_step, r.sqlstate,
           r.message, r.run_by, r.application_name, r.concurrent
    FROM annotate_internal.refresh_log r;

-- verify() reads the extension's internal tables: it runs with the owner's rights and is for
-- operators (GRANT EXECUTE, as for refresh()).
ALTER FUNCTION annotate.verify() SECURITY DEFINER;

-- Privileges (SPEC 7, README "Privileges"). Schema annotate_internal and everything in it are
-- the owner's alone. In schema annotate, whoever is granted USAGE may call the read and lease
-- functions, which check the caller's own rights on the app's tables; maintenance is the
-- owner's until granted.
REVOKE ALL ON SCHEMA annotate_internal FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA annotate_internal FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA annotate_internal FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA annotate_internal FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION annotate.refresh(boolean), annotate.verify(), annotate.reconcile(), annotate.reset_timings(),
                           annotate.schedule_refresh(text), annotate.unschedule_refresh(),
                           annotate.attach(), annotate.detach(), annotate.status()
    FROM PUBLIC;
-- Monitoring: status() and the history (error messages, who ran what) are for operators and
-- pg_monitor; the statistics, which hold no data, are readable by anyone with USAGE.
REVOKE ALL ON annotate.refresh_history FROM PUBLIC;
GRANT SELECT ON annotate.timing_stats, annotate.timing_histogram, annotate.call_stats TO PUBLIC;
GRANT USAGE ON SCHEMA annotate TO pg_monitor;
GRANT EXECUTE ON FUNCTION annotate.status() TO pg_monitor;
GRANT SELECT ON annotate.refresh_history TO pg_monitor;

-- What each object is, for \df+ and \dx+.
COMMENT ON SCHEMA annotate_internal IS 'annotate_ext''s internal state; not part of its API';
COMMENT ON FUNCTION annotate.next_url_for_annotation(integer, integer, integer, integer, integer, interval) IS
    'The URLs a user may annotate next, in selection order (SPEC 3); claim_for leases them';
COMMENT ON FUNCTION annotate.next_url_for_anonymous_annotation(uuid, integer, integer, interval) IS
    'The URLs an anonymous session may annotate next, in selection order (SPEC 3.3); claim_for leases them';
COMMENT ON FUNCTION annotate.next_annotation(integer, integer, integer, integer, interval) IS
    'The whole response body of GET /annotate/all for a user, as jsonb (SPEC 4)';
COMMENT ON FUNCTION annotate.next_anonymous_annotation(uuid, integer, interval) IS
    'The whole response body for an anonymous session, as jsonb (SPEC 4)';
COMMENT ON FUNCTION annotate.annotation_for_url(integer, integer) IS
    'The response''s next_annotation object for one URL, without eligibility rules (review screens)';
COMMENT ON FUNCTION annotate.release_claim(integer, integer, uuid) IS
    'Ends the caller''s own lease on a URL early; true when a running lease was ended';
COMMENT ON FUNCTION annotate.refresh(boolean) IS
    'Refreshes the materialized views, folds pending writes into the queue, ends expired leases';
COMMENT ON FUNCTION annotate.verify() IS
    'Differences between the queue and a fresh computation from the app''s tables; empty when healthy';
COMMENT ON FUNCTION annotate.reconcile() IS
    'Makes the queue equal to a fresh computation from the app''s tables; the rows corrected';
COMMENT ON FUNCTION annotate.status() IS
    'For operators: attachment, queue and its health, refresh runs and schedule, timing scope, as jsonb';
COMMENT ON FUNCTION annotate.last_timings() IS 'Phases of this session''s last next_annotation call, in seconds';
COMMENT ON FUNCTION annotate.timing_stats() IS 'Per-phase statistics of next_annotation calls';
COMMENT ON FUNCTION annotate.reset_timings() IS 'Clears the statistics (timings and counters)';
COMMENT ON FUNCTION annotate.timing_histogram() IS
    'Cumulative next_annotation calls at or under each bound (le_seconds), per phase: Prometheus histogram buckets';
COMMENT ON FUNCTION annotate.call_stats() IS
    'Counters of selection calls: calls, empty answers, leasing calls, URLs leased, lease conflicts';
COMMENT ON VIEW annotate.timing_stats IS 'Per-phase statistics of next_annotation calls, with stats_reset';
COMMENT ON VIEW annotate.timing_histogram IS 'Histogram buckets of next_annotation phases, for Prometheus';
COMMENT ON VIEW annotate.call_stats IS 'Counters of selection calls, with stats_reset';
COMMENT ON VIEW annotate.refresh_history IS 'Every refresh() run: succeeded, failed (step, SQLSTATE, message) or skipped';
COMMENT ON FUNCTION annotate.attach() IS
    'Attaches annotate_ext to the app''s tables, or repairs a damaged attachment; one row per step';
COMMENT ON FUNCTION annotate.detach() IS
    'Removes annotate_ext''s objects from the app''s tables (before a migration); attach() undoes it';
COMMENT ON FUNCTION annotate.schedule_refresh(text) IS 'Schedules annotate.refresh() with pg_cron';
COMMENT ON FUNCTION annotate.unschedule_refresh() IS 'Removes the pg_cron job of schedule_refresh()';

-- A statement other than the extension's own that writes the queue voids resume points
-- (src/resume.rs).
CREATE TRIGGER annotate_queue_written
    BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON annotate_internal.queue
    FOR EACH STATEMENT EXECUTE FUNCTION annotate_internal.queue_written();

-- Attach now when the app's tables are here; otherwise say what is missing and what to do.
DO $attach$
DECLARE
    unmet text;
BEGIN
    SELECT pg_catalog.string_agg(u.problem, '; ') INTO unmet FROM annotate_internal.unmet_requirements() u;
    IF unmet IS NULL THEN
        PERFORM * FROM annotate.attach();
    ELSE
        RAISE WARNING 'annotate_ext is installed but not attached: %', unmet
            USING HINT = 'Once the application''s tables are in place, run SELECT annotate.attach(). '
                         '(A restore of a dump attaches by itself once the dump has been loaded.)';
    END IF;
END
$attach$;
