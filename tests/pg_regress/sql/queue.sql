-- The live queue: built at CREATE EXTENSION, kept exact by the capture triggers (each write
-- appends what it changed; the folder folds it in), checked by verify(). annotate_internal.
-- queue_now() shows the queue as a reader sees it, whether or not a write is folded yet.
DROP DATABASE IF EXISTS annotate_t_queue;
CREATE DATABASE annotate_t_queue TEMPLATE annotate_fixture;
\c annotate_t_queue

-- An app database that already has data when the extension arrives.
INSERT INTO public.us_states (state_iso, state_name) VALUES ('PA', 'Pennsylvania');
INSERT INTO public.counties (fips, name, state_id) VALUES ('42003', 'Allegheny', 1);
INSERT INTO public.localities (name, county_id) VALUES ('Pittsburgh', 1), ('Erie', 1);
INSERT INTO public.batches (id, strategy, status) VALUES (1, 'manual', 'ready to label'), (2, 'ckan', 'ready to label');
INSERT INTO public.anonymous_sessions (id) VALUES ('00000000-0000-0000-0000-0000000000a1');
INSERT INTO public.urls (id, url, source) SELECT i, 'q.example/' || i, 'collector' FROM generate_series(1, 5) i;
INSERT INTO public.link_batches__urls (batch_id, url_id) VALUES (1, 1), (1, 2), (2, 3);
INSERT INTO public.link_batches__locations (batch_id, location_id) VALUES (1, 3);
INSERT INTO public.link__locations__user_follows (location_id, user_id) VALUES (3, 50);
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (2, 7, 'data source'), (2, 8, 'meta url');
INSERT INTO public.flag_url_validated (url_id, type) VALUES (5, 'data source');

CREATE EXTENSION annotate_ext;
SELECT * FROM annotate_internal.queue_now() ORDER BY url_id;
SELECT count(*) AS problems FROM annotate.verify();

-- Each kind of write moves the queue with it; verify() stays empty after each.
CREATE VIEW q AS SELECT url_id, batch_id AS b, followed_any AS fa, is_manual AS m,
    user_votes AS u, anon_votes AS a, auto_votes AS r, agency_rows AS ag, validated AS v, suspended AS s
FROM annotate_internal.queue_now() WHERE present;

INSERT INTO public.urls (id, url, source) VALUES (6, 'q.example/6', 'manual');
UPDATE public.urls SET source = 'manual' WHERE id = 4;
INSERT INTO public.link_batches__urls (batch_id, url_id) VALUES (2, 6);
INSERT INTO public.annotation__url_type__anon (url_id, url_type, session_id) VALUES (3, 'meta url', '00000000-0000-0000-0000-0000000000a1');
INSERT INTO public.annotation__url_type__auto (url_id, relevant) SELECT i, true FROM generate_series(1, 4) i;
INSERT INTO public.flag_url_suspended (url_id) VALUES (4);
SELECT * FROM q ORDER BY url_id;
SELECT count(*) AS problems FROM annotate.verify();

-- Someone follows Erie, which batch 2 is linked to: batch 2's URLs become followed_any.
INSERT INTO public.link_batches__locations (batch_id, location_id) VALUES (2, 4);
SELECT url_id, b, fa FROM q WHERE b = 2 ORDER BY url_id;
INSERT INTO public.link__locations__user_follows (location_id, user_id) VALUES (4, 51);
SELECT url_id, b, fa FROM q WHERE b = 2 ORDER BY url_id;
DELETE FROM public.link__locations__user_follows WHERE user_id = 51;
UPDATE public.link_batches__locations SET batch_id = 2 WHERE batch_id = 1;
SELECT url_id, b, fa FROM q WHERE b IS NOT NULL ORDER BY url_id;
SELECT count(*) AS problems FROM annotate.verify();

-- Updates and deletes: a vote moved to another URL, a URL moved between batches, flags removed.
UPDATE public.annotation__url_type__user SET url_id = 3 WHERE user_id = 8;
UPDATE public.annotation__url_type__user SET type = 'not relevant' WHERE user_id = 7;  -- no count change
UPDATE public.link_batches__urls SET batch_id = 2 WHERE url_id = 1;
DELETE FROM public.flag_url_suspended;
DELETE FROM public.annotation__url_type__auto WHERE url_id IN (1, 2);
UPDATE public.flag_url_validated SET url_id = 4 WHERE url_id = 5;
SELECT * FROM q ORDER BY url_id;
SELECT count(*) AS problems FROM annotate.verify();

-- Deleting a URL cascades to its rows in the app and removes it from the queue.
DELETE FROM public.urls WHERE id = 2;
UPDATE public.urls SET id = 50 WHERE id = 5;
SELECT url_id FROM q ORDER BY url_id;
SELECT count(*) AS problems FROM annotate.verify();

-- Bulk writes run once per statement, over the transition table.
INSERT INTO public.urls (id, url, source) SELECT i, 'q.example/' || i, 'collector' FROM generate_series(100, 2099) i;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) SELECT i, i % 2 = 0 FROM generate_series(100, 2099) i;
INSERT INTO public.link_batches__urls (batch_id, url_id) SELECT 1 + i % 2, i FROM generate_series(100, 2099) i;
SELECT count(*) AS queued, sum(r) AS auto_votes, count(b) AS in_batches FROM q WHERE url_id >= 100;
-- Folding changes nothing a reader sees.
SELECT FROM annotate_internal.fold_now();
SELECT count(*) AS queued, sum(r) AS auto_votes, count(b) AS in_batches FROM q WHERE url_id >= 100;
SELECT count(*) AS problems FROM annotate.verify();

-- Inserts are captured once per statement from the inserted rows (annotate_capture_insert),
-- however they arrive. ON CONFLICT: only rows inserted count; rows updated instead go through
-- the row trigger; rows skipped change nothing.
INSERT INTO public.annotation__url_type__user (url_id, user_id, type)
SELECT i, 7, 'data source' FROM generate_series(100, 109) i;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type)
SELECT i, 7, 'data source' FROM generate_series(105, 114) i ON CONFLICT DO NOTHING;
INSERT INTO public.annotation__url_type__user AS a (url_id, user_id, type)
SELECT i, 7, 'meta url' FROM generate_series(110, 119) i
ON CONFLICT (user_id, url_id) DO UPDATE SET url_id = a.url_id + 1000;
SELECT count(*) FILTER (WHERE u = 1) AS one_vote, sum(u) AS user_votes FROM q WHERE url_id BETWEEN 100 AND 1119;
SELECT count(*) AS problems FROM annotate.verify();
-- A statement's rows with the same change are appended as one row for up to 400 URLs (read
-- inside the writing transaction: no fold sees them yet).
BEGIN;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) SELECT i, 9, 'data source' FROM generate_series(1200, 1649) i;
SELECT count(*) AS delta_rows, sum(1 + coalesce(cardinality(more_urls), 0)) AS url_changes,
       max(cardinality(more_urls)) AS most_more_urls
FROM annotate_internal.queue_delta WHERE xid = pg_current_xact_id();
COMMIT;
SELECT count(*) FILTER (WHERE u = 1) AS user_voted_1200_1649 FROM q WHERE url_id BETWEEN 1200 AND 1649;
SELECT count(*) AS problems FROM annotate.verify();
DELETE FROM public.annotation__url_type__user WHERE user_id = 9;
SELECT count(*) FILTER (WHERE u = 0) AS not_user_voted_1200_1649 FROM q WHERE url_id BETWEEN 1200 AND 1649;
SELECT count(*) AS problems FROM annotate.verify();
-- COPY, and a statement that inserts into two captured tables at once.
INSERT INTO public.urls (id, url, source) SELECT i, 'q.example/' || i, 'collector' FROM generate_series(4000, 4199) i;
COPY public.annotation__url_type__auto (url_id, relevant) FROM STDIN;
4000	true
4001	false
\.
WITH u AS (INSERT INTO public.urls (id, url, source) VALUES (3000, 'q.example/3000', 'manual'), (3001, 'q.example/3001', 'collector') RETURNING id)
INSERT INTO public.link_batches__urls (batch_id, url_id) SELECT 2, id FROM u;
SELECT url_id, b, m, r FROM q WHERE url_id IN (4000, 4001, 3000, 3001) ORDER BY url_id;
SELECT count(*) AS problems FROM annotate.verify();
-- MERGE: its inserted and its deleted rows through the two statement triggers.
MERGE INTO public.annotation__url_type__auto a USING (SELECT i FROM generate_series(4150, 4159) i) s
ON a.url_id = s.i WHEN NOT MATCHED THEN INSERT (url_id, relevant) VALUES (s.i, true);
MERGE INTO public.annotation__url_type__auto a USING (SELECT i FROM generate_series(4155, 4164) i) s
ON a.url_id = s.i WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT (url_id, relevant) VALUES (s.i, false);
SELECT count(*) FILTER (WHERE r = 1) AS robot_voted, string_agg(url_id::text, ',' ORDER BY url_id) FILTER (WHERE r = 0) AS not_voted
FROM q WHERE url_id BETWEEN 4150 AND 4164;
SELECT count(*) AS problems FROM annotate.verify();
-- An app trigger that reads the same inserted rows, before and after the extension's: each
-- sees them all (the extension reads them through a read pointer of its own).
CREATE TABLE public.seen (who text, n bigint);
CREATE FUNCTION public.count_inserted() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO public.seen SELECT TG_NAME, count(*) FROM inserted; RETURN NULL; END $$;
CREATE TRIGGER a_first AFTER INSERT ON public.annotation__url_type__auto REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION public.count_inserted();
CREATE TRIGGER z_last AFTER INSERT ON public.annotation__url_type__auto REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION public.count_inserted();
INSERT INTO public.annotation__url_type__auto (url_id, relevant) SELECT i, true FROM generate_series(4002, 4011) i;
SELECT * FROM public.seen ORDER BY who;
SELECT sum(r) AS auto_votes_4002_4011 FROM q WHERE url_id BETWEEN 4002 AND 4011;
DROP TRIGGER a_first ON public.annotation__url_type__auto;
DROP TRIGGER z_last ON public.annotation__url_type__auto;
-- An insert rolled back to a savepoint leaves nothing behind.
BEGIN;
SAVEPOINT s;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) SELECT i, true FROM generate_series(4012, 4100) i;
ROLLBACK TO SAVEPOINT s;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (4101, true);
COMMIT;
SELECT count(*) FILTER (WHERE r = 1) AS auto_voted_4012_4101 FROM q WHERE url_id BETWEEN 4012 AND 4101;
SELECT count(*) AS problems FROM annotate.verify();
-- Deletes are captured once per statement from the deleted rows (annotate_capture_delete),
-- beside an app trigger that reads them too, before and after the extension's: each sees them
-- all. A statement deleting from two captured tables at once, a delete rolled back to a
-- savepoint, and rows another statement of the transaction already deleted (nothing to count).
CREATE FUNCTION public.count_deleted() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO public.seen SELECT TG_NAME, count(*) FROM deleted; RETURN NULL; END $$;
CREATE TRIGGER a_first_delete AFTER DELETE ON public.annotation__url_type__auto REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION public.count_deleted();
CREATE TRIGGER z_last_delete AFTER DELETE ON public.annotation__url_type__auto REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION public.count_deleted();
TRUNCATE public.seen;
INSERT INTO public.flag_url_suspended (url_id) SELECT i FROM generate_series(4007, 4010) i;
DELETE FROM public.annotation__url_type__auto WHERE url_id BETWEEN 4002 AND 4006 RETURNING url_id;
SELECT * FROM public.seen ORDER BY who;
DROP TRIGGER a_first_delete ON public.annotation__url_type__auto;
DROP TRIGGER z_last_delete ON public.annotation__url_type__auto;
WITH a AS (DELETE FROM public.annotation__url_type__auto WHERE url_id BETWEEN 4007 AND 4008 RETURNING url_id)
DELETE FROM public.flag_url_suspended s USING a WHERE s.url_id = a.url_id OR s.url_id = 4009;
BEGIN;
SAVEPOINT s;
DELETE FROM public.annotation__url_type__auto WHERE url_id BETWEEN 4009 AND 4011;
ROLLBACK TO SAVEPOINT s;
DELETE FROM public.annotation__url_type__auto WHERE url_id = 4009;
DELETE FROM public.annotation__url_type__auto WHERE url_id BETWEEN 4009 AND 4010;
COMMIT;
SELECT string_agg(url_id::text, ',' ORDER BY url_id) FILTER (WHERE r = 0) AS not_robot_voted,
       count(*) FILTER (WHERE s) AS suspended
FROM q WHERE url_id BETWEEN 4002 AND 4011;
SELECT count(*) AS problems FROM annotate.verify();
SELECT FROM annotate_internal.fold_now();
SELECT string_agg(url_id::text, ',' ORDER BY url_id) FILTER (WHERE r = 0) AS not_robot_voted,
       count(*) FILTER (WHERE s) AS suspended
FROM q WHERE url_id BETWEEN 4002 AND 4011;
SELECT count(*) AS problems FROM annotate.verify();
-- Taken away again (deletes cascaded from urls, each cascade a statement of its own).
DROP TABLE public.seen;
DROP FUNCTION public.count_inserted();
DROP FUNCTION public.count_deleted();
DELETE FROM public.urls WHERE id >= 3000;
DELETE FROM public.annotation__url_type__user WHERE user_id = 7 AND url_id >= 100;
SELECT count(*) FILTER (WHERE url_id >= 3000) AS queued_3000_up, sum(u) FILTER (WHERE url_id BETWEEN 100 AND 1119) AS user_votes_100_1119 FROM q;
SELECT count(*) AS problems FROM annotate.verify();

-- TRUNCATE of a captured table moves the queue by what the table's rows contributed.
TRUNCATE public.annotation__url_type__auto;
SELECT sum(r) AS auto_votes FROM q;
SELECT count(*) AS problems FROM annotate.verify();
TRUNCATE public.link__locations__user_follows;
SELECT count(*) FILTER (WHERE fa) AS followed FROM q;
SELECT count(*) AS problems FROM annotate.verify();
-- TRUNCATE urls appends its deltas packed, up to 400 URLs with the same change a row, and takes
-- or writes no row of the queue: with writes not folded yet (a URL made, a vote and a URL
-- deleted in this transaction, which holds the fold lock: no fold but its own), and ids made
-- again after it, which come back as new URLs with no vote. Rolled back.
BEGIN;
SELECT FROM annotate_internal.take_lock(2, false);
INSERT INTO public.urls (id, url, source) VALUES (5002, 'q.example/5002', 'manual');
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (150, 8, 'data source');
DELETE FROM public.urls WHERE id = 151;
SELECT count(*) > 1000 AS queued FROM annotate_internal.queue;
TRUNCATE public.urls CASCADE;
SELECT (SELECT count(*) FROM annotate_internal.queue) > 1000 AS rows_untouched,
       (SELECT count(*) FROM annotate_internal.queue_delta) < 60 AS packed,
       (SELECT count(*) FROM annotate_internal.queue_now() WHERE present) AS present;
SELECT count(*) AS problems FROM annotate.verify();
INSERT INTO public.urls (id, url, source) VALUES (5003, 'q.example/5003', 'collector'), (150, 'q.example/150', 'collector'),
    (151, 'q.example/151', 'collector');
SELECT url_id, user_url_type_count FROM annotate.next_url_for_annotation(1, max_urls => 5);
SELECT FROM annotate_internal.fold_now();
SELECT url_id, user_votes FROM annotate_internal.queue ORDER BY url_id;
SELECT count(*) AS problems FROM annotate.verify();
ROLLBACK;
SELECT count(*) AS problems FROM annotate.verify();
-- A count past what a pending write's smallint holds (a URL with 42,000 anonymous votes) is
-- taken away in several rows: the TRUNCATE failed with "smallint out of range". Rolled back.
BEGIN;
SELECT FROM annotate_internal.take_lock(2, false);
INSERT INTO public.anonymous_sessions (id) SELECT md5('many' || i)::uuid FROM generate_series(1, 7000) i;
INSERT INTO public.annotation__url_type__anon (url_id, url_type, session_id)
SELECT 160, t, md5('many' || i)::uuid FROM generate_series(1, 7000) i CROSS JOIN unnest(enum_range(NULL::public.url_type)) t;
SELECT FROM annotate_internal.fold_now();
SELECT anon_votes > 32767 AS beyond_smallint FROM annotate_internal.queue WHERE url_id = 160;
TRUNCATE public.annotation__url_type__anon;
SELECT a AS anon_votes FROM q WHERE url_id = 160;
SELECT count(*) AS problems FROM annotate.verify();
ROLLBACK;
-- A TRUNCATE of several tables in one statement, with writes to them not folded yet: each
-- table's trigger takes away what its rows count now, the writes of the tables truncated before
-- it (appended by their triggers) included. Rolled back.
BEGIN;
SELECT FROM annotate_internal.take_lock(2, false);
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (150, 8, 'data source'), (151, 8, 'data source');
INSERT INTO public.annotation__agency__user (agency_id, url_id, user_id) VALUES (NULL, 150, 8);
INSERT INTO public.flag_url_validated (url_id, type) VALUES (151, 'data source');
INSERT INTO public.flag_url_suspended (url_id) VALUES (152);
SELECT sum(u) > 0 AS user_votes, sum(ag) > 0 AS agency_rows, count(*) FILTER (WHERE v) > 0 AS validated,
       count(*) FILTER (WHERE s) > 0 AS suspended FROM q;
TRUNCATE public.annotation__url_type__user, public.annotation__agency__user, public.flag_url_validated,
         public.flag_url_suspended, public.annotation__url_type__anon;
SELECT sum(u) AS user_votes, sum(ag) AS agency_rows, count(*) FILTER (WHERE v) AS validated,
       count(*) FILTER (WHERE s) AS suspended, sum(a) AS anon_votes FROM q;
SELECT count(*) AS problems FROM annotate.verify();
SELECT FROM annotate_internal.fold_now();
SELECT count(*) AS problems FROM annotate.verify();
ROLLBACK;

-- A damaged queue shows in verify(), and reconcile() repairs it and says how many rows it
-- fixed. (A write under session_replication_role = replica is not one: the capture triggers
-- fire always.)
SELECT FROM annotate_internal.fold_now();
UPDATE annotate_internal.queue SET user_votes = 9 WHERE url_id = 3;
DELETE FROM annotate_internal.queue WHERE url_id = 4;
INSERT INTO annotate_internal.queue (url_id) VALUES (99999);
SET session_replication_role = replica;
INSERT INTO public.annotation__url_type__anon (url_id, url_type, session_id) VALUES (6, 'meta url', '00000000-0000-0000-0000-0000000000a1');
RESET session_replication_role;
SELECT * FROM annotate.verify();
SELECT annotate.reconcile() AS corrected;
SELECT count(*) AS problems FROM annotate.verify();

-- Selection in live mode reads the queue and what is not folded yet: a vote counts at once.
SELECT url_id, user_url_type_count FROM annotate.next_url_for_annotation(1, max_urls => 3);
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (101, 7, 'data source'), (101, 8, 'data source');
SELECT url_id, user_url_type_count FROM annotate.next_url_for_annotation(1, max_urls => 3);

-- The table of pending writes as its owner may change it: an index on an expression, a partial
-- index and a trigger added to it. The writes then go through SQL (the catalog insert path that
-- writes them otherwise evaluates no index expression or predicate and fires no trigger: a
-- crashed server, a wrong index, a trigger passed over), for bulk and single-row writes alike,
-- and the queue stays exact.
CREATE INDEX delta_url_plus ON annotate_internal.queue_delta ((url_id OPERATOR(pg_catalog.+) 0));
CREATE INDEX delta_auto ON annotate_internal.queue_delta (url_id) WHERE d_auto <> 0;
CREATE TABLE public.delta_rows (n int);
CREATE FUNCTION public.delta_row() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO public.delta_rows VALUES (1); RETURN NULL; END $$;
CREATE TRIGGER delta_row AFTER INSERT ON annotate_internal.queue_delta FOR EACH ROW EXECUTE FUNCTION public.delta_row();
BEGIN;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) SELECT i, true FROM generate_series(200, 299) i;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (300, 9, 'data source');
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM annotate_internal.queue_delta WHERE url_id OPERATOR(pg_catalog.+) 0 BETWEEN 200 AND 300;
EXPLAIN (COSTS OFF) SELECT count(*) FROM annotate_internal.queue_delta WHERE d_auto <> 0 AND url_id BETWEEN 200 AND 300;
SELECT count(*) AS through_expression FROM annotate_internal.queue_delta WHERE url_id OPERATOR(pg_catalog.+) 0 BETWEEN 200 AND 300;
SELECT count(*) AS through_partial FROM annotate_internal.queue_delta WHERE d_auto <> 0 AND url_id BETWEEN 200 AND 300;
SELECT count(*) AS trigger_fired FROM public.delta_rows;
COMMIT;
SELECT FROM annotate_internal.fold_now();
SELECT count(*) AS problems FROM annotate.verify();
DROP TRIGGER delta_row ON annotate_internal.queue_delta;
DROP INDEX annotate_internal.delta_url_plus, annotate_internal.delta_auto;
DROP TABLE public.delta_rows;
DROP FUNCTION public.delta_row();
-- And back on the catalog insert path once they are gone.
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (301, 9, 'data source');
SELECT FROM annotate_internal.fold_now();
SELECT count(*) AS problems FROM annotate.verify();

-- Writes that cancel out are folded without rewriting the URL's row (a flag set and cleared, a
-- robot vote made and taken back, each in one transaction); a vote made and taken back by the
-- holder of a lease, in one transaction too, still ends the lease (as any write of the holder
-- does). Waits until the writes are folded (by fold_now() or by the folder, whichever runs).
CREATE TEMP TABLE before AS SELECT url_id, xmin::text AS version FROM annotate_internal.queue WHERE url_id IN (400, 401);
SELECT url_id FROM annotate.next_url_for_annotation(21, url_id => 402, claim_for => '1 hour');
BEGIN;
INSERT INTO public.flag_url_suspended (url_id) VALUES (400);
DELETE FROM public.flag_url_suspended WHERE url_id = 400;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (401, true);
DELETE FROM public.annotation__url_type__auto WHERE url_id = 401;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (402, 21, 'data source');
DELETE FROM public.annotation__url_type__user WHERE url_id = 402 AND user_id = 21;
COMMIT;
DO $$
BEGIN
    FOR i IN 1..100 LOOP
        PERFORM annotate_internal.fold_now();
        EXIT WHEN NOT EXISTS (SELECT 1 FROM annotate_internal.queue_delta WHERE url_id IN (400, 401, 402));
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
SELECT count(*) AS pending_deltas FROM annotate_internal.queue_delta WHERE url_id IN (400, 401, 402);
SELECT b.url_id, q.xmin::text = b.version AS row_untouched
FROM before b JOIN annotate_internal.queue q USING (url_id) ORDER BY 1;
SELECT leased FROM annotate_internal.queue WHERE url_id = 402;
SELECT count(*) AS problems FROM annotate.verify();
