-- Installing, attaching and removing annotate_ext (SPEC 7, Install).
-- Each test file works in a database of its own, copied from the app fixture.
DROP DATABASE IF EXISTS annotate_t_install;
CREATE DATABASE annotate_t_install TEMPLATE annotate_fixture;
DROP DATABASE IF EXISTS annotate_t_empty;
CREATE DATABASE annotate_t_empty;

-- A database without the app's tables: the extension installs unattached and says what is
-- missing and what to do next.
\c annotate_t_empty
CREATE EXTENSION annotate_ext;
SELECT (annotate.status()->>'attached')::boolean AS attached;
-- Every selection and response function says so, naming the step (never a silent null).
SELECT * FROM annotate.next_url_for_annotation(1);
SELECT * FROM annotate.next_url_for_anonymous_annotation('00000000-0000-0000-0000-000000000001');
SELECT annotate.next_annotation(1);
SELECT annotate.next_anonymous_annotation('00000000-0000-0000-0000-000000000001');
SELECT annotate.release_claim(1, user_id => 1);
SELECT * FROM annotate.refresh();
SELECT * FROM annotate.verify();
-- attach() names what is missing.
SELECT * FROM annotate.attach();
-- Once the app's tables are there, attach() attaches; the first call then answers.
\set ECHO none
\i tests/fixtures/app_schema.sql
\set ECHO all
SET client_min_messages = warning;   -- attach() reports each step with its time as a NOTICE
SELECT step, rows FROM annotate.attach();
RESET client_min_messages;
SELECT * FROM annotate.next_url_for_annotation(1);
SELECT count(*) AS problems FROM annotate.verify();
SELECT count(*) AS steps_when_nothing_is_missing FROM annotate.attach();

-- The app database: CREATE EXTENSION attaches at once. The app's own index and trigger whose
-- names start like the extension's are the app's: they must survive DROP EXTENSION.
\c annotate_t_install
CREATE INDEX annotate_requests_by_name ON public.urls (name);
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER annotate_touch_updated_at BEFORE UPDATE ON public.urls FOR EACH ROW EXECUTE FUNCTION public.touch();
CREATE TEMP TABLE catalog_before AS
SELECT 'relation' AS kind, c.relname::text AS name, c.relkind::text || ' ' || coalesce(pg_get_indexdef(c.oid), '') AS def
FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
UNION ALL
SELECT 'trigger', t.tgname || ' on ' || t.tgrelid::regclass, pg_get_triggerdef(t.oid)
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = 'public'::regnamespace
UNION ALL
SELECT 'function', p.proname, pg_get_functiondef(p.oid) FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace;
INSERT INTO public.urls (url, source) VALUES ('example.com/kept', 'manual');

CREATE EXTENSION annotate_ext;
SELECT extname, extversion, extnamespace::regnamespace AS schema, extrelocatable
FROM pg_extension WHERE extname = 'annotate_ext';

-- The SQL interface of SPEC section 5, with the arguments and results of each function;
-- internals are in schema annotate_internal, apart from the API.
SELECT p.proname, pg_get_function_arguments(p.oid) AS arguments, pg_get_function_result(p.oid) AS result
FROM pg_proc p WHERE p.pronamespace = 'annotate'::regnamespace ORDER BY 1;
-- Every public function says what it is.
SELECT p.proname FROM pg_proc p
WHERE p.pronamespace = 'annotate'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL;
-- Every GUC too.
SELECT name FROM pg_settings WHERE name LIKE 'annotate.%' AND short_desc IS NULL;
SELECT count(*) AS gucs FROM pg_settings WHERE name LIKE 'annotate.%';

-- What it put on the app's tables, each tied to the extension (DEPENDS ON EXTENSION).
SELECT pg_describe_object(d.classid, d.objid, 0) AS object, d.deptype
FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'annotate_ext'
WHERE d.deptype = 'x'
ORDER BY 1;
-- The app's own annotate_* objects are not tied.
SELECT pg_describe_object(d.classid, d.objid, 0) AS object
FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'annotate_ext'
WHERE pg_describe_object(d.classid, d.objid, 0) LIKE '%annotate_requests_by_name%'
   OR pg_describe_object(d.classid, d.objid, 0) LIKE '%annotate_touch_updated_at%';
SELECT count(*) AS problems FROM annotate.verify();

-- Removing it leaves the app's catalog exactly as before the install (the empty schema
-- annotate stays: CREATE EXTENSION made it from the control file).
DROP EXTENSION annotate_ext;
SELECT count(*) AS objects_left_in_annotate FROM pg_class WHERE relnamespace = 'annotate'::regnamespace;
SELECT count(*) AS internal_schema_left FROM pg_namespace WHERE nspname = 'annotate_internal';
CREATE TEMP TABLE catalog_after AS
SELECT 'relation' AS kind, c.relname::text AS name, c.relkind::text || ' ' || coalesce(pg_get_indexdef(c.oid), '') AS def
FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
UNION ALL
SELECT 'trigger', t.tgname || ' on ' || t.tgrelid::regclass, pg_get_triggerdef(t.oid)
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = 'public'::regnamespace
UNION ALL
SELECT 'function', p.proname, pg_get_functiondef(p.oid) FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace;
(SELECT 'lost' AS what, * FROM catalog_before EXCEPT SELECT 'lost', * FROM catalog_after)
UNION ALL
(SELECT 'added', * FROM catalog_after EXCEPT SELECT 'added', * FROM catalog_before);
SELECT url, source FROM public.urls;

-- And it installs again, attached, its tables heaps whatever default_table_access_method says
-- (the commit-time append writes heap tuples itself): here another access method's name.
CREATE ACCESS METHOD annotate_t_heap2 TYPE TABLE HANDLER heap_tableam_handler;
SET default_table_access_method = annotate_t_heap2;
CREATE EXTENSION annotate_ext;
RESET default_table_access_method;
SELECT (annotate.status()->>'attached')::boolean AS attached;
SELECT c.oid::regclass AS not_a_heap, a.amname
FROM pg_class c JOIN pg_am a ON a.oid = c.relam
WHERE c.relnamespace IN ('annotate'::regnamespace, 'annotate_internal'::regnamespace)
  AND c.relkind IN ('r', 'm') AND a.amname <> 'heap'
ORDER BY 1::text;
INSERT INTO public.urls (url, source) VALUES ('heap.example/1', 'collector');
SELECT count(*) AS problems FROM annotate.verify();
DROP ACCESS METHOD annotate_t_heap2;

-- A database not encoded in UTF8: refused at once, saying why (the request path reads text as
-- UTF-8; a LATIN1 database failed every caller served a URL beyond ASCII).
\c postgres
DROP DATABASE IF EXISTS annotate_t_latin1;
CREATE DATABASE annotate_t_latin1 TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C';
\c annotate_t_latin1
CREATE EXTENSION annotate_ext;
\c postgres
DROP DATABASE annotate_t_latin1;
