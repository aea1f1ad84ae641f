-- A transaction's writes are held in its backend, netted URL by URL, and appended to the
-- pending writes once, as it commits (src/held.rs); the transaction's own statements that read
-- the extension's tables see them all the same. Here: what is appended, what the transaction
-- sees, and savepoints, rebuilds and bulk loads inside such a transaction.
DROP DATABASE IF EXISTS annotate_t_held;
CREATE DATABASE annotate_t_held TEMPLATE annotate_fixture;
\c annotate_t_held

INSERT INTO public.batches (id, strategy, status) VALUES (1, 'manual', 'ready to label');
INSERT INTO public.urls (id, url, source) SELECT i, 'h.example/' || i, 'collector' FROM generate_series(1, 3000) i;
INSERT INTO public.link_batches__urls (batch_id, url_id) SELECT 1, i FROM generate_series(1, 3000) i;
INSERT INTO public.us_states (state_iso, state_name) VALUES ('PA', 'Pennsylvania');
CREATE EXTENSION annotate_ext;

CREATE VIEW q AS SELECT url_id, user_votes AS u, auto_votes AS r, agency_rows AS ag, validated AS v, suspended AS s
FROM annotate_internal.queue_now() WHERE present;
-- The pending rows this transaction appended, and the URL changes they stand for (read inside
-- it: a read of the extension's tables writes out what the transaction holds first).
CREATE VIEW mine AS
SELECT count(*) AS delta_rows, COALESCE(sum(1 + COALESCE(cardinality(more_urls), 0)), 0) AS url_changes
FROM annotate_internal.queue_delta WHERE xid = pg_current_xact_id();

-- A POST's four annotations of one URL are one row; a flag set and cleared on 100 URLs, a
-- robot vote made and taken back, are none.
BEGIN;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (10, 1, 'data source');
INSERT INTO public.annotation__record_type__user (url_id, user_id, record_type) VALUES (10, 1, 'Stops');
INSERT INTO public.annotation__agency__user (agency_id, url_id, user_id) VALUES (NULL, 10, 1);
INSERT INTO public.annotation__location__user (url_id, user_id, location_id) SELECT 10, 1, min(id) FROM public.locations;
INSERT INTO public.flag_url_suspended (url_id) SELECT i FROM generate_series(100, 199) i;
DELETE FROM public.flag_url_suspended WHERE url_id BETWEEN 100 AND 199;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (11, true);
DELETE FROM public.annotation__url_type__auto WHERE url_id = 11;
SELECT * FROM mine;
SELECT url_id, d_user, d_agency, done_user FROM annotate_internal.queue_delta WHERE xid = pg_current_xact_id();
COMMIT;
SELECT url_id, u, ag, s FROM q WHERE url_id IN (10, 11, 100, 199) ORDER BY url_id;
SELECT count(*) AS problems FROM annotate.verify();

-- The transaction's own calls see its writes: suspending the URL at the head of the order
-- takes it out of the next answer, inside the transaction.
SELECT url_id AS head FROM annotate.next_url_for_annotation(2) \gset
BEGIN;
INSERT INTO public.flag_url_suspended (url_id) VALUES (:head);
SELECT url_id <> :head AS head_passed_over FROM annotate.next_url_for_annotation(2);
ROLLBACK;
SELECT url_id = :head AS head_again FROM annotate.next_url_for_annotation(2);

-- Savepoints. A write of the transaction, written out inside a savepoint that rolls back (a
-- read there), is still appended once; the savepoint's own write is not.
BEGIN;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (20, true);
SAVEPOINT a;
INSERT INTO public.flag_url_suspended (url_id) VALUES (21);
SELECT * FROM mine;
ROLLBACK TO SAVEPOINT a;
SELECT * FROM mine;
-- Nested: written out inside b, released into a, which then rolls back.
INSERT INTO public.flag_url_validated (url_id, type) VALUES (22, 'data source');
SAVEPOINT a2;
INSERT INTO public.flag_url_suspended (url_id) VALUES (23);
SAVEPOINT b;
INSERT INTO public.flag_url_suspended (url_id) VALUES (24);
SELECT * FROM mine;
RELEASE SAVEPOINT b;
ROLLBACK TO SAVEPOINT a2;
-- Released savepoints keep their writes.
SAVEPOINT c;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (25, true);
RELEASE SAVEPOINT c;
COMMIT;
SELECT url_id, r, v, s FROM q WHERE url_id BETWEEN 20 AND 25 ORDER BY url_id;
SELECT count(*) AS problems FROM annotate.verify();

-- A rebuild inside the transaction (detach, attach) reads the app's tables, this transaction's
-- writes included: what it held from before is not appended on top. Writes after it are.
BEGIN;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (30, true);
SELECT annotate.detach();
SET LOCAL client_min_messages = warning;
SELECT step FROM annotate.attach() WHERE step = 'queue';
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (31, true);
COMMIT;
SELECT url_id, r FROM q WHERE url_id IN (30, 31) ORDER BY url_id;
SELECT count(*) AS problems FROM annotate.verify();
-- A TRUNCATE of the pending writes voids the writes held from before it, as it voids those
-- appended (its own doing: verify() finds the vote missing, reconcile() puts it back) ...
SELECT FROM annotate_internal.fold_now();
BEGIN;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (33, true);
TRUNCATE annotate_internal.queue_delta;
COMMIT;
SELECT * FROM annotate.verify();
SELECT annotate.reconcile() AS corrected;
SELECT count(*) AS problems FROM annotate.verify();
-- ... while one in a savepoint rolled back voids nothing, a read after it there included.
BEGIN;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (32, true);
SAVEPOINT t;
SET LOCAL client_min_messages = warning;
TRUNCATE annotate_internal.queue_delta;
SELECT count(*) AS pending FROM annotate_internal.queue_delta;
ROLLBACK TO SAVEPOINT t;
COMMIT;
SELECT url_id, r FROM q WHERE url_id = 32;
SELECT count(*) AS problems FROM annotate.verify();

-- A rewrite of the pending writes' table (CLUSTER, SET UNLOGGED and LOGGED) keeps what was
-- held, as it keeps what was appended; a COPY of the table sees it.
SELECT FROM annotate_internal.fold_now();
BEGIN;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (34, true);
CLUSTER annotate_internal.queue_delta USING queue_delta_xid;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (35, true);
ALTER TABLE annotate_internal.queue_delta SET UNLOGGED;
ALTER TABLE annotate_internal.queue_delta SET LOGGED;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (46, true);
COPY annotate_internal.queue_delta (url_id, d_auto) TO STDOUT;
COMMIT;
SELECT url_id, r FROM q WHERE url_id IN (34, 35, 46) ORDER BY url_id;
SELECT count(*) AS problems FROM annotate.verify();
-- A rebuild inside a savepoint that rolls back leaves the writes held from before it.
BEGIN;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (36, true);
SAVEPOINT s;
SELECT annotate.detach();
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (37, true);
SET LOCAL client_min_messages = warning;
SELECT step FROM annotate.attach() WHERE step = 'queue';
SELECT count(*) AS pending FROM annotate_internal.queue_delta;
ROLLBACK TO SAVEPOINT s;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (38, true);
COMMIT;
SELECT url_id, r FROM q WHERE url_id BETWEEN 36 AND 38 ORDER BY url_id;
SELECT count(*) AS problems FROM annotate.verify();

-- A cursor's statement sees this transaction's writes from before it was declared, and not
-- those after, wherever it reads the extension's tables (here through a function that is not
-- inlined, so its declaration writes out nothing) and whenever they are written out: the
-- writes of two statements are two rows, each with its statement's command id.
BEGIN;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (40, true);
DECLARE c CURSOR FOR SELECT url_id, auto_votes FROM annotate_internal.queue_now() WHERE url_id IN (40, 41) ORDER BY url_id;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (41, true);
FETCH ALL FROM c;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (42, true);
DECLARE d CURSOR FOR SELECT url_id, auto_votes FROM annotate_internal.queue_now() WHERE url_id IN (42, 43) ORDER BY url_id;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (43, true);
SELECT * FROM mine;
FETCH ALL FROM d;
COMMIT;
SELECT count(*) AS problems FROM annotate.verify();

-- A statement that runs in parallel workers writes out what is held first: they hold nothing,
-- and a function they run may read the extension's tables.
CREATE FUNCTION pending_rows(u integer) RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE
AS 'SELECT count(*) FROM annotate_internal.queue_delta d WHERE d.url_id = u';
BEGIN;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (45, true);
SET LOCAL force_parallel_mode = on;
SELECT pending_rows(45);
COMMIT;

-- Inside a savepoint, the writes held from before it and written out there no longer count
-- towards the 50,000 URLs held: the savepoint's own writes are held and netted.
BEGIN;
DO $$
BEGIN
    FOR k IN 1..125 LOOP
        INSERT INTO public.flag_url_suspended (url_id) SELECT i FROM generate_series(1001, 1200) i;
        DELETE FROM public.flag_url_suspended WHERE url_id BETWEEN 1001 AND 1200;
    END LOOP;
END $$;
SAVEPOINT many;
DO $$
BEGIN
    FOR k IN 1..500 LOOP
        INSERT INTO public.flag_url_suspended (url_id) VALUES (1);
        DELETE FROM public.flag_url_suspended WHERE url_id = 1;
    END LOOP;
END $$;
SELECT * FROM mine;
COMMIT;
SELECT count(*) AS problems FROM annotate.verify();

-- A bulk load holds a bounded number of URLs (50,000): past that, what is held is written
-- out and held anew, at the top level and inside a savepoint that then rolls back.
BEGIN;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) SELECT i, true FROM generate_series(1001, 3000) i;
DO $$
BEGIN
    FOR k IN 1..14 LOOP
        DELETE FROM public.annotation__url_type__auto WHERE url_id BETWEEN 1001 AND 3000;
        INSERT INTO public.annotation__url_type__auto (url_id, relevant) SELECT i, k % 2 = 0 FROM generate_series(1001, 3000) i;
    END LOOP;
END $$;
SAVEPOINT bulk;
DELETE FROM public.annotation__url_type__auto WHERE url_id BETWEEN 1001 AND 3000;
DO $$
BEGIN
    FOR k IN 1..14 LOOP
        INSERT INTO public.flag_url_suspended (url_id) SELECT i FROM generate_series(1001, 3000) i;
        DELETE FROM public.flag_url_suspended WHERE url_id BETWEEN 1001 AND 3000;
    END LOOP;
END $$;
INSERT INTO public.flag_url_suspended (url_id) SELECT i FROM generate_series(1001, 3000) i;
ROLLBACK TO SAVEPOINT bulk;
COMMIT;
SELECT count(*) FILTER (WHERE r = 1) AS robot_voted, count(*) FILTER (WHERE s) AS suspended
FROM q WHERE url_id BETWEEN 1001 AND 3000;
SELECT count(*) AS problems FROM annotate.verify();

\c postgres
DROP DATABASE annotate_t_held;
