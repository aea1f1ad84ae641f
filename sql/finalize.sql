-- Runs last: settings of the Rust functions, and who may do what.

-- The request path runs statements prepared once per backend (src/plans.rs). Left to choose,
-- PostgreSQL would re-plan the selection walks on every call, as it cannot cost a LIMIT given
-- as a parameter; their generic plans are the ordered index walks (src/selection.rs plans
-- them with sorts disabled, so that a generic plan never reads and sorts the whole queue).
ALTER FUNCTION annotate.next_url_for_annotation(integer, integer, integer, integer, integer, interval)
    SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION annotate.next_url_for_anonymous_annotation(uuid, integer, integer, interval)
    SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION annotate.next_annotation(integer, integer, integer, integer, interval)
    SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION annotate.next_anonymous_annotation(uuid, integer, interval)
    SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION annotate.annotation_for_url(integer, integer)
    SET plan_cache_mode = force_generic_plan;

-- refresh() runs with its owner's rights (it must own the materialized views it refreshes), so
-- that an operator role granted EXECUTE can run it; EXECUTE is revoked from PUBLIC below.
ALTER FUNCTION annotate.refresh(boolean) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- Privileges (SPEC 7). The read path is SECURITY INVOKER: an app role needs USAGE on schema
-- annotate (not granted to PUBLIC) and SELECT on the app tables; the extension's own derived
-- tables are readable by whoever may enter the schema. Maintenance stays with the owner:
-- refresh() must own the materialized views anyway.
GRANT SELECT ON annotate.queue, annotate.claims, annotate.refresh_log TO PUBLIC;
REVOKE EXECUTE ON FUNCTION annotate.refresh(boolean), annotate.reconcile_queue(), annotate.prune_claims(),
                           annotate.reset_timings(), annotate.schedule_refresh(text),
                           annotate.unschedule_refresh(), annotate.attach()
    FROM PUBLIC;

-- Last, what lives on and over the app's tables (src/attach.rs), unless sql/app_check.sql
-- found them missing during a restore: then annotate.refresh() attaches it afterwards.
SELECT annotate.attach()
WHERE pg_catalog.current_setting('annotate_ext.defer_attach', true) IS DISTINCT FROM 'on';
