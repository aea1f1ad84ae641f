-- Resume points (src/resume.rs): a caller's walk of the global order starts where an earlier
-- walk found its first URL, and adds what changed before that point since. Each way a URL
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
CREATE FUNCTION answer(u integer, resume boolean, batch integer DEFAULT NULL) RETURNS integer[] LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('annotate.resume_after', CASE WHEN resume THEN '0' ELSE '-1' END, true);
    RETURN ARRAY(SELECT url_id FROM annotate.next_url_for_annotation(u, batch, max_urls => 3));
END $$;
CREATE FUNCTION anon_answer(resume boolean) RETURNS integer[] LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('annotate.resume_after', CASE WHEN resume THEN '0' ELSE '-1' END, true);
    RETURN ARRAY(SELECT url_id FROM annotate.next_url_for_anonymous_annotation(
                     '00000000-0000-0000-0000-0000000000e1', max_urls => 3));
END $$;
-- Waits until no other transaction of this database that wrote is under way (the folder's
-- rounds among them): a point is recorded with a snapshot, and
-- a change to the queue committed after it by a transaction that was under way then voids
-- the point, as it should, which a check that the point is used must not meet.
CREATE FUNCTION quiet() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..3000 LOOP
        PERFORM pg_stat_clear_snapshot();
        IF NOT EXISTS (SELECT 1 FROM pg_stat_activity
                       WHERE datname = current_database() AND pid <> pg_backend_pid()
                         AND backend_xid IS NOT NULL) THEN
            RETURN true;
        END IF;
        PERFORM pg_sleep(0.01);
    END LOOP;
    RETURN false;   -- 30 s: the check below may fail for it
END $$;

-- A first walk leaves a point at URL 21; the next starts there.
SELECT quiet();
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

-- Found in review. A URL before the point that another caller holds and that changed since
-- comes back once, not twice (the leased range is walked whole, the changed URLs before the
-- point leave leased ones out): user 5 leases URL 6, user 1 takes back its annotation of it.
SELECT answer(1, true) AS resumed, answer(1, false) AS reference;
SELECT url_id AS leased FROM annotate.next_url_for_annotation(5, url_id => 6, claim_for => '1 hour');
DELETE FROM public.annotation__record_type__user WHERE url_id = 6 AND user_id = 1;
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT answer(1, true) AS resumed_leased, answer(1, false) AS reference;
INSERT INTO public.annotation__record_type__user (url_id, user_id, record_type) VALUES (6, 1, 'Stops');
SELECT annotate.release_claim(6, user_id => 5) AS released;
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT answer(1, true) AS resumed, answer(1, false) AS reference;

-- A READ COMMITTED transaction that wrote uses no point (each of its statements takes its own
-- snapshot): a write nothing logs shows inside it.
ALTER TABLE annotate_internal.queue DISABLE TRIGGER annotate_queue_written;
UPDATE annotate_internal.queue SET is_manual = true WHERE url_id = 30;
BEGIN;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (40, 9, 'data source');
SELECT answer(1, true) AS inside_a_writer, answer(1, false) AS reference;
ROLLBACK;
UPDATE annotate_internal.queue SET is_manual = false WHERE url_id = 30;
ALTER TABLE annotate_internal.queue ENABLE TRIGGER annotate_queue_written;

-- Writes that skip the triggers (made while a capture trigger was disabled) are repaired by
-- reconcile(), which voids every point: user 1's annotation of URL 7 taken back unseen.
SELECT answer(1, true) AS resumed, answer(1, false) AS reference;
BEGIN;
ALTER TABLE public.annotation__record_type__user DISABLE TRIGGER annotate_capture_delete;
DELETE FROM public.annotation__record_type__user WHERE url_id = 7 AND user_id = 1;
ALTER TABLE public.annotation__record_type__user ENABLE ALWAYS TRIGGER annotate_capture_delete;
COMMIT;
SELECT annotate.reconcile() >= 0 AS reconciled;
SELECT answer(1, true) AS resumed_reconciled, answer(1, false) AS reference;

-- Points inside a batch: user 3 follows the county linked to batch 2 (URLs 41-60) and annotated
-- 41-50 (44 in another table); its walks of batch 2, and its calls with batch 2 as a filter,
-- start where the last found its first URL.
INSERT INTO public.urls (id, url, source) SELECT i, 'r.example/' || i, 'collector' FROM generate_series(41, 60) i;
INSERT INTO public.batches (id, strategy, status) VALUES (2, 'manual', 'ready to label');
INSERT INTO public.link_batches__urls (batch_id, url_id) SELECT 2, i FROM generate_series(41, 60) i;
INSERT INTO public.link_batches__locations (batch_id, location_id) SELECT 2, id FROM public.locations WHERE type = 'County';
INSERT INTO public.link__locations__user_follows (location_id, user_id) SELECT id, 3 FROM public.locations WHERE type = 'County';
INSERT INTO public.annotation__record_type__user (url_id, user_id, record_type)
SELECT i, 3, 'Stops' FROM generate_series(41, 50) i WHERE i <> 44;
INSERT INTO public.annotation__location__user (url_id, user_id, location_id)
SELECT 44, 3, id FROM public.locations WHERE type = 'Locality';
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT quiet();
SELECT answer(3, true) AS first, answer(3, true) AS resumed, answer(3, false) AS reference;
SELECT answer(3, true, 2) AS filter_first, answer(3, true, 2) AS filter_resumed, answer(3, false, 2) AS reference;
-- Used: a write nothing logs moving URL 58 ahead of the point in batch 2 is missed.
ALTER TABLE annotate_internal.queue DISABLE TRIGGER annotate_queue_written;
UPDATE annotate_internal.queue SET is_manual = true WHERE url_id = 58;
SELECT answer(3, true) AS resumed_blind, answer(3, false) AS reference;
UPDATE annotate_internal.queue SET is_manual = false WHERE url_id = 58;
ALTER TABLE annotate_internal.queue ENABLE TRIGGER annotate_queue_written;
SELECT answer(3, true) AS resumed, answer(3, false) AS reference;
-- Another user's vote moves URL 55 to the head of batch 2; user 3 takes back 44; a new manual
-- URL joins batch 2; each pending, then folded.
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (55, 2, 'data source');
SELECT answer(3, true) AS resumed_pending, answer(3, false) AS reference;
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT answer(3, true) AS resumed_folded, answer(3, false) AS reference,
       answer(3, true, 2) AS filter_resumed, answer(3, false, 2) AS filter_reference;
DELETE FROM public.annotation__location__user WHERE url_id = 44 AND user_id = 3;
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT answer(3, true) AS resumed_taken_back, answer(3, false) AS reference;
INSERT INTO public.urls (id, url, source) VALUES (61, 'r.example/61', 'manual');
INSERT INTO public.link_batches__urls (batch_id, url_id) VALUES (2, 61);
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT answer(3, true) AS resumed_new_url, answer(3, false) AS reference,
       answer(3, true, 2) AS filter_resumed, answer(3, false, 2) AS filter_reference;
-- A URL leaves batch 2 and another joins it from batch 1 ahead of the point.
UPDATE public.link_batches__urls SET batch_id = 2 WHERE url_id = 35;
UPDATE public.annotation__url_type__user SET url_id = 35 WHERE url_id = 55 AND user_id = 2;
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT answer(3, true) AS resumed_moved, answer(3, false) AS reference;

-- Which walks keep a point by default (annotate.resume_after: 150 buffers touched beyond those
-- of the rows returned, src/resume.rs): one that passed over some 300 of the caller's own URLs
-- does; one that passed over none does not, however often it runs, nor does a backend's first
-- walk (it also loads caches). A database of its own, whose points only these callers keep.
DROP DATABASE IF EXISTS annotate_t_resume_rule;
CREATE DATABASE annotate_t_resume_rule TEMPLATE annotate_fixture;
\c annotate_t_resume_rule
CREATE EXTENSION annotate_ext;
SET client_min_messages = warning;
INSERT INTO public.urls (id, url, source) SELECT i, 'rule.example/' || i, 'collector' FROM generate_series(1, 400) i;
-- User 5 voted on URLs 1-300: each has a vote, so they come first, and user 5 passes them all.
INSERT INTO public.annotation__url_type__user (url_id, user_id, type)
SELECT i, 5, 'data source' FROM generate_series(1, 300) i;
SELECT annotate_internal.fold_now() >= 0 AS folded;
ANALYZE;
SHOW annotate.resume_after;
SELECT annotate.status()->'resume_points' AS points_before;
SELECT url_id FROM annotate.next_url_for_annotation(5);   -- the backend's first walk
SELECT annotate.status()->'resume_points' AS points_after_first_walk;
SELECT url_id FROM annotate.next_url_for_annotation(6);
SELECT url_id FROM annotate.next_url_for_annotation(6);
SELECT annotate.status()->'resume_points' AS points_after_passing_none;
SELECT url_id FROM annotate.next_url_for_annotation(5);
SELECT annotate.status()->'resume_points' AS points_after_passing_300;
SELECT url_id FROM annotate.next_url_for_annotation(5);   -- from the point: the same answer

-- A fold logs each URL it saw, or, past 1,000 of them, one row with no URL (which voids every
-- point from before it, as more than 1,000 URLs logged would): here 1,200 new URLs, then 5.
INSERT INTO public.urls (id, url, source) SELECT i, 'rule.example/' || i, 'collector' FROM generate_series(401, 1600) i;
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT count(*) AS logged, count(url_id) AS with_a_url FROM annotate_internal.queue_moved
WHERE xid = (SELECT max(xid) FROM annotate_internal.queue_moved);
INSERT INTO public.annotation__url_type__auto (url_id, relevant) SELECT i, true FROM generate_series(1596, 1600) i;
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT count(*) AS logged, count(url_id) AS with_a_url FROM annotate_internal.queue_moved
WHERE xid = (SELECT max(xid) FROM annotate_internal.queue_moved);
SELECT url_id AS after_the_large_fold FROM annotate.next_url_for_annotation(5);
