-- Per-phase timing (SPEC 5). This cluster preloads annotate_ext, so statistics are kept per
-- database in shared memory: calls from every session of the database add up.
DROP DATABASE IF EXISTS annotate_t_timing;
CREATE DATABASE annotate_t_timing TEMPLATE annotate_fixture;
\c annotate_t_timing
CREATE EXTENSION annotate_ext;
INSERT INTO public.batches (id, strategy, status) VALUES (1, 'manual', 'ready to label');
INSERT INTO public.urls (id, url, source) VALUES (1, 'a.example', 'manual');
INSERT INTO public.link_batches__urls (batch_id, url_id) VALUES (1, 1);

SELECT annotate.status()->>'timing_scope' AS scope;
SELECT annotate.reset_timings();
SELECT count(*) AS last_before_any_call FROM annotate.last_timings();

-- A call with a batch runs every phase; last_timings() lists the seven, total covering the rest.
SELECT annotate.next_annotation(1, batch_id => 1) IS NOT NULL AS answered;
SELECT phase, seconds > 0 AS timed FROM annotate.last_timings();
SELECT bool_and(t.seconds >= p.seconds) AS total_covers_each_phase
FROM annotate.last_timings() p, annotate.last_timings() t WHERE t.phase = 'total' AND p.phase <> 'total';

-- Another session adds to the same statistics.
\c annotate_t_timing
SELECT count(*) AS last_in_new_session FROM annotate.last_timings();
SELECT annotate.next_annotation(1) IS NOT NULL AS answered;
SELECT annotate.next_annotation(2) IS NOT NULL AS answered;
-- Three calls so far: one with a batch (every phase), two without (no batch_info phase; the
-- call for user 2 found a URL too). Each phase counts the calls that ran it.
SELECT phase, calls, total_ms > 0 AS timed FROM annotate.timing_stats();

-- With annotate.track_timing off, nothing is recorded.
SET annotate.track_timing = off;
SELECT annotate.next_annotation(1) IS NOT NULL AS answered;
SELECT calls FROM annotate.timing_stats() WHERE phase = 'total';
RESET annotate.track_timing;

SELECT annotate.reset_timings();
SELECT sum(calls) AS calls_after_reset FROM annotate.timing_stats();

-- Another database's calls are its own: they were counted with every database's (any role with
-- USAGE on annotate saw them). Dropping it frees its statistics for the next database.
SELECT annotate.next_annotation(1) IS NOT NULL AS answered;
DROP DATABASE IF EXISTS annotate_t_timing2;
CREATE DATABASE annotate_t_timing2 TEMPLATE annotate_fixture;
\c annotate_t_timing2
CREATE EXTENSION annotate_ext;
SELECT calls, scope FROM annotate.call_stats;
SELECT count(*) AS answers FROM annotate.next_url_for_annotation(1);
SELECT count(*) AS answers FROM annotate.next_url_for_annotation(2);
SELECT calls FROM annotate.call_stats;
\c annotate_t_timing
SELECT calls, scope FROM annotate.call_stats;
SELECT calls FROM annotate.timing_stats() WHERE phase = 'total';
\c postgres
DROP DATABASE annotate_t_timing2;

