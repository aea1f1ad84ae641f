-- annotate_ext reads the application's tables in schema public (SPEC section 2).

-- Which of them this database lacks, in the order SPEC lists them (NULL when none).
CREATE OR REPLACE FUNCTION annotate.missing_app_tables()
RETURNS text[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT array_agg(t ORDER BY ord)
    FROM unnest(ARRAY[
        'urls', 'batches', 'link_batches__urls', 'link_batches__locations',
        'link__locations__user_follows', 'locations', 'locations_expanded', 'agencies',
        'flag_url_validated', 'flag_url_suspended', 'reviewing_user_url', 'link_agencies__urls',
        'url_html_content', 'link_user_suggestion_agency_not_found',
        'link_user_suggestion_location_not_found',
        'annotation__url_type__user', 'annotation__record_type__user', 'annotation__agency__user',
        'annotation__location__user', 'annotation__url_type__anon', 'annotation__record_type__anon',
        'annotation__agency__anon', 'annotation__location__anon', 'annotation__url_type__auto',
        'annotation__record_type__auto', 'annotation__agency__auto__subtasks',
        'annotation__agency__auto__suggestions', 'annotation__location__auto__subtasks',
        'annotation__location__auto__suggestions', 'annotation__name__suggestions',
        'annotation__name__user__endorsements', 'annotation__name__anon__endorsements']) WITH ORDINALITY AS n(t, ord)
    WHERE pg_catalog.to_regclass(pg_catalog.quote_ident('public') || '.' || pg_catalog.quote_ident(t)) IS NULL
$$;

-- Refuse to install into a database that lacks one, naming it; except while a dump is being
-- restored, where the extension comes before the tables: then install what does not depend on
-- them, and let annotate.refresh() attach the rest once the restore is done. A restore is
-- recognised by row_security = off, which pg_dump's scripts and pg_restore both set (and
-- CREATE EXTENSION leaves alone, unlike check_function_bodies).
DO $check$
DECLARE
    missing text[] := annotate.missing_app_tables();
BEGIN
    IF missing IS NULL THEN
        RETURN;
    END IF;
    IF pg_catalog.current_setting('row_security') = 'off' THEN
        RAISE NOTICE 'annotate_ext: the application tables are not there yet (a restore?); run SELECT annotate.refresh() once they are';
        PERFORM pg_catalog.set_config('annotate_ext.defer_attach', 'on', true);
        RETURN;
    END IF;
    RAISE EXCEPTION 'annotate_ext: the application table public.% is missing', missing[1]
        USING DETAIL = pg_catalog.format('Missing from schema public: %s.', pg_catalog.array_to_string(missing, ', ')),
              HINT = 'Run the application''s migrations (or load tests/fixtures/app_schema.sql) before CREATE EXTENSION annotate_ext.';
END
$check$;
