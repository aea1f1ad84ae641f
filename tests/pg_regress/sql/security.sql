-- Security (SPEC 7, README "Security"): the attacks tried against the extension, performed.
DROP DATABASE IF EXISTS annotate_t_security;
CREATE DATABASE annotate_t_security TEMPLATE annotate_fixture;
\c annotate_t_security
CREATE EXTENSION annotate_ext;
SET client_min_messages = warning;
DROP ROLE IF EXISTS annotate_t_minimal;
DROP ROLE IF EXISTS annotate_t_planter;
RESET client_min_messages;
CREATE ROLE annotate_t_minimal;            -- only USAGE on schema annotate
GRANT USAGE ON SCHEMA annotate TO annotate_t_minimal;
CREATE ROLE annotate_t_planter;            -- may create objects in public, as many app databases allow
GRANT CREATE, USAGE ON SCHEMA public TO annotate_t_planter;
GRANT CREATE ON DATABASE annotate_t_security TO annotate_t_planter;
INSERT INTO public.urls (id, url, source) SELECT i, 's.example/' || i, 'collector' FROM generate_series(1, 5) i;

-- 1. Superuser through a trigger function: attach the extension's capture function to a TEMP
--    table of one's own, with a type whose implicit cast runs code. Refused: the trigger
--    functions are not executable by PUBLIC, and schema annotate_internal is not usable.
SET ROLE annotate_t_minimal;
CREATE TYPE pg_temp.evil AS (x int);
CREATE FUNCTION pg_temp.evil_to_int(pg_temp.evil) RETURNS int LANGUAGE plpgsql AS
$$ BEGIN EXECUTE 'ALTER ROLE annotate_t_minimal SUPERUSER'; RETURN ($1).x; END $$;
CREATE CAST (pg_temp.evil AS integer) WITH FUNCTION pg_temp.evil_to_int(pg_temp.evil) AS IMPLICIT;
CREATE TEMP TABLE fake (url_id pg_temp.evil);
CREATE TRIGGER t AFTER INSERT ON fake FOR EACH ROW EXECUTE FUNCTION annotate_internal.capture('validated');
CREATE TRIGGER t AFTER TRUNCATE ON fake FOR EACH STATEMENT EXECUTE FUNCTION annotate_internal.capture_truncate('urls');
CREATE TRIGGER t AFTER INSERT ON fake REFERENCING NEW TABLE AS n FOR EACH STATEMENT EXECUTE FUNCTION annotate_internal.capture_insert('validated');
CREATE TRIGGER t AFTER DELETE ON fake REFERENCING OLD TABLE AS o FOR EACH STATEMENT EXECUTE FUNCTION annotate_internal.capture_delete('validated');
CREATE TRIGGER t BEFORE INSERT ON fake FOR EACH STATEMENT EXECUTE FUNCTION annotate_internal.queue_written();
INSERT INTO fake VALUES (ROW(1));
-- 2. The same without the cast: a plain TEMP table fed crafted rows, to suspend every URL.
CREATE TEMP TABLE fake_flags (url_id int);
CREATE TRIGGER t AFTER INSERT ON fake_flags FOR EACH ROW EXECUTE FUNCTION annotate_internal.capture('suspended');
CREATE TRIGGER t AFTER INSERT ON fake_flags REFERENCING NEW TABLE AS n FOR EACH STATEMENT EXECUTE FUNCTION annotate_internal.capture_insert('suspended');
CREATE TRIGGER t AFTER DELETE ON fake_flags REFERENCING OLD TABLE AS o FOR EACH STATEMENT EXECUTE FUNCTION annotate_internal.capture_delete('suspended');
-- 3. Reading or writing the extension's internal state directly.
SELECT count(*) FROM annotate_internal.queue;
UPDATE annotate_internal.queue SET suspended = true;
SELECT annotate_internal.reconcile();
SELECT annotate_internal.fold_now();
-- The extension's locks (src/locks.rs; tests/isolation/specs/lock_squatting: the advisory keys
-- they used to be are anyone's to hold, and hold nothing up).
SELECT annotate_internal.try_lock(3, false);
RESET ROLE;
SELECT rolsuper AS minimal_is_superuser FROM pg_roles WHERE rolname = 'annotate_t_minimal';

-- Even when attached to a foreign table by someone who may (the owner), a capture function
-- checks where it fires before anything else, and writes nothing.
CREATE TEMP TABLE misplaced (url_id int);
CREATE TRIGGER t AFTER INSERT ON misplaced FOR EACH ROW EXECUTE FUNCTION annotate_internal.capture('suspended');
INSERT INTO misplaced VALUES (1);
CREATE TRIGGER t2 AFTER INSERT ON public.urls FOR EACH STATEMENT EXECUTE FUNCTION annotate_internal.capture('urls');
INSERT INTO public.urls (id, url, source) VALUES (99, 's.example/99', 'collector');
DROP TRIGGER t2 ON public.urls;
CREATE TRIGGER t3 AFTER INSERT ON public.flag_url_suspended FOR EACH ROW EXECUTE FUNCTION annotate_internal.capture('validated');
INSERT INTO public.flag_url_suspended (url_id) VALUES (1);
DROP TRIGGER t3 ON public.flag_url_suspended;
DROP TRIGGER t ON misplaced;
CREATE TRIGGER t4 AFTER INSERT ON misplaced REFERENCING NEW TABLE AS n FOR EACH STATEMENT EXECUTE FUNCTION annotate_internal.capture_insert('suspended');
INSERT INTO misplaced VALUES (2);
CREATE TRIGGER t5 AFTER INSERT ON public.flag_url_suspended REFERENCING NEW TABLE AS n FOR EACH STATEMENT EXECUTE FUNCTION annotate_internal.capture_insert('validated');
INSERT INTO public.flag_url_suspended (url_id) VALUES (2);
DROP TRIGGER t5 ON public.flag_url_suspended;
CREATE TRIGGER t6 AFTER INSERT ON public.flag_url_suspended FOR EACH STATEMENT EXECUTE FUNCTION annotate_internal.capture_insert('suspended');
INSERT INTO public.flag_url_suspended (url_id) VALUES (3);
DROP TRIGGER t6 ON public.flag_url_suspended;
CREATE TRIGGER t7 AFTER INSERT ON public.flag_url_suspended FOR EACH ROW EXECUTE FUNCTION annotate_internal.capture_insert('suspended');
INSERT INTO public.flag_url_suspended (url_id) VALUES (4);
DROP TRIGGER t7 ON public.flag_url_suspended;
CREATE TRIGGER t8 AFTER INSERT ON public.flag_url_suspended FOR EACH ROW EXECUTE FUNCTION annotate_internal.capture('suspended');
INSERT INTO public.flag_url_suspended (url_id) VALUES (5);
DROP TRIGGER t8 ON public.flag_url_suspended;
-- Deletes likewise: the delete capture on another table, for another kind, row by row or
-- without the deleted rows; the row capture fired by a DELETE (deletes are the statement
-- trigger's). Each case deletes a suspension; none may count.
INSERT INTO public.flag_url_suspended (url_id) VALUES (1), (2), (3), (4), (5);
CREATE TEMP TABLE misplaced_rows (url_id int);
INSERT INTO misplaced_rows VALUES (1);
CREATE TRIGGER d1 AFTER DELETE ON misplaced_rows REFERENCING OLD TABLE AS o FOR EACH STATEMENT EXECUTE FUNCTION annotate_internal.capture_delete('suspended');
DELETE FROM misplaced_rows;
DROP TRIGGER d1 ON misplaced_rows;
CREATE TRIGGER d2 AFTER DELETE ON public.flag_url_suspended REFERENCING OLD TABLE AS o FOR EACH STATEMENT EXECUTE FUNCTION annotate_internal.capture_delete('validated');
DELETE FROM public.flag_url_suspended WHERE url_id = 1;
DROP TRIGGER d2 ON public.flag_url_suspended;
CREATE TRIGGER d3 AFTER DELETE ON public.flag_url_suspended FOR EACH STATEMENT EXECUTE FUNCTION annotate_internal.capture_delete('suspended');
DELETE FROM public.flag_url_suspended WHERE url_id = 2;
DROP TRIGGER d3 ON public.flag_url_suspended;
CREATE TRIGGER d4 AFTER DELETE ON public.flag_url_suspended FOR EACH ROW EXECUTE FUNCTION annotate_internal.capture_delete('suspended');
DELETE FROM public.flag_url_suspended WHERE url_id = 3;
DROP TRIGGER d4 ON public.flag_url_suspended;
CREATE TRIGGER d5 AFTER DELETE ON public.flag_url_suspended FOR EACH ROW EXECUTE FUNCTION annotate_internal.capture('suspended');
DELETE FROM public.flag_url_suspended WHERE url_id = 4;
DROP TRIGGER d5 ON public.flag_url_suspended;
DELETE FROM public.flag_url_suspended WHERE url_id <= 5;
-- The queue's own statement trigger, likewise: on another table, or not BEFORE each statement.
CREATE TRIGGER t9 BEFORE INSERT ON misplaced FOR EACH STATEMENT EXECUTE FUNCTION annotate_internal.queue_written();
INSERT INTO misplaced VALUES (6);
DROP TRIGGER t9 ON misplaced;
SELECT annotate_internal.fold_now() >= 0 AS folded;  -- URL 1's queue row exists once its insert is folded
CREATE TRIGGER t10 AFTER UPDATE ON annotate_internal.queue FOR EACH ROW EXECUTE FUNCTION annotate_internal.queue_written();
UPDATE annotate_internal.queue SET suspended = suspended WHERE url_id = 1;
DROP TRIGGER t10 ON annotate_internal.queue;
SELECT count(*) AS suspended_by_crafted_rows FROM annotate_internal.queue_now() WHERE suspended;
SELECT count(*) AS problems FROM annotate.verify();

-- 4. Hijack through public and the caller's search_path: functions, aggregates and operators
--    the extension uses, planted where an unpinned lookup would find them (a more specific
--    signature wins over pg_catalog's even when pg_catalog comes first). Each records that it
--    ran; none may run during any public function, whoever calls it.
CREATE TABLE public.hijacks (what text);
GRANT INSERT ON public.hijacks TO PUBLIC;
SET ROLE annotate_t_planter;
CREATE SCHEMA evil;
CREATE FUNCTION public.note(what text) RETURNS void LANGUAGE sql AS $$ INSERT INTO public.hijacks VALUES (what) $$;
DO $plant$
DECLARE
    s text;
BEGIN
    FOREACH s IN ARRAY ARRAY['public', 'evil'] LOOP
        EXECUTE pg_catalog.format($f$
            CREATE FUNCTION %1$I.eq_int(int, int) RETURNS bool LANGUAGE plpgsql AS
                $b$ BEGIN PERFORM public.note('%1$s.= int'); RETURN $1 OPERATOR(pg_catalog.=) $2; END $b$;
            CREATE OPERATOR %1$I.= (LEFTARG = int, RIGHTARG = int, FUNCTION = %1$I.eq_int);
            CREATE FUNCTION %1$I.eq_uuid(uuid, uuid) RETURNS bool LANGUAGE plpgsql AS
                $b$ BEGIN PERFORM public.note('%1$s.= uuid'); RETURN $1 OPERATOR(pg_catalog.=) $2; END $b$;
            CREATE OPERATOR %1$I.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = %1$I.eq_uuid);
            CREATE FUNCTION %1$I.ge_xid8(xid8, xid8) RETURNS bool LANGUAGE plpgsql AS
                $b$ BEGIN PERFORM public.note('%1$s.>= xid8'); RETURN $1 OPERATOR(pg_catalog.>=) $2; END $b$;
            CREATE OPERATOR %1$I.>= (LEFTARG = xid8, RIGHTARG = xid8, FUNCTION = %1$I.ge_xid8);
            CREATE FUNCTION %1$I.plus_int(int, int) RETURNS int LANGUAGE plpgsql AS
                $b$ BEGIN PERFORM public.note('%1$s.+ int'); RETURN $1 OPERATOR(pg_catalog.+) $2; END $b$;
            CREATE OPERATOR %1$I.+ (LEFTARG = int, RIGHTARG = int, FUNCTION = %1$I.plus_int);
            CREATE FUNCTION %1$I.now() RETURNS timestamptz LANGUAGE plpgsql AS
                $b$ BEGIN PERFORM public.note('%1$s.now()'); RETURN pg_catalog.now(); END $b$;
            CREATE FUNCTION %1$I.unnest(int[]) RETURNS SETOF int LANGUAGE plpgsql AS
                $b$ BEGIN PERFORM public.note('%1$s.unnest()'); RETURN QUERY SELECT pg_catalog.unnest($1); END $b$;
            CREATE FUNCTION %1$I.count_step(bigint, int) RETURNS bigint LANGUAGE plpgsql AS
                $b$ BEGIN PERFORM public.note('%1$s.count()'); RETURN $1 OPERATOR(pg_catalog.+) 1; END $b$;
            CREATE AGGREGATE %1$I.count(int) (SFUNC = %1$I.count_step, STYPE = bigint, INITCOND = '0');
            CREATE FUNCTION %1$I.agg_step(int[], int) RETURNS int[] LANGUAGE plpgsql AS
                $b$ BEGIN PERFORM public.note('%1$s.array_agg()'); RETURN $1 OPERATOR(pg_catalog.||) $2; END $b$;
            CREATE AGGREGATE %1$I.array_agg(int) (SFUNC = %1$I.agg_step, STYPE = int[]);
            CREATE FUNCTION %1$I.sum_step(bigint, smallint) RETURNS bigint LANGUAGE plpgsql AS
                $b$ BEGIN PERFORM public.note('%1$s.sum()'); RETURN COALESCE($1, 0) OPERATOR(pg_catalog.+) $2; END $b$;
            CREATE AGGREGATE %1$I.sum(smallint) (SFUNC = %1$I.sum_step, STYPE = bigint);
            CREATE FUNCTION %1$I.hashtext(text) RETURNS int LANGUAGE plpgsql AS
                $b$ BEGIN PERFORM public.note('%1$s.hashtext()'); RETURN 0; END $b$;
            CREATE FUNCTION %1$I.format(text, VARIADIC text[]) RETURNS text LANGUAGE plpgsql AS
                $b$ BEGIN PERFORM public.note('%1$s.format()'); RETURN ''; END $b$;
            CREATE FUNCTION %1$I.to_regclass(text) RETURNS regclass LANGUAGE plpgsql AS
                $b$ BEGIN PERFORM public.note('%1$s.to_regclass()'); RETURN NULL; END $b$;
            CREATE FUNCTION %1$I.clock_timestamp() RETURNS timestamptz LANGUAGE plpgsql AS
                $b$ BEGIN PERFORM public.note('%1$s.clock_timestamp()'); RETURN pg_catalog.clock_timestamp(); END $b$;
            CREATE FUNCTION %1$I.field_text(jsonb, text) RETURNS text LANGUAGE plpgsql AS
                $b$ BEGIN PERFORM public.note('%1$s.->> jsonb'); RETURN $1 OPERATOR(pg_catalog.->>) $2; END $b$;
            CREATE OPERATOR %1$I.->> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = %1$I.field_text);
            $f$, s);
    END LOOP;
END
$plant$;
GRANT USAGE ON SCHEMA evil TO PUBLIC;
RESET ROLE;
-- The plants work: unpinned, with evil first on the path, they run.
SET search_path = evil, pg_catalog, public;
SELECT count(x) AS n, array_agg(x) AS xs, 1 = 1 AS eq, now() IS NOT NULL AS now,
       clock_timestamp() IS NOT NULL AS clock, '{"a": "b"}'::jsonb ->> 'a' AS field
FROM (VALUES (1)) v(x);
RESET search_path;
SELECT what FROM public.hijacks ORDER BY what;
TRUNCATE public.hijacks;

-- An app role with the README's grants, calling everything with the planted schema first on
-- its search_path; then the owner does the same, and writes that fire the capture triggers.
SET client_min_messages = warning;
DROP ROLE IF EXISTS annotate_t_app;
DROP ROLE IF EXISTS annotate_t_ops;
RESET client_min_messages;
CREATE ROLE annotate_t_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO annotate_t_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO annotate_t_app;
GRANT USAGE ON SCHEMA annotate TO annotate_t_app;
CREATE ROLE annotate_t_ops;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO annotate_t_ops;
GRANT USAGE ON SCHEMA annotate TO annotate_t_ops;
GRANT EXECUTE ON FUNCTION annotate.refresh(boolean), annotate.verify(), annotate.reconcile(), annotate.status()
    TO annotate_t_ops;
GRANT SELECT ON annotate.refresh_history TO annotate_t_ops;
INSERT INTO public.batches (id, strategy, status) VALUES (1, 'manual', 'ready to label');
INSERT INTO public.link_batches__urls (batch_id, url_id) VALUES (1, 2), (1, 3);
CREATE FUNCTION pg_temp.call_everything() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM * FROM annotate.next_url_for_annotation(1, max_urls => 3);
    PERFORM * FROM annotate.next_url_for_annotation(1, batch_id => 1);
    PERFORM * FROM annotate.next_url_for_annotation(1, url_id => 2);
    PERFORM * FROM annotate.next_url_for_annotation(1, claim_for => '1 minute');
    PERFORM * FROM annotate.next_url_for_anonymous_annotation('00000000-0000-0000-0000-000000000001');
    PERFORM * FROM annotate.next_url_for_anonymous_annotation('00000000-0000-0000-0000-000000000001', claim_for => '1 minute');
    PERFORM annotate.next_annotation(2, batch_id => 1);
    PERFORM annotate.next_annotation(3, claim_for => '1 minute');
    PERFORM annotate.next_anonymous_annotation('00000000-0000-0000-0000-000000000002');
    PERFORM annotate.annotation_for_url(1, batch_id => 1);
    PERFORM annotate.release_claim(1, user_id => 1);
    PERFORM * FROM annotate.last_timings();
    PERFORM * FROM annotate.timing_stats();
    PERFORM * FROM annotate.timing_stats;
    PERFORM * FROM annotate.timing_histogram;
    PERFORM * FROM annotate.call_stats;
    SET LOCAL annotate.selection = snapshot;
    PERFORM * FROM annotate.next_url_for_annotation(4);
    RETURN 'called';
END $$;
SET ROLE annotate_t_app;
SET search_path = evil, pg_catalog, public;
SELECT pg_temp.call_everything();
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (2, 5, 'data source');
INSERT INTO public.flag_url_validated (url_id, type) VALUES (4, 'data source');
DELETE FROM public.flag_url_validated;
SET ROLE annotate_t_ops;
SET search_path = evil, pg_catalog, public;
SET client_min_messages = warning;
SELECT count(*) AS steps FROM annotate.refresh();
RESET client_min_messages;
SELECT count(*) AS problems FROM annotate.verify();
SELECT annotate.reconcile() AS corrected;
-- (This statement runs on the planted path itself: its operator is qualified.)
SELECT (annotate.status() OPERATOR(pg_catalog.->>) 'attached')::boolean AS status_attached;
SELECT status, run_by FROM annotate.refresh_history ORDER BY id DESC LIMIT 1;
RESET ROLE;
SET search_path = evil, pg_catalog, public;
SELECT pg_temp.call_everything();
SELECT count(*) AS steps FROM annotate.attach();
SELECT FROM annotate_internal.fold_now();
TRUNCATE public.flag_url_suspended;
RESET search_path;
SELECT what, count(*) FROM public.hijacks GROUP BY what ORDER BY what;
SELECT count(*) AS problems FROM annotate.verify();

-- 5. What each role may do. The minimal role reads nothing through the extension: the read
--    functions check the caller's own rights on the app's tables.
SET ROLE annotate_t_minimal;
SELECT * FROM annotate.next_url_for_annotation(1);
SELECT annotate.next_annotation(1);
SELECT annotate.annotation_for_url(1);
SELECT * FROM annotate.refresh();
SELECT * FROM annotate.verify();
RESET ROLE;
-- A read-only role (SELECT on the app's tables) reads, but cannot lease or release: leasing
-- needs the rights to annotate.
SET client_min_messages = warning;
DROP ROLE IF EXISTS annotate_t_reader;
RESET client_min_messages;
CREATE ROLE annotate_t_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO annotate_t_reader;
GRANT USAGE ON SCHEMA annotate TO annotate_t_reader;
SET ROLE annotate_t_reader;
SELECT count(*) > 0 AS reads FROM annotate.next_url_for_annotation(1);
SELECT * FROM annotate.next_url_for_annotation(1, claim_for => '1 minute');
SELECT annotate.release_claim(1, user_id => 1);
SELECT * FROM annotate.refresh();
RESET ROLE;
-- The app role leases, but not as maintenance, and not the internals.
SET ROLE annotate_t_app;
SELECT count(*) AS leased FROM annotate.next_url_for_annotation(7, claim_for => '1 minute');
SELECT * FROM annotate.refresh();
SELECT * FROM annotate.verify();
SELECT annotate.reconcile();
SELECT annotate.reset_timings();
SELECT * FROM annotate.attach();
SELECT annotate.detach();
SELECT count(*) FROM annotate_internal.queue;
RESET ROLE;

-- 6. The sweep: every function of the extension pins search_path, but for the six written to
--    be inlined and the aggregate they use (sql/helpers.sql, whose support functions are
--    pg_catalog's own); no SECURITY DEFINER function is executable by PUBLIC; nothing in
--    annotate_internal is usable by PUBLIC.
SELECT p.oid::regprocedure AS not_pinned
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'annotate_ext'
WHERE NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)
ORDER BY 1::text;
SELECT p.oid::regprocedure AS inlinable, l.lanname AS language,
       p.prosecdef AS definer, has_function_privilege('public', p.oid, 'EXECUTE') AS public_may_execute
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.oid IN ('annotate_internal.is_done(integer, integer, uuid)'::regprocedure,
                'annotate_internal.is_done_user(integer, integer, uuid)'::regprocedure,
                'annotate_internal.is_done_session(integer, integer, uuid)'::regprocedure,
                'annotate_internal.pending_deltas()'::regprocedure,
                'annotate_internal.pending_urls()'::regprocedure, 'annotate_internal.pending_batches()'::regprocedure,
                'annotate_internal.collect(anynonarray)'::regprocedure)
ORDER BY 1::text;
SELECT a.aggfnoid::regprocedure AS aggregate, a.aggtransfn, a.aggfinalfn
FROM pg_aggregate a JOIN pg_depend d ON d.objid = a.aggfnoid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'annotate_ext'
ORDER BY 1::text;
SELECT p.oid::regprocedure AS definer_executable_by_public
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'annotate_ext'
WHERE p.prosecdef AND has_function_privilege('public', p.oid, 'EXECUTE');
SELECT has_schema_privilege('public', 'annotate_internal', 'USAGE') AS public_uses_internal,
       has_schema_privilege('public', 'annotate', 'USAGE') AS public_uses_annotate;
SELECT c.relname AS internal_table_public_may_read
FROM pg_class c WHERE c.relnamespace = 'annotate_internal'::regnamespace AND c.relkind IN ('r', 'v', 'm')
  AND has_table_privilege('public', c.oid, 'SELECT');
-- Only the statistics views (they hold no data) are readable by PUBLIC.
SELECT c.relname AS view_public_may_read
FROM pg_class c WHERE c.relnamespace = 'annotate'::regnamespace AND c.relkind IN ('r', 'v', 'm')
  AND has_table_privilege('public', c.oid, 'SELECT');

-- 7. The owner of an app table the extension reads, taking the DDL watch out of the way to
--    put a view of its own in the table's place: the extension reads the table with its
--    owner's rights (a superuser's), and would run what the view calls with them. The watch
--    was skipped for anyone who set annotate_ext.in_watch, a setting any role may set (a
--    placeholder); it is a flag of the extension's own now, and the rename is refused.
CREATE ROLE annotate_t_owner;
GRANT CREATE ON SCHEMA public TO annotate_t_owner;
SELECT tableowner AS owner_before FROM pg_tables WHERE schemaname = 'public' AND tablename = 'annotation__record_type__user' \gset
ALTER TABLE public.annotation__record_type__user OWNER TO annotate_t_owner;
SET ROLE annotate_t_owner;
SET annotate_ext.in_watch = on;
ALTER TABLE public.annotation__record_type__user RENAME TO annotation__record_type__user_real;
RESET annotate_ext.in_watch;
RESET ROLE;
SELECT to_regclass('public.annotation__record_type__user')::text AS still_the_table;
ALTER TABLE public.annotation__record_type__user OWNER TO :"owner_before";
REVOKE CREATE ON SCHEMA public FROM annotate_t_owner;
DROP ROLE annotate_t_owner;

-- 8. Row-level security: a policy on urls that hides every URL but one from the app's role.
--    The answers come from the whole table (the queue is kept for every caller), so the policy
--    would be ignored: such a caller is refused, naming the table. Roles the policy does not
--    apply to (BYPASSRLS, the owner) are served as before.
CREATE POLICY only_url_1 ON public.urls FOR SELECT TO annotate_t_app USING (id = 1);
ALTER TABLE public.urls ENABLE ROW LEVEL SECURITY;
SET ROLE annotate_t_app;
SELECT count(*) AS urls_visible FROM public.urls;
SELECT url_id FROM annotate.next_url_for_annotation(7, max_urls => 3);
SELECT annotate.next_annotation(7) IS NOT NULL AS answered;
SELECT annotate.next_anonymous_annotation('00000000-0000-0000-0000-000000000001') IS NOT NULL AS answered;
SELECT annotate.annotation_for_url(2) IS NULL AS url_2_hidden;
RESET ROLE;
ALTER ROLE annotate_t_app BYPASSRLS;
SET ROLE annotate_t_app;
SELECT count(*) AS urls FROM annotate.next_url_for_annotation(7, max_urls => 3);
RESET ROLE;
ALTER ROLE annotate_t_app NOBYPASSRLS;
SELECT count(*) AS urls FROM annotate.next_url_for_annotation(7, max_urls => 3);
ALTER TABLE public.urls DISABLE ROW LEVEL SECURITY;
DROP POLICY only_url_1 ON public.urls;

-- 9. The owner of the app's enum (urls.source's type), as superuser: it may CREATE CAST from
--    its type to text with a function of its own, and the extension compared the source to
--    'manual' through a cast, with its owner's rights, in verify(), reconcile(), attach() and
--    snapshot mode (any caller may SET annotate.selection). It reads the label through the
--    type's output function now. And url or scheme retyped to such an enum is refused: they
--    are cast to text with the owner's rights, so they must be of a string type.
CREATE ROLE annotate_t_typeowner;
GRANT CREATE ON SCHEMA public TO annotate_t_typeowner;
SELECT t.typowner::regrole AS enum_owner_before FROM pg_type t WHERE t.oid = 'public.url_source'::regtype \gset
ALTER TYPE public.url_source OWNER TO annotate_t_typeowner;
SET ROLE annotate_t_typeowner;
CREATE FUNCTION public.source_text(public.url_source) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user) THEN
        EXECUTE 'ALTER ROLE annotate_t_typeowner SUPERUSER';
    END IF;
    RETURN pg_catalog.textin(pg_catalog.enum_out($1));
END $$;
CREATE CAST (public.url_source AS text) WITH FUNCTION public.source_text(public.url_source);
CREATE TYPE public.evil_scheme AS ENUM ('https', 'http');
RESET ROLE;
SELECT count(*) AS problems FROM annotate.verify();
SELECT annotate.reconcile() AS fixed;
SET annotate.selection = snapshot;
SELECT count(*) AS urls FROM annotate.next_url_for_annotation(1, max_urls => 3);
RESET annotate.selection;
SELECT rolsuper AS typeowner_is_superuser FROM pg_roles WHERE rolname = 'annotate_t_typeowner';
ALTER TABLE public.urls DROP COLUMN scheme CASCADE, ADD COLUMN scheme public.evil_scheme;
-- The same owner's cast of a vote's label, read by a superuser's call of the response
-- functions (found by a review): labels are read through the type's output function too.
SELECT t.typowner::regrole AS url_type_owner_before FROM pg_type t WHERE t.oid = 'public.url_type'::regtype \gset
ALTER TYPE public.url_type OWNER TO annotate_t_typeowner;
SET ROLE annotate_t_typeowner;
CREATE FUNCTION public.url_type_text(public.url_type) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user) THEN
        EXECUTE 'ALTER ROLE annotate_t_typeowner SUPERUSER';
    END IF;
    RETURN pg_catalog.textin(pg_catalog.enum_out($1));
END $$;
CREATE CAST (public.url_type AS text) WITH FUNCTION public.url_type_text(public.url_type);
RESET ROLE;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (5, 777, 'data source');
DISCARD PLANS;   -- the statement is parsed again, as in a new backend: the cast is there
SELECT annotate.annotation_for_url(5)::text LIKE '%data source%' AS answered;
SELECT rolsuper AS typeowner_is_superuser FROM pg_roles WHERE rolname = 'annotate_t_typeowner';
DELETE FROM public.annotation__url_type__user WHERE url_id = 5 AND user_id = 777;
DROP CAST (public.url_type AS text);
DROP FUNCTION public.url_type_text(public.url_type);
ALTER TYPE public.url_type OWNER TO :"url_type_owner_before";
DROP CAST (public.url_source AS text);
DROP FUNCTION public.source_text(public.url_source);
DROP TYPE public.evil_scheme;
ALTER TYPE public.url_source OWNER TO :"enum_owner_before";
REVOKE CREATE ON SCHEMA public FROM annotate_t_typeowner;
DROP ROLE annotate_t_typeowner;

-- 10. The owner of an app table, as superuser through the planner: planning a query on a
--    table, PostgreSQL simplifies its indexes' predicates and expressions, its CHECK constraints
--    (constraint_exclusion) and its statistics' expressions, running the immutable functions
--    they call on constants with the planning role's rights, and the extension plans its
--    queries on the app's tables as its owner. Each is refused where it calls a function of a
--    role that is not a superuser (found by a review: the partial index made its owner
--    superuser at the next call of any role, or at the folder's next reconcile). And the
--    extension's triggers keep their names: a renamed capture trigger went on firing beside
--    the one attach() made again, every write counted twice.
CREATE ROLE annotate_t_towner;
GRANT CREATE ON SCHEMA public TO annotate_t_towner;
ALTER TABLE public.annotation__url_type__user OWNER TO annotate_t_towner;
SET ROLE annotate_t_towner;
CREATE FUNCTION public.escalate() RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user) THEN
        EXECUTE 'ALTER ROLE annotate_t_towner SUPERUSER';
    END IF;
END $$;
CREATE FUNCTION public.planted(integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN PERFORM public.escalate(); RETURN $1; END $$;
CREATE INDEX planted_predicate ON public.annotation__url_type__user (url_id) WHERE public.planted(3) > 0;
CREATE INDEX planted_expression ON public.annotation__url_type__user ((url_id + public.planted(3)));
ALTER TABLE public.annotation__url_type__user ADD CONSTRAINT planted CHECK (public.planted(1) > 0);
CREATE STATISTICS public.planted_statistics ON (url_id + public.planted(2)) FROM public.annotation__url_type__user;
ALTER TRIGGER annotate_capture_insert ON public.annotation__url_type__user RENAME TO renamed_capture;
-- Made CONCURRENTLY, the index outlives the watch's refusal (invalid), and REINDEX, which no
-- event trigger sees, makes it valid: every call that would plan a query on the table now
-- refuses instead, naming it.
CREATE INDEX CONCURRENTLY planted_concurrently ON public.annotation__url_type__user (url_id) WHERE public.planted(4) > 0;
REINDEX INDEX CONCURRENTLY public.planted_concurrently;
RESET ROLE;
SELECT count(*) AS urls FROM annotate.next_url_for_annotation(1, max_urls => 3);
SELECT annotate.annotation_for_url(1) IS NOT NULL AS answered;   -- works unattached: checked apart
SELECT count(*) AS problems FROM annotate.verify();
SELECT annotate.reconcile();
SELECT rolsuper AS towner_is_superuser FROM pg_roles WHERE rolname = 'annotate_t_towner';
DROP INDEX public.planted_concurrently;
-- The same with a plain REINDEX, in a session whose calls had found nothing to refuse: the
-- check it keeps is dropped when the table's cache entry is invalidated.
SELECT count(*) AS urls FROM annotate.next_url_for_annotation(1, max_urls => 3);
SET ROLE annotate_t_towner;
CREATE INDEX CONCURRENTLY planted_concurrently ON public.annotation__url_type__user (url_id) WHERE public.planted(5) > 0;
REINDEX INDEX public.planted_concurrently;
RESET ROLE;
SELECT count(*) AS urls FROM annotate.next_url_for_annotation(1, max_urls => 3);
SELECT rolsuper AS towner_is_superuser FROM pg_roles WHERE rolname = 'annotate_t_towner';
DROP INDEX public.planted_concurrently;
-- A column of a range type whose subtype_diff is the owner's: estimating a condition on it (a
-- partial index's predicate the planner weighs) runs it with the planning role's rights
-- (found by a review). Refused.
SET ROLE annotate_t_towner;
CREATE FUNCTION public.planted_diff(integer, integer) RETURNS float8 LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN PERFORM public.escalate(); RETURN ($1 - $2)::float8; END $$;
CREATE TYPE public.planted_range AS RANGE (subtype = integer, subtype_diff = public.planted_diff);
ALTER TABLE public.annotation__url_type__user ADD COLUMN r public.planted_range;
ALTER TABLE public.annotation__url_type__user ADD COLUMN r public.planted_range[];
RESET ROLE;
SELECT count(*) AS urls FROM annotate.next_url_for_annotation(1, max_urls => 3);
SELECT rolsuper AS towner_is_superuser FROM pg_roles WHERE rolname = 'annotate_t_towner';
SET constraint_exclusion = on;
SELECT count(*) AS urls FROM annotate.next_url_for_annotation(1, max_urls => 3);
RESET constraint_exclusion;
SELECT rolsuper AS towner_is_superuser FROM pg_roles WHERE rolname = 'annotate_t_towner';
DROP FUNCTION public.planted(integer);
DROP TYPE public.planted_range;
DROP FUNCTION public.planted_diff(integer, integer);
DROP FUNCTION public.escalate();
ALTER TABLE public.annotation__url_type__user OWNER TO :"owner_before";
REVOKE CREATE ON SCHEMA public FROM annotate_t_towner;
DROP ROLE annotate_t_towner;

DISCARD TEMP;
DROP SCHEMA evil CASCADE;
DROP FUNCTION public.note(text);
DROP TABLE public.hijacks;
REVOKE CREATE ON DATABASE annotate_t_security FROM annotate_t_planter;
DROP OWNED BY annotate_t_minimal, annotate_t_planter, annotate_t_app, annotate_t_ops, annotate_t_reader;
DROP ROLE annotate_t_minimal, annotate_t_planter, annotate_t_app, annotate_t_ops, annotate_t_reader;
