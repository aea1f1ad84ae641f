-- The upstream PR's materialized views and annotate.refresh().
DROP DATABASE IF EXISTS annotate_t_views;
CREATE DATABASE annotate_t_views TEMPLATE annotate_fixture;
\c annotate_t_views
CREATE EXTENSION annotate_ext;

INSERT INTO public.urls (id, url, source) VALUES (1, 'a.example/1', 'collector'), (2, 'a.example/2', 'collector');
INSERT INTO public.anonymous_sessions (id) VALUES ('00000000-0000-0000-0000-00000000000a');
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (1, 7, 'data source');
INSERT INTO public.annotation__url_type__anon (url_id, url_type, session_id)
VALUES (2, 'meta url', '00000000-0000-0000-0000-00000000000a');
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (2, true);

-- The views were filled at CREATE EXTENSION time, before these rows: they are stale until refreshed.
SELECT count(*) AS rows_before_refresh FROM annotate.url_annotation_count_view;

-- refresh() reports one row per view and a total; seconds vary, so only rows are shown.
SELECT step, rows, seconds >= 0 AS timed FROM annotate.refresh();

-- Counts per URL: the anonymous vote is on URL 2, where it was cast.
SELECT url_id, user_url_type_count, anon_url_type_count, auto_url_type_count, total_anno_count
FROM annotate.url_annotation_count_view ORDER BY url_id;
SELECT url_id, has_user_relevant_suggestion, has_auto_relevant_suggestion, has_confirmed_agency
FROM annotate.url_annotation_flags ORDER BY url_id;

-- A plain (non-concurrent) refresh works too, and both are logged for status().
SELECT step, rows FROM annotate.refresh(concurrently => false);
SELECT concurrent FROM annotate.refresh_log ORDER BY id;
SELECT s->>'selection' AS selection, (s->'view_rows'->>'url_annotation_count_view')::int AS view_rows,
       s ? 'last_refresh' AS has_last_refresh, s->>'timing_scope' AS timing_scope
FROM annotate.status() s;
