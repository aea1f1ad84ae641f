-- Claims (leases): claim_for hands each URL to one caller at a time.
DROP DATABASE IF EXISTS annotate_t_claims;
CREATE DATABASE annotate_t_claims TEMPLATE annotate_fixture;
\c annotate_t_claims
CREATE EXTENSION annotate_ext;
-- refresh() reports each step as a NOTICE with its seconds, which vary from run to run.
SET client_min_messages = warning;
INSERT INTO public.anonymous_sessions (id) VALUES ('00000000-0000-0000-0000-0000000000c1');
INSERT INTO public.urls (id, url, source) SELECT i, 'c.example/' || i, 'collector' FROM generate_series(1, 6) i;
-- The leases, as the queue holds them.
CREATE VIEW leases AS
SELECT url_id, lease_user AS user_id, lease_session AS session_id, lease_until AS expires_at
FROM annotate_internal.queue WHERE leased;

-- Without claim_for nothing is leased: two users get the same head.
SELECT (SELECT url_id FROM annotate.next_url_for_annotation(1)) AS user_1,
       (SELECT url_id FROM annotate.next_url_for_annotation(2)) AS user_2;
SELECT count(*) AS leases FROM leases;

-- With claim_for, the head goes to user 1; user 2 and an anonymous visitor get the next ones.
SELECT url_id AS user_1 FROM annotate.next_url_for_annotation(1, claim_for => '10 minutes');
SELECT url_id AS user_2 FROM annotate.next_url_for_annotation(2, claim_for => '10 minutes');
SELECT url_id AS anonymous FROM annotate.next_url_for_anonymous_annotation('00000000-0000-0000-0000-0000000000c1', claim_for => '10 minutes');
SELECT url_id, user_id, session_id IS NOT NULL AS anonymous, expires_at > now() + interval '9 minutes' AS live
FROM leases ORDER BY url_id;
-- Plain selection still sees leased URLs (SPEC 5: without claim_for, exactly section 3).
SELECT array_agg(url_id) AS plain FROM annotate.next_url_for_annotation(9, max_urls => 10);

-- Asking again (a page refresh) gives the same URL, and extends the lease.
UPDATE annotate_internal.queue SET lease_until = now() + interval '1 minute' WHERE lease_user = 1;
SELECT url_id AS user_1_again FROM annotate.next_url_for_annotation(1, claim_for => '10 minutes');
SELECT expires_at > now() + interval '9 minutes' AS extended FROM leases WHERE user_id = 1;

-- The whole response leases too; max_urls leases several.
SELECT annotate.next_annotation(3, claim_for => '10 minutes')->'next_annotation'->'url_info'->'url_id' AS user_3;
SELECT array_agg(url_id) AS user_4 FROM annotate.next_url_for_annotation(4, max_urls => 2, claim_for => '10 minutes');
SELECT count(*) AS nothing_left FROM annotate.next_url_for_annotation(5, claim_for => '10 minutes');

-- Leases end when released by their holder (only), when the holder annotates the URL, or when
-- they expire.
SELECT annotate.release_claim(1, user_id => 2) AS not_the_holders, annotate.release_claim(1, user_id => 1) AS released,
       annotate.release_claim(1, user_id => 1) AS again;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (2, 2, 'data source');
UPDATE annotate_internal.queue SET lease_until = now() - interval '1 second' WHERE lease_session IS NOT NULL;
SELECT array_agg(url_id) AS free_for_user_5 FROM annotate.next_url_for_annotation(5, max_urls => 6, claim_for => '10 minutes');

-- refresh() ends leases that ran out (and the folder does, between folds).
UPDATE annotate_internal.queue SET lease_until = now() - interval '1 second' WHERE lease_user = 5;
SELECT count(*) AS refreshed FROM annotate.refresh() WHERE step = 'leases';
SELECT url_id, user_id FROM leases WHERE user_id = 5;

-- skip passes over available URLs without leasing them.
UPDATE annotate_internal.queue SET leased = false, lease_user = NULL, lease_session = NULL, lease_until = NULL, lease_xid = NULL;
SELECT url_id FROM annotate.next_url_for_annotation(6, skip => 2, claim_for => '1 minute');
SELECT url_id, user_id FROM leases;

-- Bounds: claim_for is any positive interval up to annotate.max_lease; max_urls with claim_for
-- up to annotate.max_claim_urls; skip up to annotate.max_skip. Each error names the argument.
SELECT count(*) FROM annotate.next_url_for_annotation(7, claim_for => '1 day -1 hour');
SELECT * FROM annotate.next_url_for_annotation(1, claim_for => '-5 minutes');
SELECT * FROM annotate.next_url_for_annotation(1, claim_for => '0 seconds');
SELECT * FROM annotate.next_url_for_annotation(1, claim_for => '1 day 1 second');
SELECT * FROM annotate.next_url_for_annotation(1, claim_for => '300000 years');
-- Months and days that nearly cancel out at 30 days a month (about a day) lease for some 3,600
-- years in calendar months: the length checked is the calendar one.
SELECT * FROM annotate.next_url_for_annotation(1, claim_for => '3000000 mons -89999999 days');
-- On the day the session's time zone falls back from daylight saving time, '1 day' from now
-- runs 25 hours: it was refused over a max_lease of a day. A POSIX zone whose daylight saving
-- time ends at the coming midnight (Jn: the day of the year, February 29 not counted).
SELECT pg_catalog.format('XST0XDT,J1/0,J%s/0', LEAST(365, d.doy - CASE WHEN d.m > 2 AND d.leap THEN 1 ELSE 0 END + 1)) AS zone
FROM (SELECT extract(doy FROM n.t)::int AS doy, extract(month FROM n.t) AS m,
             make_date(extract(year FROM n.t)::int, 3, 1) - make_date(extract(year FROM n.t)::int, 2, 1) = 29 AS leap
      FROM (SELECT now() AT TIME ZONE 'UTC' AS t) n) d \gset
SET TimeZone = :'zone';
SELECT count(*) AS leased_for_a_day FROM annotate.next_url_for_annotation(9, claim_for => '1 day');
-- ... and the lease runs a day, not 25 hours: its end is computed in UTC too (the check was,
-- the end was not, and a zone falling back 100 hours gave any role a lease of 5 days).
SELECT max(lease_until - now()) <= interval '1 day' AS within_max_lease
FROM annotate_internal.queue WHERE leased AND lease_user = 9;
RESET TimeZone;
SELECT annotate.next_anonymous_annotation('00000000-0000-0000-0000-0000000000c1', claim_for => '-1 day');
SELECT * FROM annotate.next_url_for_annotation(1, max_urls => 101, claim_for => '1 minute');
SELECT * FROM annotate.next_url_for_annotation(1, max_urls => 2147483647);
SELECT * FROM annotate.next_url_for_annotation(1, skip => 2147483647);
SET annotate.max_urls = 5;   -- only a superuser may change the bounds
SELECT * FROM annotate.next_url_for_annotation(1, max_urls => 6);
RESET annotate.max_urls;
SELECT annotate.release_claim(1);
SELECT annotate.release_claim(1, user_id => 1, session_id => '00000000-0000-0000-0000-0000000000c1');

-- Leasing needs the primary and a transaction that may write.
BEGIN READ ONLY;
SELECT count(*) AS plain_reads_work FROM annotate.next_url_for_annotation(8);
SELECT * FROM annotate.next_url_for_annotation(8, claim_for => '1 minute');
ROLLBACK;

-- A URL created since the last fold that heads the caller's order is leased before older ones:
-- its queue row is made first (a lease used to pass over it for the next URL that had a row).
-- With no folder running, the leasing call folds it itself.
ALTER SYSTEM SET annotate.fold_worker = off;
SELECT pg_reload_conf();
DO $$
BEGIN
    FOR i IN 1..100 LOOP   -- an idle folder exits within two seconds
        PERFORM pg_stat_clear_snapshot();
        EXIT WHEN NOT EXISTS (SELECT 1 FROM pg_stat_activity
                              WHERE backend_type = 'annotate_ext folder' AND datname = current_database());
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
SELECT count(*) AS folders FROM pg_stat_activity
WHERE backend_type = 'annotate_ext folder' AND datname = current_database();
INSERT INTO public.urls (id, url, source) VALUES (100, 'c.example/new', 'manual');
SELECT NOT EXISTS (SELECT 1 FROM annotate_internal.queue WHERE url_id = 100) AS not_folded_yet;
SELECT url_id AS plain_head FROM annotate.next_url_for_annotation(30);
SELECT url_id AS leased FROM annotate.next_url_for_annotation(30, claim_for => '1 minute');
SELECT url_id, user_id FROM leases WHERE user_id = 30;
-- A URL validated since the last fold is never leased, though its queue row still says it is
-- eligible (here the first URL no one holds): a caller who follows nothing (user 777) walks and leases in one statement
-- (sql/queries/walk_lease.sql), which leaves out every URL with writes not folded yet.
SELECT annotate_internal.fold_now() >= 0 AS folded;   -- nothing else pending
SELECT n.url_id AS head_before FROM annotate.next_url_for_annotation(777, max_urls => 50) WITH ORDINALITY n
WHERE n.url_id NOT IN (SELECT url_id FROM leases) ORDER BY n.ordinality LIMIT 1 \gset
INSERT INTO public.flag_url_validated (url_id, type) VALUES (:head_before, 'data source');
SELECT NOT validated AS queue_row_not_folded FROM annotate_internal.queue WHERE url_id = :head_before;
SELECT n.url_id AS next_free FROM annotate.next_url_for_annotation(777, max_urls => 50) WITH ORDINALITY n
WHERE n.url_id NOT IN (SELECT url_id FROM leases) ORDER BY n.ordinality LIMIT 1 \gset
SELECT url_id = :next_free AS leased_the_next_free, url_id <> :head_before AS not_the_validated
FROM annotate.next_url_for_annotation(777, claim_for => '1 minute');

-- A leasing walk starts where the last one found the first live entry of the unleased range
-- (src/head.rs), past the dead entries leases leave at the head. Whatever puts a URL back ahead
-- of that point must be seen by the next walk: a release, a lease running out, a fold that moves
-- a URL up, a statement of someone else's on the queue. Each leasing call below must get the
-- first URL of the caller's order that no one holds (first_free). Callers 801-811 follow nothing.
CREATE FUNCTION pg_temp.first_free(caller int) RETURNS int LANGUAGE sql AS $$
    SELECT n.url_id FROM annotate.next_url_for_annotation(caller, max_urls => 100) WITH ORDINALITY n
    WHERE n.url_id NOT IN (SELECT url_id FROM leases) ORDER BY n.ordinality LIMIT 1
$$;
UPDATE annotate_internal.queue SET leased = false, lease_user = NULL, lease_session = NULL, lease_until = NULL, lease_xid = NULL;
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT pg_temp.first_free(801) AS want \gset
SELECT url_id = :want AS head_leased, url_id AS first_url FROM annotate.next_url_for_annotation(801, claim_for => '10 minutes') \gset
SELECT :'head_leased' AS head_leased;
SELECT pg_temp.first_free(802) AS want \gset
SELECT url_id = :want AS next_leased FROM annotate.next_url_for_annotation(802, claim_for => '10 minutes');
-- Released:
SELECT annotate.release_claim(:first_url, user_id => 801) AS released;
SELECT pg_temp.first_free(803) = :first_url AS released_url_is_first_free;
SELECT url_id = :first_url AS released_url_leased_next FROM annotate.next_url_for_annotation(803, claim_for => '10 minutes');
-- Ran out (the next leasing call ends it):
SELECT annotate.release_claim(:first_url, user_id => 803) AS released;
SELECT url_id = :first_url AS short_lease FROM annotate.next_url_for_annotation(804, claim_for => '1 millisecond');
SELECT pg_sleep(0.01);
SELECT url_id = :first_url AS ran_out_leased_next FROM annotate.next_url_for_annotation(805, claim_for => '10 minutes');
-- Released by its holder after it ran out and before any call ended it (release_claim says
-- false: the lease had run out, but the URL is back all the same):
SELECT pg_temp.first_free(809) AS want \gset
SELECT url_id = :want AS short_lease FROM annotate.next_url_for_annotation(809, claim_for => '300 milliseconds');
SELECT url_id <> :want AS passed_the_short_lease FROM annotate.next_url_for_annotation(810, claim_for => '10 minutes');
SELECT pg_sleep(0.35);
SELECT annotate.release_claim(:want, user_id => 809) AS released_while_running;
SELECT url_id = :want AS released_after_running_out_leased_next FROM annotate.next_url_for_annotation(811, claim_for => '10 minutes');
-- Someone else's statement on the queue (a DBA ending leases by hand):
UPDATE annotate_internal.queue SET leased = false, lease_user = NULL, lease_session = NULL, lease_until = NULL, lease_xid = NULL
WHERE lease_user = 805;
SELECT url_id = :first_url AS put_back_by_hand_leased_next FROM annotate.next_url_for_annotation(806, claim_for => '10 minutes');
-- A fold that moves a URL up: votes on the last URL of the order move it ahead of the others.
SELECT n.url_id AS last_url FROM annotate.next_url_for_annotation(807, max_urls => 100) WITH ORDINALITY n
ORDER BY n.ordinality DESC LIMIT 1 \gset
SELECT pg_temp.first_free(807) AS want \gset
SELECT url_id = :want AS before_fold FROM annotate.next_url_for_annotation(807, claim_for => '10 minutes');
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (:last_url, true)
ON CONFLICT (url_id) DO NOTHING;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (:last_url, 999, 'data source')
ON CONFLICT DO NOTHING;
SELECT annotate_internal.fold_now() > 0 AS folded;
SELECT pg_temp.first_free(808) = :last_url AS moved_up_is_first_free;
SELECT url_id = :last_url AS moved_up_leased_next FROM annotate.next_url_for_annotation(808, claim_for => '10 minutes');
-- Leases rolled back: a transaction (or a savepoint) that leased twice, and whose second walk
-- saw its first lease out of the range, is undone; the URLs it leased are the first free again.
UPDATE annotate_internal.queue SET leased = false, lease_user = NULL, lease_session = NULL, lease_until = NULL, lease_xid = NULL;
SELECT pg_temp.first_free(820) AS want \gset
BEGIN;
SELECT url_id = :want AS leased_in_a_transaction FROM annotate.next_url_for_annotation(820, claim_for => '10 minutes');
SELECT url_id <> :want AS second_lease FROM annotate.next_url_for_annotation(821, claim_for => '10 minutes');
ROLLBACK;
SELECT url_id = :want AS rolled_back_url_leased_next FROM annotate.next_url_for_annotation(822, claim_for => '10 minutes');
SELECT pg_temp.first_free(823) AS want \gset
BEGIN;
SAVEPOINT s;
SELECT url_id = :want AS leased_in_a_savepoint FROM annotate.next_url_for_annotation(823, claim_for => '10 minutes');
SELECT url_id <> :want AS second_lease FROM annotate.next_url_for_annotation(824, claim_for => '10 minutes');
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT url_id = :want AS rolled_back_url_leased_next FROM annotate.next_url_for_annotation(825, claim_for => '10 minutes');

-- With no folder running, a plain selection that read many URLs with writes not folded yet
-- (here 300 new ones) folds them itself once it has its answer, when the call is a transaction
-- of its own: otherwise every call would read them all again, until refresh().
INSERT INTO public.urls (id, url, source) SELECT i, 'c.example/alone/' || i, 'collector' FROM generate_series(5001, 5300) i;
BEGIN;
SELECT url_id IS NOT NULL AS answered_in_a_transaction_block FROM annotate.next_url_for_annotation(811);
COMMIT;
SELECT count(*) > 0 AS still_pending_after_it FROM annotate_internal.queue_delta;
-- A fold that fails there (here a trigger someone put on the extension's log of moved URLs)
-- does not take the answer with it: the fold is undone, the writes stay pending, the server log
-- says why.
CREATE FUNCTION public.annotate_t_refuse() RETURNS trigger LANGUAGE plpgsql
AS $$ BEGIN RAISE EXCEPTION 'refused by a test trigger'; END $$;
CREATE TRIGGER annotate_t_refuse BEFORE INSERT ON annotate_internal.queue_moved
    FOR EACH STATEMENT EXECUTE FUNCTION public.annotate_t_refuse();
SET client_min_messages = log;
SELECT url_id IS NOT NULL AS answered_though_the_fold_failed FROM annotate.next_url_for_annotation(811);
RESET client_min_messages;
SELECT count(*) > 0 AS still_pending_after_the_failed_fold FROM annotate_internal.queue_delta;
DROP TRIGGER annotate_t_refuse ON annotate_internal.queue_moved;
DROP FUNCTION public.annotate_t_refuse();
-- Nor does one that the caller's statement_timeout cuts short (a database's bound meant for the
-- app's statements; here a trigger makes the fold slow): the answer was read before it.
CREATE FUNCTION public.annotate_t_slow() RETURNS trigger LANGUAGE plpgsql
AS $$ BEGIN PERFORM pg_catalog.pg_sleep(3); RETURN NULL; END $$;
CREATE TRIGGER annotate_t_slow BEFORE INSERT ON annotate_internal.queue_moved
    FOR EACH STATEMENT EXECUTE FUNCTION public.annotate_t_slow();
SET statement_timeout = '1s';
SELECT url_id IS NOT NULL AS answered_though_the_fold_timed_out FROM annotate.next_url_for_annotation(811);
RESET statement_timeout;
SELECT count(*) > 0 AS still_pending_after_the_timed_out_fold FROM annotate_internal.queue_delta;
DROP TRIGGER annotate_t_slow ON annotate_internal.queue_moved;
DROP FUNCTION public.annotate_t_slow();
SELECT url_id IS NOT NULL AS answered FROM annotate.next_url_for_annotation(811);
SELECT count(*) AS pending_after_a_call_of_its_own FROM annotate_internal.queue_delta;
SELECT count(*) AS rows_made FROM annotate_internal.queue WHERE url_id BETWEEN 5001 AND 5300;
SELECT count(*) AS problems FROM annotate.verify();
ALTER SYSTEM RESET annotate.fold_worker;
SELECT pg_reload_conf();

-- Writes made while no one reads start the folder (none runs here: it was off above), so they
-- are folded without waiting for a reader (who would otherwise add every one of them on top
-- of the queue, call after call, until a fold). A new session, which only writes and waits,
-- as a role that may write that table and nothing else, in a database that does not let
-- PUBLIC read pg_locks (where a writer looks for the folder: as the owner, so the app's write
-- cannot fail for it) or pg_stat_activity.
\c
SET client_min_messages = warning;
SELECT count(*) AS folders FROM pg_stat_activity
WHERE backend_type = 'annotate_ext folder' AND datname = current_database();
SELECT min(url_id) AS quiet_url FROM annotate_internal.queue WHERE NOT suspended \gset
DROP ROLE IF EXISTS annotate_t_flagger;
CREATE ROLE annotate_t_flagger;
GRANT INSERT, DELETE ON public.flag_url_suspended TO annotate_t_flagger;
REVOKE SELECT ON pg_catalog.pg_stat_activity, pg_catalog.pg_locks FROM PUBLIC;
SET ROLE annotate_t_flagger;
BEGIN;
INSERT INTO public.flag_url_suspended (url_id) VALUES (:quiet_url);
RESET ROLE;
SELECT count(*) > 0 AS pending FROM annotate_internal.queue_delta WHERE url_id = :quiet_url;
COMMIT;
GRANT SELECT ON pg_catalog.pg_stat_activity, pg_catalog.pg_locks TO PUBLIC;
DO $$
BEGIN
    FOR i IN 1..100 LOOP
        EXIT WHEN NOT EXISTS (SELECT 1 FROM annotate_internal.queue_delta);
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
SELECT suspended AS folded_without_a_reader FROM annotate_internal.queue WHERE url_id = :quiet_url;
DELETE FROM public.flag_url_suspended WHERE url_id = :quiet_url;
REVOKE ALL ON public.flag_url_suspended FROM annotate_t_flagger;
DROP ROLE annotate_t_flagger;

-- A leasing walk passes over the URLs its caller annotated, for a user and for an anonymous
-- session alike (each kind's walk probes its own annotation tables: sql/queries/walk_lease.sql,
-- walk_lease_anon.sql). The URL annotated heads the order for everyone else.
INSERT INTO public.anonymous_sessions (id) VALUES ('00000000-0000-0000-0000-0000000000c2'),
                                                  ('00000000-0000-0000-0000-0000000000c3');
CREATE FUNCTION pg_temp.first_free(caller int) RETURNS int LANGUAGE sql AS $$
    SELECT n.url_id FROM annotate.next_url_for_annotation(caller, max_urls => 100) WITH ORDINALITY n
    WHERE n.url_id NOT IN (SELECT url_id FROM leases) ORDER BY n.ordinality LIMIT 1
$$;
CREATE FUNCTION pg_temp.first_free_anon(caller uuid) RETURNS int LANGUAGE sql AS $$
    SELECT n.url_id FROM annotate.next_url_for_anonymous_annotation(caller, max_urls => 100) WITH ORDINALITY n
    WHERE n.url_id NOT IN (SELECT url_id FROM leases) ORDER BY n.ordinality LIMIT 1
$$;
SELECT pg_temp.first_free(812) AS user_head \gset
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (:user_head, 812, 'data source');
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT pg_temp.first_free(813) = :user_head AS annotated_url_heads_the_order_for_others,
       pg_temp.first_free(812) AS want \gset
SELECT :'annotated_url_heads_the_order_for_others' AS annotated_url_heads_the_order_for_others;
SELECT url_id <> :user_head AS user_passed_over_its_own, url_id = :want AS user_leased_its_first_free
FROM annotate.next_url_for_annotation(812, claim_for => '10 minutes');
SELECT pg_temp.first_free_anon('00000000-0000-0000-0000-0000000000c2') AS anon_head \gset
INSERT INTO public.annotation__url_type__anon (url_id, url_type, session_id)
VALUES (:anon_head, 'data source', '00000000-0000-0000-0000-0000000000c2');
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT pg_temp.first_free_anon('00000000-0000-0000-0000-0000000000c3') = :anon_head AS annotated_url_heads_the_order_for_others,
       pg_temp.first_free_anon('00000000-0000-0000-0000-0000000000c2') AS want \gset
SELECT :'annotated_url_heads_the_order_for_others' AS annotated_url_heads_the_order_for_others;
SELECT url_id <> :anon_head AS session_passed_over_its_own, url_id = :want AS session_leased_its_first_free
FROM annotate.next_url_for_anonymous_annotation('00000000-0000-0000-0000-0000000000c2', claim_for => '10 minutes');

-- A transaction that writes and runs longer than the folder stays idle (two seconds) outlives
-- the folder its first write woke (its writes are not visible yet): as it commits it wakes one
-- again, so its writes are folded without waiting for a reader or another write.
SELECT min(url_id) AS long_url FROM annotate_internal.queue WHERE NOT suspended \gset
BEGIN;
INSERT INTO public.flag_url_suspended (url_id) VALUES (:long_url);
SELECT pg_sleep(3.5);
SELECT pg_stat_clear_snapshot();
SELECT count(*) AS folders_before_commit FROM pg_stat_activity
WHERE backend_type = 'annotate_ext folder' AND datname = current_database();
COMMIT;
DO $$
BEGIN
    FOR i IN 1..100 LOOP
        EXIT WHEN NOT EXISTS (SELECT 1 FROM annotate_internal.queue_delta);
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
SELECT suspended AS folded_after_the_long_transaction FROM annotate_internal.queue WHERE url_id = :long_url;
DELETE FROM public.flag_url_suspended WHERE url_id = :long_url;

-- A transaction that makes a URL and then leases it: the plain answer has it, but it has no
-- queue row to lease until the transaction commits, which no fold can change. With a folder
-- running, the call waited two seconds for a fold to give it one (here: canceled by a 1 s
-- statement_timeout) and passed over it all the same; it now passes over it at once.
BEGIN;
INSERT INTO public.urls (id, url, source) VALUES (9001, 'claims.example/new', 'collector');
SELECT count(*) AS plain_answer FROM annotate.next_url_for_annotation(814, url_id => 9001);
SET LOCAL statement_timeout = '1s';
SELECT count(*) AS leased FROM annotate.next_url_for_annotation(814, url_id => 9001, claim_for => '10 minutes');
ROLLBACK;
