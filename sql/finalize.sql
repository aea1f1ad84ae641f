-- Runs last: settings of the Rust functions, and who may do what.

-- The request path runs statements prepared once per backend (src/plans.rs), and their plans
-- must be ordered index walks that stop early. Two settings make sure of it: generic plans
-- (left to choose, PostgreSQL would re-plan on every call, as it cannot cost a LIMIT given as a
-- parameter), and no sorts (costing that LIMIT as 10% of the table, a generic plan could
-- otherwise prefer reading everything and sorting, when the visibility map is stale).
ALTER FUNCTION annotate.next_url_for_annotation(integer, integer, integer, integer, integer, interval)
    SET plan_cache_mode = force_generic_plan SET enable_sort = off;
ALTER FUNCTION annotate.next_url_for_anonymous_annotation(uuid, integer, integer, interval)
    SET plan_cache_mode = force_generic_plan SET enable_sort = off;
ALTER FUNCTION annotate.next_annotation(integer, integer, integer, integer, interval)
    SET plan_cache_mode = force_generic_plan SET enable_sort = off;
ALTER FUNCTION annotate.next_anonymous_annotation(uuid, integer, interval)
    SET plan_cache_mode = force_generic_plan SET enable_sort = off;
ALTER FUNCTION annotate.annotation_for_url(integer, integer)
    SET plan_cache_mode = force_generic_plan SET enable_sort = off;

-- Privileges (SPEC 7). The read path is SECURITY INVOKER: an app role needs USAGE on schema
-- annotate (not granted to PUBLIC) and SELECT on the app tables; the extension's own derived
-- tables are readable by whoever may enter the schema. Maintenance stays with the owner:
-- refresh() must own the materialized views anyway.
GRANT SELECT ON annotate.queue, annotate.queue_fresh, annotate.url_annotation_count_view,
                annotate.url_annotation_flags, annotate.refresh_log
    TO PUBLIC;
REVOKE EXECUTE ON FUNCTION annotate.refresh(boolean), annotate.reconcile_queue(), annotate.reset_timings()
    FROM PUBLIC;
