-- Installing and removing annotate_ext.
-- Each test file works in a database of its own, copied from the app fixture.
DROP DATABASE IF EXISTS annotate_t_install;
CREATE DATABASE annotate_t_install TEMPLATE annotate_fixture;
DROP DATABASE IF EXISTS annotate_t_empty;
CREATE DATABASE annotate_t_empty;

-- A database without the app's tables: CREATE EXTENSION names what is missing.
\c annotate_t_empty
CREATE EXTENSION annotate_ext;
CREATE TABLE public.urls (id serial PRIMARY KEY);
CREATE EXTENSION annotate_ext;

-- The app database: everything lands in schema annotate.
\c annotate_t_install
CREATE TEMP TABLE app_before AS
SELECT c.relname, c.relkind, pg_get_indexdef(c.oid) AS indexdef
FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace;
INSERT INTO public.urls (url, source) VALUES ('example.com/kept', 'manual');

CREATE EXTENSION annotate_ext;
SELECT extname, extversion, extnamespace::regnamespace AS schema, extrelocatable
FROM pg_extension WHERE extname = 'annotate_ext';

-- Its functions, with their arguments and results (the SQL interface of SPEC section 5).
SELECT p.proname, pg_get_function_arguments(p.oid) AS arguments, pg_get_function_result(p.oid) AS result
FROM pg_proc p WHERE p.pronamespace = 'annotate'::regnamespace ORDER BY 1;

-- Its relations.
SELECT relname, relkind FROM pg_class WHERE relnamespace = 'annotate'::regnamespace ORDER BY 1;

-- The indexes it adds to app tables carry the annotate_ prefix.
SELECT indexrelid::regclass AS index, indrelid::regclass AS on_table
FROM pg_index WHERE indexrelid::regclass::text LIKE 'annotate\_%' ORDER BY 1::text;

-- Removing it leaves the app's tables, data and indexes exactly as before.
DROP EXTENSION annotate_ext;
-- (CREATE EXTENSION made schema annotate from the control file; it stays behind, empty.)
SELECT count(*) AS objects_left_in_annotate FROM pg_class WHERE relnamespace = 'annotate'::regnamespace;
SELECT b.relname AS lost FROM app_before b
WHERE NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
                  AND c.relname = b.relname AND c.relkind = b.relkind
                  AND pg_get_indexdef(c.oid) IS NOT DISTINCT FROM b.indexdef);
SELECT c.relname AS added FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace
  AND NOT EXISTS (SELECT 1 FROM app_before b WHERE b.relname = c.relname);
SELECT url, source FROM public.urls;

-- And it installs again.
CREATE EXTENSION annotate_ext;
SELECT count(*) AS functions FROM pg_proc WHERE pronamespace = 'annotate'::regnamespace;
