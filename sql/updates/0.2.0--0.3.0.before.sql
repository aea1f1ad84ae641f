-- annotate_ext 0.2.0 -> 0.3.0, first part: take down what 0.2.0 made, keeping its leases and
-- refresh history for the last part. What 0.2.0 put on the app's tables (triggers, indexes)
-- was tied to the extension by rows it wrote into pg_depend itself; dropping those objects
-- drops the rows with them, and 0.3.0's attach() makes them again, tied with ALTER ... DEPENDS
-- ON EXTENSION. Generated into annotate_ext--0.2.0--0.3.0.sql by scripts/make-update-script.

-- 0.2.0's capture triggers, on the nine tables it watched.
DO $drop$
DECLARE
    t text;
    g text;
BEGIN
    FOREACH t IN ARRAY ARRAY['urls', 'link_batches__urls', 'link_batches__locations',
                             'link__locations__user_follows', 'annotation__url_type__user',
                             'annotation__url_type__anon', 'annotation__url_type__auto',
                             'flag_url_validated', 'flag_url_suspended'] LOOP
        FOREACH g IN ARRAY ARRAY['annotate_queue_ins', 'annotate_queue_upd', 'annotate_queue_del',
                                 'annotate_queue_trunc'] LOOP
            IF pg_catalog.to_regclass(pg_catalog.format('public.%I', t)) IS NOT NULL THEN
                EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON public.%I', g, t);
            END IF;
        END LOOP;
    END LOOP;
END
$drop$;

-- 0.2.0's indexes on the app's tables (0.3.0 makes the ones it still needs again).
DROP INDEX IF EXISTS public.annotate_agency_user_url_id, public.annotate_url_type_anon_url_id,
    public.annotate_record_type_anon_url_id, public.annotate_agency_anon_url_id,
    public.annotate_location_anon_url_id, public.annotate_agency_auto_subtasks_url_id,
    public.annotate_agency_auto_suggestions_subtask_id, public.annotate_name_user_endorsements_suggestion_id,
    public.annotate_name_anon_endorsements_suggestion_id, public.annotate_agency_not_found_url_id,
    public.annotate_location_not_found_url_id, public.annotate_link_batches_urls_batch_id,
    public.annotate_user_follows_user_id, public.annotate_batch_locations_location_id,
    public.annotate_agency_user_user_id, public.annotate_location_user_user_id;

-- Its views over the app's tables (0.3.0 makes them again, as ordinary objects tied to it).
DROP VIEW IF EXISTS annotate.queue_diff;
DROP VIEW IF EXISTS annotate.queue_fresh;
DROP MATERIALIZED VIEW IF EXISTS annotate.url_annotation_count_view;
DROP MATERIALIZED VIEW IF EXISTS annotate.url_annotation_flags;

-- Its functions: 0.3.0 makes the API again (release_claim with the holder, attach() reporting
-- steps); the internals are gone or in schema annotate_internal.
DROP FUNCTION annotate.annotation_for_url(integer, integer);
DROP FUNCTION annotate.attach();
DROP FUNCTION annotate.last_timings();
DROP FUNCTION annotate.next_annotation(integer, integer, integer, integer, interval);
DROP FUNCTION annotate.next_anonymous_annotation(uuid, integer, interval);
DROP FUNCTION annotate.next_url_for_annotation(integer, integer, integer, integer, integer, interval);
DROP FUNCTION annotate.next_url_for_anonymous_annotation(uuid, integer, integer, interval);
DROP FUNCTION annotate.refresh(boolean);
DROP FUNCTION annotate.reset_timings();
DROP FUNCTION annotate.status();
DROP FUNCTION annotate.timing_stats();
DROP FUNCTION annotate.verify();
DROP FUNCTION annotate.schedule_refresh(text);
DROP FUNCTION annotate.unschedule_refresh();
DROP FUNCTION annotate.release_claim(integer);
DROP FUNCTION annotate.try_claim(integer, integer, uuid, interval);
DROP FUNCTION annotate.leased_to_other(integer, integer, uuid);
DROP FUNCTION annotate.prune_claims();
DROP FUNCTION annotate.reconcile_queue();
DROP FUNCTION annotate.refollow(integer[]);
DROP FUNCTION annotate.queue_rows(integer[]);
DROP FUNCTION annotate.batch_followed(integer);
DROP FUNCTION annotate.on_vote_change();
DROP FUNCTION annotate.on_url_change();
DROP FUNCTION annotate.on_batch_link_change();
DROP FUNCTION annotate.on_batch_location_change();
DROP FUNCTION annotate.on_follow_change();
DROP FUNCTION annotate.on_flag_change();
DROP FUNCTION annotate.on_truncate();
DROP FUNCTION annotate.missing_app_tables();
DROP TABLE annotate.queue;
-- annotate.claims and annotate.refresh_log stay until the last part has carried them over;
-- claimant_done() with them (the last part reads leases through it).
