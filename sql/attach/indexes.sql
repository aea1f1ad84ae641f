-- Indexes the app lacks for "rows of this URL" lookups (SPEC 2.3, the "no" rows), for the
-- URLs of one batch and for a user's follows and annotations. They carry the annotate_ prefix;
-- sql/attach.sql ties them to the extension.

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
CREATE INDEX IF NOT EXISTS annotate_batch_locations_location_id
    ON public.link_batches__locations (location_id, batch_id);
-- A user's own annotations, for "not one this user already did" (two tables lack the index).
CREATE INDEX IF NOT EXISTS annotate_agency_user_user_id   ON public.annotation__agency__user (user_id, url_id);
CREATE INDEX IF NOT EXISTS annotate_location_user_user_id ON public.annotation__location__user (user_id, url_id);
