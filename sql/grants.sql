-- Who may do what (SPEC 7). The read path is SECURITY INVOKER: an app role needs USAGE on
-- schema annotate (not granted to PUBLIC) and SELECT on the app tables; the extension's own
-- derived tables are readable by whoever may enter the schema. Maintenance stays with the
-- owner: refresh() must own the materialized views anyway.
GRANT SELECT ON annotate.queue, annotate.queue_fresh, annotate.url_annotation_count_view, annotate.url_annotation_flags,
                annotate.refresh_log
    TO PUBLIC;
REVOKE EXECUTE ON FUNCTION annotate.refresh(boolean), annotate.reconcile_queue(), annotate.reset_timings()
    FROM PUBLIC;
