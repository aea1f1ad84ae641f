-- The upstream PR's materialized views and annotate.refresh().
DROP DATABASE IF EXISTS annotate_t_views;
CREATE DATABASE annotate_t_views TEMPLATE annotate_fixture;
\c annotate_t_views
CREATE EXTENSION annotate_ext;
-- refresh() reports each step as a NOTICE with its seconds, which vary from run to run.
SET client_min_messages = warning;

INSERT INTO public.urls (id, url, source) VALUES (1, 'a.example/1', 'collector'), (2, 'a.example/2', 'collector');
INSERT INTO public.anonymous_sessions (id) VALUES ('00000000-0000-0000-0000-00000000000a');
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (1, 7, 'data source');
INSERT INTO public.annotation__url_type__anon (url_id, url_type, session_id)
VALUES (2, 'meta url', '00000000-0000-0000-0000-00000000000a');
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (2, true);

-- The views were filled at CREATE EXTENSION time, before these rows: they are stale until refreshed.
SELECT count(*) AS rows_before_refresh FROM annotate.url_annotation_count_view;

-- refresh() reports one row per step; a view's rows are the rows it holds afterwards, and the
-- total adds up the steps. (Seconds vary and are not shown.)
CREATE TEMP TABLE r AS SELECT * FROM annotate.refresh();
SELECT step FROM r;
SELECT (SELECT rows FROM r WHERE step = 'url_annotation_count_view')
       = (SELECT count(*) FROM annotate.url_annotation_count_view) AS count_view_rows_match,
       (SELECT rows FROM r WHERE step = 'url_annotation_flags')
       = (SELECT count(*) FROM annotate.url_annotation_flags) AS flags_rows_match,
       (SELECT rows FROM r WHERE step = 'total') = (SELECT sum(rows) FROM r WHERE step <> 'total') AS total_adds_up,
       (SELECT seconds FROM r WHERE step = 'total') >= (SELECT max(seconds) FROM r WHERE step <> 'total') AS total_covers_steps;

-- Counts per URL: the anonymous vote is on URL 2, where it was cast.
SELECT url_id, user_url_type_count, anon_url_type_count, auto_url_type_count, total_anno_count
FROM annotate.url_annotation_count_view ORDER BY url_id;
SELECT url_id, has_user_relevant_suggestion, has_auto_relevant_suggestion, has_confirmed_agency
FROM annotate.url_annotation_flags ORDER BY url_id;

-- The queue step folds the writes made since the last fold; with nothing pending, none.
SELECT FROM annotate_internal.fold_now();
SELECT step, rows FROM annotate.refresh(concurrently => false) WHERE step IN ('queue', 'leases');
-- A plain (non-concurrent) refresh works too, and both are logged for status().
SELECT status, concurrent FROM annotate.refresh_history ORDER BY id;
SELECT s->>'selection' AS selection, (s->>'attached')::boolean AS attached,
       (s->>'last_refresh')::timestamptz = (SELECT max(finished_at) FROM annotate.refresh_history) AS shows_last_refresh,
       s->>'timing_scope' AS timing_scope
FROM annotate.status() s;
