-- Operations: refresh() history (successes, pruning), status() read-only and its parts, the
-- statistics views and who may read what. (Failed and skipped runs need a second session:
-- tests/isolation/specs/refresh_history.spec.)
DROP DATABASE IF EXISTS annotate_t_operations;
CREATE DATABASE annotate_t_operations TEMPLATE annotate_fixture;
\c annotate_t_operations
CREATE EXTENSION annotate_ext;
INSERT INTO public.batches (id, strategy, status) VALUES (1, 'manual', 'ready to label');
INSERT INTO public.urls (id, url, source) SELECT i, 'o.example/' || i, 'manual' FROM generate_series(1, 4) i;
INSERT INTO public.link_batches__urls (batch_id, url_id) VALUES (1, 1), (1, 2);
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (3, 1, 'data source');

-- A run is recorded with its steps, and its rows are the steps' rows.
SET client_min_messages = warning;
CREATE TEMP TABLE run AS SELECT * FROM annotate.refresh();
RESET client_min_messages;
SELECT h.status, h.failed_step, h.sqlstate, h.concurrent, h.run_by = session_user AS run_by_me,
       h.application_name = current_setting('application_name') AS from_this_client,
       h.rows = (SELECT rows FROM run WHERE step = 'total') AS rows_as_returned,
       (SELECT array_agg(s->>'step' ORDER BY o) FROM jsonb_array_elements(h.steps) WITH ORDINALITY e(s, o))
           = (SELECT array_agg(step) FROM (SELECT step FROM run WHERE step <> 'total') x) AS steps_as_returned,
       h.finished_at >= h.started_at AS ordered
FROM annotate.refresh_history h ORDER BY h.id DESC LIMIT 1;

-- Progress: each step is reported as it finishes.
SELECT count(*) AS steps FROM run WHERE step NOT IN ('history', 'total');

-- Pruning: runs older than annotate.refresh_history_retention go at the next refresh().
INSERT INTO annotate_internal.refresh_log (started_at, finished_at, status, concurrent, seconds, run_by)
VALUES (now() - interval '40 days', now() - interval '40 days', 'succeeded', true, 1, 'old'),
       (now() - interval '2 days', now() - interval '2 days', 'failed', true, 1, 'recent');
SET client_min_messages = warning;
SELECT rows AS pruned FROM annotate.refresh() WHERE step = 'history';
SELECT run_by FROM annotate.refresh_history WHERE run_by IN ('old', 'recent');
SET annotate.refresh_history_retention = '1d';
SELECT rows AS pruned FROM annotate.refresh() WHERE step = 'history';
SELECT count(*) AS older_than_a_day FROM annotate.refresh_history WHERE finished_at < now() - interval '1 day';
SET annotate.refresh_history_retention = -1;
UPDATE annotate_internal.refresh_log SET finished_at = now() - interval '10 years';
SELECT rows AS pruned FROM annotate.refresh() WHERE step = 'history';
RESET annotate.refresh_history_retention;
RESET client_min_messages;

-- status() reads only: in a read-only transaction, and without taking a transaction id.
BEGIN READ ONLY;
SELECT s ? 'refresh' AND s ? 'health' AND s ? 'cron' AND (s->>'attached')::boolean AS complete,
       s->'refresh'->'last_run'->>'status' AS last_run,
       s->'refresh'->'running_pid' AS running, s->>'standby' AS standby,
       s->'cron'->>'in_this_database' AS cron_here, s->'cron'->>'cron_database' AS cron_database
FROM annotate.status() s;
SELECT pg_current_xact_id_if_assigned() IS NULL AS no_transaction_id;
COMMIT;

-- The last verify() and reconcile() outcomes show in status(); verify() in a read-only
-- transaction still answers (and records nothing).
SELECT annotate.status()->'health'->>'last_verify' AS never_verified;
SELECT count(*) AS problems FROM annotate.verify();
SELECT (h->>'verify_problems')::int AS verify_problems, (h->>'last_verify')::timestamptz <= now() AS verified
FROM (SELECT annotate.status()->'health' AS h) x;
UPDATE annotate_internal.queue SET validated = NOT validated WHERE url_id = 4;   -- damage
BEGIN READ ONLY;
SELECT count(*) AS problems_seen_read_only FROM annotate.verify();
COMMIT;
SELECT (annotate.status()->'health'->>'verify_problems')::int AS still_recorded;
SELECT annotate.reconcile() AS fixed;
SELECT (h->>'reconcile_fixed')::int AS reconcile_fixed, (h->>'last_reconcile') IS NOT NULL AS reconciled
FROM (SELECT annotate.status()->'health' AS h) x;

-- Statistics as views. This cluster preloads the library: the counters are this database's,
-- and nothing else calls into it meanwhile.
SELECT annotate.reset_timings();
SELECT stats_reset > now() - interval '1 minute' AS reset_now, calls, empty_answers, scope FROM annotate.call_stats;
SELECT count(*) AS answers FROM annotate.next_url_for_annotation(1);
SELECT count(*) AS answers FROM annotate.next_url_for_annotation(1, batch_id => 1, max_urls => 5);
SELECT count(*) AS answers FROM annotate.next_url_for_annotation(1, url_id => 3);   -- annotated by 1: empty
SELECT count(*) AS answers FROM annotate.next_url_for_anonymous_annotation('00000000-0000-0000-0000-000000000001',
                                                                         claim_for => '1 minute', max_urls => 2);
SELECT annotate.next_annotation(2) IS NOT NULL AS answered;
SELECT calls, empty_answers, lease_calls, urls_leased, lease_conflicts FROM annotate.call_stats;
-- The histogram: cumulative, ending at infinity with every call, as timing_stats counts them.
SELECT phase, count(*) AS bounds, bool_and(calls <= (SELECT t.calls FROM annotate.timing_stats t WHERE t.phase = h.phase)) AS bounded,
       max(calls) FILTER (WHERE le_seconds = 'Infinity') = (SELECT t.calls FROM annotate.timing_stats t WHERE t.phase = h.phase) AS ends_with_every_call
FROM annotate.timing_histogram h GROUP BY phase ORDER BY phase;
SELECT bool_and(c >= p) AS cumulative
FROM (SELECT calls AS c, lag(calls) OVER (PARTITION BY phase ORDER BY le_seconds) AS p FROM annotate.timing_histogram) x
WHERE p IS NOT NULL;
SELECT phase, calls FROM annotate.timing_stats WHERE phase IN ('main_query', 'total');
SELECT (SELECT stats_reset FROM annotate.timing_stats LIMIT 1) = (SELECT stats_reset FROM annotate.call_stats) AS same_reset;

-- Who may read what: the statistics, anyone with USAGE on the schema; status() and the
-- history, pg_monitor and the roles an operator grants.
CREATE ROLE annotate_t_ops_app;
CREATE ROLE annotate_t_ops_monitor IN ROLE pg_monitor;
GRANT USAGE ON SCHEMA annotate TO annotate_t_ops_app;
SET ROLE annotate_t_ops_app;
SELECT count(*) > 0 AS reads_stats FROM annotate.timing_stats;
SELECT annotate.status();
SELECT count(*) FROM annotate.refresh_history;
SELECT annotate.reset_timings();
RESET ROLE;
SET ROLE annotate_t_ops_monitor;
SELECT (annotate.status()->>'attached')::boolean AS monitor_sees_status;
SELECT count(*) > 0 AS monitor_reads_history FROM annotate.refresh_history;
SELECT count(*) > 0 AS monitor_reads_histogram FROM annotate.timing_histogram;
RESET ROLE;
DROP OWNED BY annotate_t_ops_app;
DROP ROLE annotate_t_ops_app;
DROP ROLE annotate_t_ops_monitor;


-- A database of a legacy app may set standard_conforming_strings = off: every operation works
-- the same (attach()'s check of the capture triggers' arguments compared them with a literal
-- that setting read as a NUL byte, and attach(), refresh(), verify() and status() failed with
-- "invalid byte sequence for encoding").
SET standard_conforming_strings = off;
SELECT count(*) AS repairs FROM annotate.attach();
SELECT count(*) AS problems FROM annotate.verify();
SELECT (annotate.status()->>'attached')::boolean AS attached;
SET client_min_messages = warning;
SELECT count(*) > 0 AS refreshed FROM annotate.refresh() WHERE step = 'total';
RESET client_min_messages;
RESET standard_conforming_strings;

-- Under quote_all_identifiers = on, pg_get_indexdef() quotes every name: attach() read each of
-- its indexes as altered, and it (and so every refresh()) dropped and rebuilt all 13 on the
-- app's tables. And REFRESH ... CONCURRENTLY itself failed (it quotes the name of its temporary
-- table and appends a suffix after the quote: syntax error at or near "_2"): refresh() runs the
-- views' refreshes with it off, and leaves it as it found it.
SET quote_all_identifiers = on;
SELECT count(*) AS repairs_with_every_name_quoted FROM annotate.attach();
SELECT count(*) AS problems_with_every_name_quoted FROM annotate.verify();
SET client_min_messages = warning;
SELECT count(*) > 0 AS refreshed_concurrently FROM annotate.refresh() WHERE step = 'total';
RESET client_min_messages;
SHOW quote_all_identifiers;
RESET quote_all_identifiers;

-- A run's start is recorded as it was, whatever the session's DateStyle and TimeZone: in the SQL
-- style the time was written with a zone abbreviation, and India's (IST) read back as Israel's,
-- 3.5 hours off (a failed run's, read by the recorder under the database's settings, could
-- also swap day and month).
SET DateStyle = 'SQL, DMY';
SET TimeZone = 'Asia/Kolkata';
SET client_min_messages = warning;
SELECT count(*) > 0 AS refreshed FROM annotate.refresh() WHERE step = 'total';
RESET client_min_messages;
SELECT abs(extract(epoch FROM now() - h.started_at)) < 60 AS started_at_as_it_was
FROM annotate.refresh_history h ORDER BY h.id DESC LIMIT 1;
RESET TimeZone;
RESET DateStyle;
