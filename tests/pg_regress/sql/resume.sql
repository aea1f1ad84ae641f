-- Resume points (src/resume.rs): a caller's walk of the global order starts where its last
-- slow walk found its first URL, and adds what changed before that point since. Each way a URL
-- can come back before the point is performed here, and the answer compared with the same
-- call walking from the start (annotate.resume_after = -1).
DROP DATABASE IF EXISTS annotate_t_resume;
CREATE DATABASE annotate_t_resume TEMPLATE annotate_fixture;
\c annotate_t_resume
CREATE EXTENSION annotate_ext;
SET client_min_messages = warning;
INSERT INTO public.us_states (state_iso, state_name) VALUES ('PA', 'Pennsylvania');
INSERT INTO public.counties (fips, name, state_id) VALUES ('42003', 'Allegheny', 1);
INSERT INTO public.localities (name, county_id) VALUES ('Pittsburgh', 1);
INSERT INTO public.batches (id, strategy, status) VALUES (1, 'manual', 'ready to label');
INSERT INTO public.anonymous_sessions (id) VALUES ('00000000-0000-0000-0000-0000000000e1');
-- 40 URLs, no votes: the order is by id. User 1 annotated 1-20 but 8 (suspended) and 9-10
-- (annotated in another table); the anonymous session annotated 1-20.
INSERT INTO public.urls (id, url, source) SELECT i, 'r.example/' || i, 'collector' FROM generate_series(1, 40) i;
INSERT INTO public.link_batches__urls (batch_id, url_id) VALUES (1, 35);
INSERT INTO public.flag_url_suspended (url_id) VALUES (8);
INSERT INTO public.annotation__record_type__user (url_id, user_id, record_type)
SELECT i, 1, 'Stops' FROM generate_series(1, 20) i WHERE i NOT IN (8, 9, 10);
INSERT INTO public.annotation__location__user (url_id, user_id, location_id)
SELECT i, 1, (SELECT id FROM public.locations WHERE type = 'Locality') FROM generate_series(9, 10) i;
INSERT INTO public.annotation__record_type__anon (url_id, session_id, record_type)
SELECT i, '00000000-0000-0000-0000-0000000000e1', 'Stops' FROM generate_series(1, 20) i;
SELECT annotate_internal.fold_now() >= 0 AS folded;

-- The first 3 URLs for user 1 (or the session), with resume points kept after every walk
-- (resume_after 0) or not used at all (-1).
CREATE FUNCTION answer(u integer, resume boolean) RETURNS integer[] LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('annotate.resume_after', CASE WHEN resume THEN '0' ELSE '-1' END, true);
    RETURN ARRAY(SELECT url_id FROM annotate.next_url_for_annotation(u, max_urls => 3));
END $$;
CREATE FUNCTION anon_answer(resume boolean) RETURNS integer[] LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('annotate.resume_after', CASE WHEN resume THEN '0' ELSE '-1' END, true);
    RETURN ARRAY(SELECT url_id FROM annotate.next_url_for_anonymous_annotation(
                     '00000000-0000-0000-0000-0000000000e1', max_urls => 3));
END $$;

-- A first walk leaves a point at URL 21; the next starts there.
SELECT answer(1, true) AS first, answer(1, true) AS resumed, answer(1, false) AS reference;
SELECT anon_answer(true) AS first, anon_answer(true) AS resumed, anon_answer(false) AS reference;

-- The point is used: a write to the queue that nothing logs (its trigger disabled) moving URL
-- 30 ahead of the point is missed by the resumed walk. With the trigger, the same write voids
-- the point.
ALTER TABLE annotate_internal.queue DISABLE TRIGGER annotate_queue_written;
UPDATE annotate_internal.queue SET is_manual = true WHERE url_id = 30;
SELECT answer(1, true) AS resumed_blind, answer(1, false) AS reference;
UPDATE annotate_internal.queue SET is_manual = false WHERE url_id = 30;
ALTER TABLE annotate_internal.queue ENABLE TRIGGER annotate_queue_written;
SELECT answer(1, true) AS resumed, answer(1, false) AS reference;
UPDATE annotate_internal.queue SET is_manual = true WHERE url_id = 31;
SELECT answer(1, true) AS resumed_after_dba_update, answer(1, false) AS reference;
UPDATE annotate_internal.queue SET is_manual = false WHERE url_id = 31;
SELECT answer(1, true) AS resumed, answer(1, false) AS reference;

-- Another user's vote moves URL 32 to the head: pending, then folded.
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (32, 2, 'data source');
SELECT answer(1, true) AS resumed_pending, answer(1, false) AS reference;
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT answer(1, true) AS resumed_folded, answer(1, false) AS reference;
SELECT anon_answer(true) AS anon_resumed, anon_answer(false) AS reference;
-- User 1 annotates 32: the point moves past it.
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (32, 1, 'data source');
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT answer(1, true) AS resumed, answer(1, false) AS reference;

-- User 1 takes back an annotation that changes no count (URL 5, record type): pending, then
-- folded (a delta of nothing, logged).
DELETE FROM public.annotation__record_type__user WHERE url_id = 5 AND user_id = 1;
SELECT answer(1, true) AS resumed_pending, answer(1, false) AS reference;
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT answer(1, true) AS resumed_folded, answer(1, false) AS reference;
INSERT INTO public.annotation__record_type__user (url_id, user_id, record_type) VALUES (5, 1, 'Stops');
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT answer(1, true) AS resumed, answer(1, false) AS reference;

-- A URL before the point is unsuspended (8).
DELETE FROM public.flag_url_suspended WHERE url_id = 8;
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT answer(1, true) AS resumed_unsuspended, answer(1, false) AS reference;
INSERT INTO public.flag_url_suspended (url_id) VALUES (8);
SELECT annotate_internal.fold_now() >= 0 AS folded;

-- A new URL sorts before the point (id 0).
SELECT answer(1, true) AS resumed, answer(1, false) AS reference;
INSERT INTO public.urls (id, url, source) VALUES (0, 'r.example/0', 'collector');
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT answer(1, true) AS resumed_new_url, answer(1, false) AS reference;
INSERT INTO public.annotation__record_type__user (url_id, user_id, record_type) VALUES (0, 1, 'Stops');
SELECT annotate_internal.fold_now() >= 0 AS folded;

-- Someone follows a location linked to batch 1: its URL 35 moves to the head for everyone.
SELECT answer(1, true) AS resumed, answer(1, false) AS reference;
INSERT INTO public.link_batches__locations (batch_id, location_id)
SELECT 1, id FROM public.locations WHERE type = 'Locality';
INSERT INTO public.link__locations__user_follows (location_id, user_id)
SELECT id, 2 FROM public.locations WHERE type = 'Locality';
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT answer(1, true) AS resumed_followed, answer(1, false) AS reference;
DELETE FROM public.link__locations__user_follows;
SELECT annotate_internal.fold_now() >= 0 AS folded;

-- TRUNCATE of a table that only ends leases: user 1's annotations of 9 and 10 are gone, and no
-- queue row changes.
SELECT answer(1, true) AS resumed, answer(1, false) AS reference;
TRUNCATE public.annotation__location__user;
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT answer(1, true) AS resumed_truncated, answer(1, false) AS reference;

-- A transaction that wrote records no point: user 1 annotates 21-23 inside it (pending to it
-- alone, left out of its walk), walks, and rolls back; nothing will ever fold those writes.
INSERT INTO public.annotation__location__user (url_id, user_id, location_id)
SELECT i, 1, (SELECT id FROM public.locations WHERE type = 'Locality') FROM generate_series(9, 10) i;
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT answer(1, true) AS resumed, answer(1, false) AS reference;
BEGIN;
INSERT INTO public.annotation__record_type__user (url_id, user_id, record_type)
SELECT i, 1, 'Stops' FROM generate_series(21, 23) i;
SELECT answer(1, true) AS inside, answer(1, false) AS reference;
ROLLBACK;
SELECT answer(1, true) AS resumed_after_rollback, answer(1, false) AS reference;
