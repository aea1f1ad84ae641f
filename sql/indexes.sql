-- Indexes the app lacks for "rows of this URL" lookups (SPEC 2.3, the "no" rows) and for the
-- URLs of one batch. They carry the annotate_ prefix and are tied to the extension with an
-- automatic dependency, so DROP EXTENSION removes them and nothing else on the app's tables.
-- (ALTER EXTENSION ... ADD has no INDEX form, hence the pg_depend row.)

CREATE INDEX IF NOT EXISTS annotate_agency_user_url_id          ON public.annotation__agency__user (url_id);
CREATE INDEX IF NOT EXISTS annotate_url_type_anon_url_id        ON public.annotation__url_type__anon (url_id);
CREATE INDEX IF NOT EXISTS annotate_record_type_anon_url_id     ON public.annotation__record_type__anon (url_id);
CREATE INDEX IF NOT EXISTS annotate_agency_anon_url_id          ON public.annotation__agency__anon (url_id);
CREATE INDEX IF NOT EXISTS annotate_location_anon_url_id        ON public.annotation__location__anon (url_id);
CREATE INDEX IF NOT EXISTS annotate_agency_auto_subtasks_url_id ON public.annotation__agency__auto__subtasks (url_id);
CREATE INDEX IF NOT EXISTS annotate_agency_auto_suggestions_subtask_id
    ON public.annotation__agency__auto__suggestions (subtask_id);
CREATE INDEX IF NOT EXISTS annotate_name_user_endorsements_suggestion_id
    ON public.annotation__name__user__endorsements (suggestion_id);
CREATE INDEX IF NOT EXISTS annotate_name_anon_endorsements_suggestion_id
    ON public.annotation__name__anon__endorsements (suggestion_id);
CREATE INDEX IF NOT EXISTS annotate_agency_not_found_url_id
    ON public.link_user_suggestion_agency_not_found (url_id);
CREATE INDEX IF NOT EXISTS annotate_location_not_found_url_id
    ON public.link_user_suggestion_location_not_found (url_id);
CREATE INDEX IF NOT EXISTS annotate_link_batches_urls_batch_id ON public.link_batches__urls (batch_id);
CREATE INDEX IF NOT EXISTS annotate_user_follows_user_id
    ON public.link__locations__user_follows (user_id, location_id);

INSERT INTO pg_catalog.pg_depend (classid, objid, objsubid, refclassid, refobjid, refobjsubid, deptype)
SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, i.oid, 0,
       'pg_catalog.pg_extension'::pg_catalog.regclass, e.oid, 0, 'a'
FROM pg_catalog.pg_class i
JOIN pg_catalog.pg_extension e ON e.extname = 'annotate_ext'
WHERE i.relnamespace = 'public'::pg_catalog.regnamespace
  AND i.relkind = 'i'
  AND i.relname LIKE 'annotate\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = i.oid
                    AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.refobjid = e.oid);
