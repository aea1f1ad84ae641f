-- The app's migrations (SPEC 7): no app write ever fails because of the extension; a change
-- to what it reads is followed, or refused at DDL time with the way through; what it made on
-- the app's tables is watched: a loss shows in verify() and attach() repairs it.
DROP DATABASE IF EXISTS annotate_t_migrations;
CREATE DATABASE annotate_t_migrations TEMPLATE annotate_fixture;
\c annotate_t_migrations
CREATE EXTENSION annotate_ext;
INSERT INTO public.batches (id, strategy, status) VALUES (1, 'manual', 'ready to label');
INSERT INTO public.urls (id, url, source) SELECT i, 'm.example/' || i, 'collector' FROM generate_series(1, 5) i;
INSERT INTO public.link_batches__urls (batch_id, url_id) VALUES (1, 1), (1, 2);
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (2, 7, 'data source');

-- Renaming a column the extension reads is refused, naming it and the way through; the app's
-- writes go on working.
ALTER TABLE public.urls RENAME COLUMN source TO origin;
ALTER TABLE public.annotation__url_type__user RENAME COLUMN url_id TO page_id;
INSERT INTO public.urls (id, url, source) VALUES (6, 'm.example/6', 'manual');
UPDATE public.urls SET name = 'x' WHERE id = 1;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (3, 7, 'meta url');
-- Renaming or dropping what it does not read is no business of the extension's.
ALTER TABLE public.urls RENAME COLUMN name TO title;
ALTER TABLE public.urls ADD COLUMN language text;
ALTER TABLE public.urls DROP COLUMN language;
-- A table it reads cannot be dropped or renamed, even with CASCADE (which in 0.2.0 dropped the
-- whole extension through a view).
DROP TABLE public.reviewing_user_url CASCADE;
ALTER TABLE public.reviewing_user_url RENAME TO reviews;
-- Nor moved to another schema, or its schema renamed: the capture, which checks the table it
-- fires on, failed every write to a table moved so.
CREATE SCHEMA elsewhere;
ALTER TABLE public.annotation__url_type__user SET SCHEMA elsewhere;
ALTER SCHEMA public RENAME TO app;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (4, 7, 'meta url');
DELETE FROM public.annotation__url_type__user WHERE url_id = 4 AND user_id = 7;
-- Nor can the one view it reads be moved out of public.
ALTER VIEW public.locations_expanded SET SCHEMA elsewhere;
-- Nor can the source value it reads as manual be renamed; a new value can be added.
ALTER TYPE public.url_source RENAME VALUE 'manual' TO 'by_hand';
ALTER TYPE public.url_source ADD VALUE 'imported';
-- Moving a table it does not read is no business of the extension's, nor is other schemas' DDL
-- while something it reads is missing (that only refuses DDL in public).
CREATE TABLE public.scratch (n int);
ALTER TABLE public.scratch SET SCHEMA elsewhere;
ALTER EVENT TRIGGER annotate_ddl_end DISABLE; ALTER EVENT TRIGGER annotate_sql_drop DISABLE;
ALTER TABLE public.reviewing_user_url RENAME TO reviews;
ALTER EVENT TRIGGER annotate_ddl_end ENABLE ALWAYS; ALTER EVENT TRIGGER annotate_sql_drop ENABLE ALWAYS;
ALTER TABLE elsewhere.scratch ADD COLUMN m int;
ALTER SCHEMA elsewhere RENAME TO elsewhere2;
ALTER TABLE public.urls ADD COLUMN language text;
ALTER EVENT TRIGGER annotate_ddl_end DISABLE; ALTER EVENT TRIGGER annotate_sql_drop DISABLE;
ALTER TABLE public.reviews RENAME TO reviewing_user_url;
ALTER EVENT TRIGGER annotate_ddl_end ENABLE ALWAYS; ALTER EVENT TRIGGER annotate_sql_drop ENABLE ALWAYS;
DROP SCHEMA elsewhere2 CASCADE;
-- Nor can what it made on the app's tables be dropped by hand (Alembic's autogenerate would
-- propose it); the hint names the filter.
DROP INDEX public.annotate_agency_user_url_id;
DROP TRIGGER annotate_capture ON public.urls;
SELECT count(*) AS problems FROM annotate.verify();
-- The same under quote_all_identifiers = on (the dropped objects' identities then have every
-- name quoted, and the guard let these drops through).
SET quote_all_identifiers = on;
DROP INDEX public.annotate_agency_user_url_id;
DROP TRIGGER annotate_capture ON public.urls;
DROP MATERIALIZED VIEW annotate.url_annotation_flags;
RESET quote_all_identifiers;
SELECT count(*) AS problems FROM annotate.verify();

-- A change PostgreSQL follows by itself is followed: an id retyped to bigint rebuilds the
-- indexes on it, which are tied to the extension again.
ALTER TABLE public.link__locations__user_follows ALTER COLUMN user_id TYPE bigint;
ALTER TABLE public.annotation__agency__user ALTER COLUMN user_id TYPE bigint;
ALTER TABLE public.link_batches__urls ALTER COLUMN batch_id TYPE bigint;
SELECT * FROM annotate.verify();
INSERT INTO public.annotation__agency__user (agency_id, url_id, user_id) SELECT NULL, 4, 8;
SELECT url_id FROM annotate.next_url_for_annotation(8, max_urls => 10);
-- Deletes from the retyped tables are read from their deleted rows as bigint too.
DELETE FROM public.link_batches__urls WHERE url_id = (SELECT min(url_id) FROM public.link_batches__urls);
DELETE FROM public.annotation__agency__user WHERE url_id = 4 AND user_id = 8;
SELECT count(*) AS problems FROM annotate.verify();
SELECT count(*) AS url_4_for_user_8 FROM annotate.next_url_for_annotation(8, max_urls => 10) WHERE url_id = 4;
-- A user_id retyped to bigint may hold ids beyond the API's integer: an annotation by such a
-- user counts, and the write does not fail (it did: "user_id is beyond the queue's integer
-- range"); so does taking it back.
INSERT INTO public.annotation__agency__user (agency_id, url_id, user_id) VALUES (NULL, 5, 3000000000);
SELECT agency_rows FROM annotate_internal.queue_now() WHERE url_id = 5;
SELECT count(*) AS problems FROM annotate.verify();
DELETE FROM public.annotation__agency__user WHERE user_id = 3000000000;
SELECT count(*) AS problems FROM annotate.verify();
-- A type the extension cannot read is refused.
ALTER TABLE public.annotation__url_type__user ALTER COLUMN type TYPE integer USING 0;

-- The documented way through a migration that changes what it reads: detach, migrate, attach.
SELECT annotate.detach() AS detached;
SELECT * FROM annotate.next_url_for_annotation(1);
ALTER TABLE public.urls RENAME COLUMN source TO origin;
INSERT INTO public.urls (id, url, origin) VALUES (7, 'm.example/7', 'collector');
-- attach() says what is still missing ...
SELECT * FROM annotate.attach();
-- ... or what it will not read: a view in place of a table it reads with its owner's rights
-- (which would run what the view calls with them).
ALTER TABLE public.annotation__record_type__user RENAME TO record_type_user_table;
CREATE VIEW public.annotation__record_type__user AS SELECT * FROM public.record_type_user_table;
SELECT * FROM annotate.attach();
DROP VIEW public.annotation__record_type__user;
ALTER TABLE public.record_type_user_table RENAME TO annotation__record_type__user;
-- ... and attaches once the app is as the extension needs it again.
ALTER TABLE public.urls RENAME COLUMN origin TO source;
SET client_min_messages = warning;
SELECT step, rows FROM annotate.attach();
RESET client_min_messages;
SELECT count(*) AS problems FROM annotate.verify();
SELECT url_id FROM annotate.next_url_for_annotation(1, max_urls => 3);

-- Objects that watch themselves: a trigger disabled, or a trigger and an index dropped where
-- the DDL watch does not look (its event triggers disabled by a superuser),
-- show in verify() and status(), writes made meanwhile included, and attach() repairs them.
ALTER TABLE public.flag_url_suspended DISABLE TRIGGER annotate_capture_insert;
INSERT INTO public.flag_url_suspended (url_id) VALUES (1);
-- Enabled for replication only, a trigger does not fire for the app's writes: reported and
-- repaired as a disabled one (it went unnoticed). Enabled ALWAYS it fires for them too: fine.
ALTER TABLE public.annotation__url_type__auto ENABLE REPLICA TRIGGER annotate_capture_insert;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (3, true);
ALTER TABLE public.flag_url_validated ENABLE ALWAYS TRIGGER annotate_capture_insert;
INSERT INTO public.flag_url_validated (url_id, type) VALUES (5, 'data source');
ALTER EVENT TRIGGER annotate_ddl_end DISABLE; ALTER EVENT TRIGGER annotate_sql_drop DISABLE;
DROP TRIGGER annotate_capture ON public.annotation__url_type__anon;
DROP TRIGGER annotate_capture_delete ON public.annotation__url_type__user;
DROP INDEX public.annotate_user_follows_user_id;
ALTER EVENT TRIGGER annotate_ddl_end ENABLE ALWAYS; ALTER EVENT TRIGGER annotate_sql_drop ENABLE ALWAYS;
SELECT * FROM annotate.verify();
SELECT jsonb_array_length(annotate.status()->'objects') AS status_reports;
SET client_min_messages = warning;
SELECT step, rows FROM annotate.attach();
RESET client_min_messages;
SELECT count(*) AS problems FROM annotate.verify();
SELECT annotate.status()->'objects' AS status_reports;

-- Running leases survive a rebuild of the queue (attach() repairing a disabled trigger) and a
-- detach()/attach() cycle: they were dropped, and their URLs went to other callers.
SELECT url_id AS leased_url FROM annotate.next_url_for_annotation(41, claim_for => '1 hour') \gset
ALTER TABLE public.urls DISABLE TRIGGER annotate_capture;
SET client_min_messages = warning;
SELECT step FROM annotate.attach() WHERE step = 'queue';
RESET client_min_messages;
SELECT lease_user AS leased_to_after_rebuild FROM annotate_internal.queue WHERE url_id = :leased_url;
SELECT count(*) AS another_caller_got_it FROM annotate.next_url_for_annotation(42, max_urls => 10, claim_for => '1 hour')
WHERE url_id = :leased_url;
SELECT annotate.detach() AS detached;
SET client_min_messages = warning;
SELECT step FROM annotate.attach() WHERE step = 'queue';
RESET client_min_messages;
SELECT lease_user AS leased_to_after_detach_attach FROM annotate_internal.queue WHERE url_id = :leased_url;
SELECT count(*) AS kept_afterwards FROM annotate_internal.kept_leases;
-- ... but not one whose holder annotated the URL meanwhile (with the capture trigger off here):
-- its fold would have ended it.
SELECT count(*) AS released FROM annotate_internal.queue q, annotate.release_claim(q.url_id, user_id => 42) r
WHERE q.lease_user = 42 AND r;
SELECT url_id AS annotated_url FROM annotate.next_url_for_annotation(43, claim_for => '1 hour') \gset
ALTER TABLE public.annotation__url_type__user DISABLE TRIGGER annotate_capture_insert;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (:annotated_url, 43, 'data source');
SET client_min_messages = warning;
SELECT step FROM annotate.attach() WHERE step = 'queue';
RESET client_min_messages;
SELECT leased AS still_leased_after_annotating FROM annotate_internal.queue WHERE url_id = :annotated_url;
SELECT count(*) AS problems FROM annotate.verify();

-- Writes while a capture trigger is disabled (a bulk load, pg_restore --disable-triggers), then
-- enabled again: they were missed for good, and status() said nothing. Disabling it now owes a
-- reconcile(), which the folder makes once every capture trigger fires again.
ALTER TABLE public.flag_url_suspended DISABLE TRIGGER ALL;
INSERT INTO public.flag_url_suspended (url_id) VALUES (2);
SELECT (annotate.status()->>'reconcile_owed')::boolean AS owed_while_disabled,
       annotate_internal.reconcile_owed() IS NULL AS not_reconciled_while_disabled;
ALTER TABLE public.flag_url_suspended ENABLE TRIGGER ALL;
DO $$
BEGIN
    FOR i IN 1..100 LOOP
        EXIT WHEN NOT (annotate.status()->>'reconcile_owed')::boolean;
        PERFORM pg_catalog.pg_sleep(0.1);
    END LOOP;
END $$;
SELECT (annotate.status()->>'reconcile_owed')::boolean AS owed_after_the_folder;
SELECT count(*) AS problems FROM annotate.verify();
SELECT suspended FROM annotate_internal.queue WHERE url_id = 2;

-- A table it reads, rewritten with new values by its owner (ALTER COLUMN ... TYPE ... USING
-- fires no trigger): every URL made manual here, and the queue kept the old sources for good,
-- nothing owed. The rewrite now owes a reconcile(), which the folder makes after the commit.
DROP VIEW public.unvalidated_url_view;   -- the app's, on urls.source
ALTER TABLE public.urls ALTER COLUMN source TYPE public.url_source USING 'manual'::public.url_source;
SELECT (annotate.status()->>'reconcile_owed')::boolean AS owed_after_the_rewrite;
DO $$
BEGIN
    FOR i IN 1..100 LOOP
        EXIT WHEN NOT (annotate.status()->>'reconcile_owed')::boolean;
        PERFORM pg_catalog.pg_sleep(0.1);
    END LOOP;
END $$;
SELECT count(*) AS problems FROM annotate.verify();
SELECT count(*) FILTER (WHERE NOT is_manual) AS not_manual FROM annotate_internal.queue;

-- An inheritance child of a table it reads, in any schema: the app reads its rows with the
-- parent's, and no capture trigger sees them (a URL inserted there was missing from the queue
-- for good). Refused, as CREATE TABLE and as ALTER TABLE ... INHERIT.
CREATE SCHEMA annotate_t_other;
CREATE TABLE annotate_t_other.urls_child () INHERITS (public.urls);
CREATE TABLE annotate_t_other.loose (LIKE public.urls);
ALTER TABLE annotate_t_other.loose INHERIT public.urls;
DROP SCHEMA annotate_t_other CASCADE;

-- Writes under session_replication_role = replica (a role's or database's default, a logical
-- replica's apply worker, a bulk load skipping foreign keys) fired no capture trigger, and the
-- queue missed them without a sign: the capture triggers fire always.
SELECT count(*) FILTER (WHERE g.tgenabled <> 'A') AS not_always, count(*) AS capture_triggers
FROM pg_trigger g WHERE g.tgname LIKE 'annotate\_capture%';
SET session_replication_role = replica;
INSERT INTO public.flag_url_suspended (url_id) VALUES (5);
RESET session_replication_role;
SELECT count(*) AS problems FROM annotate.verify();
-- ENABLE TRIGGER makes one fire for origin sessions only: the watch sets it back to always.
ALTER TABLE public.flag_url_suspended ENABLE TRIGGER annotate_capture_insert;
SELECT g.tgenabled FROM pg_trigger g
WHERE g.tgrelid = 'public.flag_url_suspended'::regclass AND g.tgname = 'annotate_capture_insert';
-- The same under the replica role, where the watch did not run (event triggers fire for origin
-- sessions only unless enabled always); and a rewrite there with new values owed no reconcile,
-- the queue left wrong for good (found by a review). The watch runs always now.
SET session_replication_role = replica;
ALTER TABLE public.flag_url_suspended ENABLE TRIGGER annotate_capture_insert;
SELECT g.tgenabled FROM pg_trigger g
WHERE g.tgrelid = 'public.flag_url_suspended'::regclass AND g.tgname = 'annotate_capture_insert';
ALTER TABLE public.flag_url_suspended ALTER COLUMN url_id TYPE integer USING 6 OPERATOR(pg_catalog.-) url_id;
RESET session_replication_role;
DO $$
BEGIN
    FOR i IN 1..100 LOOP
        EXIT WHEN NOT (annotate.status()->>'reconcile_owed')::boolean;
        PERFORM pg_catalog.pg_sleep(0.1);
    END LOOP;
END $$;
SELECT count(*) AS problems FROM annotate.verify();

-- A TEMP table named like an app table, which any role may make and alter: not watched (the
-- watch read the extension's state for it, and the share lock held up DROP EXTENSION until the
-- transaction ended).
BEGIN;
CREATE TEMP TABLE urls (id integer);
ALTER TABLE pg_temp.urls ADD COLUMN x integer;
SELECT count(*) AS locks_on_internal_tables
FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
WHERE l.pid = pg_backend_pid() AND c.relnamespace = 'annotate_internal'::regnamespace;
ROLLBACK;


-- A partitioned table where the extension reads one: its capture triggers would fire for the
-- partitions (every UPDATE failed), and attaching or detaching a partition changes the table
-- uncaptured. attach() refuses it, saying so.
SELECT count(*) > 0 AS detached FROM annotate.detach();
ALTER TABLE public.annotation__url_type__anon RENAME TO url_type_anon_plain;
CREATE TABLE public.annotation__url_type__anon (LIKE public.url_type_anon_plain) PARTITION BY LIST (url_type);
SELECT * FROM annotate.attach();
DROP TABLE public.annotation__url_type__anon;
ALTER TABLE public.url_type_anon_plain RENAME TO annotation__url_type__anon;
SET client_min_messages = warning;
SELECT count(*) > 0 AS attached FROM annotate.attach();
RESET client_min_messages;
SELECT count(*) AS problems FROM annotate.verify();
