-- The whole response body (SPEC section 4), part by part.
DROP DATABASE IF EXISTS annotate_t_response;
CREATE DATABASE annotate_t_response TEMPLATE annotate_fixture;
\c annotate_t_response
CREATE EXTENSION annotate_ext;

INSERT INTO public.us_states (state_iso, state_name) VALUES ('PA', 'Pennsylvania');
INSERT INTO public.counties (fips, name, state_id) VALUES ('42003', 'Allegheny', 1);
INSERT INTO public.localities (name, county_id) VALUES ('Pittsburgh', 1);
SELECT id, type, full_display_name FROM public.locations_expanded ORDER BY id;
INSERT INTO public.agencies (id, name, jurisdiction_type) VALUES
    (1, 'Pittsburgh Police', 'local'), (2, 'Allegheny Sheriff', 'county'), (3, 'State Police', 'state');
INSERT INTO public.batches (id, strategy, status) VALUES (1, 'manual', 'ready to label');
INSERT INTO public.anonymous_sessions (id) SELECT ('00000000-0000-0000-0000-00000000000' || i)::uuid
FROM generate_series(1, 3) i;
INSERT INTO public.tasks (id, task_type, task_status) VALUES (1, 'Agency Identification', 'complete'),
                                                             (2, 'Location ID', 'complete');

-- No URL at all.
SELECT annotate.next_annotation(1);
SELECT annotate.next_anonymous_annotation('00000000-0000-0000-0000-000000000001');

-- URL composition: scheme://url, a trailing slash when flagged, the bare url without a scheme.
INSERT INTO public.urls (id, url, source, scheme, trailing_slash) VALUES
    (1, 'pd.example.gov/records', 'collector', 'https', true),
    (2, 'pd.example.gov/plain',   'collector', NULL,    true),
    (3, 'pd.example.gov/other',   'collector', 'http',  false);
INSERT INTO public.link_batches__urls (batch_id, url_id) VALUES (1, 1), (1, 2), (1, 3);
SELECT annotate.next_annotation(1)->'next_annotation'->'url_info' AS url_info;
SELECT annotate.annotation_for_url(2)->'url_info' AS url_2, annotate.annotation_for_url(3)->'url_info' AS url_3;

-- With nothing else known, every list is empty and html_info carries the app's defaults.
SELECT jsonb_pretty(annotate.next_annotation(1));

-- HTML content fills its fields by content type.
INSERT INTO public.url_html_content (url_id, content_type, content) VALUES
    (1, 'Title', 'Records'), (1, 'Description', 'Police records'), (1, 'H1', 'Welcome'),
    (1, 'H6', 'Small print'), (1, 'Div', 'Body text');
SELECT jsonb_pretty(annotate.annotation_for_url(1)->'html_info');

-- url_type_suggestions: a user vote counts 1, an anonymous one 0.5; top three; floor.
INSERT INTO public.annotation__url_type__user (url_id, user_id, type, created_at) VALUES
    (1, 10, 'meta url', '2026-01-01'), (1, 11, 'data source', '2026-01-02'),
    (1, 12, 'not relevant', '2026-01-03');
INSERT INTO public.annotation__url_type__anon (url_id, url_type, session_id) VALUES
    (1, 'data source', '00000000-0000-0000-0000-000000000001'),
    (1, 'data source', '00000000-0000-0000-0000-000000000002'),
    (1, 'broken page', '00000000-0000-0000-0000-000000000003');
-- data source 1 + 0.5 + 0.5 = 2; meta url 1 and not relevant 1 tie: the first seen wins;
-- broken page 0.5 is cut.
SELECT annotate.annotation_for_url(1)->'url_type_suggestions' AS url_type_suggestions;

-- record_type_suggestions: the same rule, robo_confidence 0.
INSERT INTO public.annotation__record_type__user (url_id, user_id, record_type) VALUES (1, 10, 'Stops');
INSERT INTO public.annotation__record_type__anon (url_id, record_type, session_id) VALUES
    (1, 'Arrest Records', '00000000-0000-0000-0000-000000000001'),
    (1, 'Arrest Records', '00000000-0000-0000-0000-000000000002'),
    (1, 'Arrest Records', '00000000-0000-0000-0000-000000000003');
SELECT annotate.annotation_for_url(1)->'record_type_suggestions' AS record_type_suggestions;

-- agency_suggestions: user rows + anon rows / 2; robo_confidence the max over the URL's auto
-- subtasks (0 if none); sorted by user_count + robo_confidence / 100; not_found_count.
INSERT INTO public.annotation__agency__user (agency_id, url_id, user_id) VALUES (1, 1, 10);
INSERT INTO public.annotation__agency__anon (url_id, agency_id, session_id) VALUES
    (1, 2, '00000000-0000-0000-0000-000000000001'), (1, 2, '00000000-0000-0000-0000-000000000002'),
    (1, 2, '00000000-0000-0000-0000-000000000003');
INSERT INTO public.annotation__agency__auto__subtasks (id, task_id, url_id, type, agencies_found) VALUES
    (1, 1, 1, 'homepage_match', true), (2, 1, 1, 'nlp_location_match', true), (3, 1, 2, 'homepage_match', true);
INSERT INTO public.annotation__agency__auto__suggestions (subtask_id, agency_id, confidence) VALUES
    (1, 2, 40), (2, 2, 75), (1, 3, 90), (3, 1, 99);
INSERT INTO public.link_user_suggestion_agency_not_found (user_id, url_id) VALUES (20, 1), (21, 1);
-- Agency 2: 3/2 = 1 user, robot max 75 -> 1.75; agency 1: 1 user -> 1.0; agency 3: robot 90 -> 0.9.
-- (Subtask 3 belongs to URL 2 and does not count here.)
SELECT jsonb_pretty(annotate.annotation_for_url(1)->'agency_suggestions');

-- location_suggestions: the same over locations, named by locations_expanded, robot
-- confidence rounded into 0..100.
INSERT INTO public.annotation__location__user (url_id, user_id, location_id) VALUES (1, 10, 3), (1, 11, 3);
INSERT INTO public.annotation__location__anon (url_id, location_id, session_id) VALUES
    (1, 2, '00000000-0000-0000-0000-000000000001');
INSERT INTO public.annotation__location__auto__subtasks (id, task_id, url_id, type, locations_found) VALUES
    (1, 2, 1, 'nlp_location_frequency', true);
INSERT INTO public.annotation__location__auto__suggestions (subtask_id, location_id, confidence) VALUES
    (1, 1, 64.6), (1, 2, 250);
INSERT INTO public.link_user_suggestion_location_not_found (user_id, url_id) VALUES (20, 1);
SELECT jsonb_pretty(annotate.annotation_for_url(1)->'location_suggestions');

-- name_suggestions: user endorsements + anon endorsements / 2, each endorsement once;
-- robo_count 1 for an HTML title; top three by user_count, then id.
INSERT INTO public.annotation__name__suggestions (id, url_id, suggestion, source) VALUES
    (1, 1, 'Records Portal', 'HTML Metadata Title'), (2, 1, 'PD Records', 'User'),
    (3, 1, 'Police Records', 'User'), (4, 1, 'Open Data', NULL), (5, 2, 'Other URL', 'User');
INSERT INTO public.annotation__name__user__endorsements (user_id, suggestion_id) VALUES (10, 3), (11, 3), (10, 4);
INSERT INTO public.annotation__name__anon__endorsements (session_id, suggestion_id) VALUES
    ('00000000-0000-0000-0000-000000000001', 2), ('00000000-0000-0000-0000-000000000002', 2),
    ('00000000-0000-0000-0000-000000000003', 4);
SELECT jsonb_pretty(annotate.annotation_for_url(1)->'name_suggestions');

-- batch_info only with a batch: URLs of the batch with at least one user agency annotation.
SELECT annotate.next_annotation(99, batch_id => 1)->'next_annotation'->'batch_info' AS with_batch,
       annotate.next_annotation(99)->'next_annotation'->'batch_info' AS without_batch;
SELECT annotate.next_annotation(99, batch_id => 2) AS unknown_batch;
-- The same counts whether the batch's writes wait to be folded (they are read and added) or
-- were folded (the folded counts alone): a fourth URL and a second annotated one, pending, then
-- folded; each against a count over the app's tables.
INSERT INTO public.urls (id, url, source) VALUES (50, 'example.org/fourth', 'collector');
INSERT INTO public.link_batches__urls (batch_id, url_id) VALUES (1, 50);
INSERT INTO public.annotation__agency__user (agency_id, url_id, user_id) VALUES (1, 2, 10);
CREATE TEMP VIEW batch_1_counts AS
SELECT count(*) AS total_urls,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM public.annotation__agency__user a WHERE a.url_id = l.url_id)) AS annotated
FROM public.link_batches__urls l WHERE l.batch_id = 1;
SELECT (SELECT count(*) FROM annotate_internal.pending_deltas()) > 0 AS pending,
       annotate.next_annotation(99, batch_id => 1)->'next_annotation'->'batch_info' AS batch_info,
       (SELECT row_to_json(c) FROM batch_1_counts c) AS reference;
-- (The folder, which runs in this layer, may have folded them first.)
SELECT annotate_internal.fold_now() >= 0 AS folded;
SELECT (SELECT count(*) FROM annotate_internal.pending_deltas()) > 0 AS pending,
       annotate.next_annotation(99, batch_id => 1)->'next_annotation'->'batch_info' AS batch_info,
       (SELECT row_to_json(c) FROM batch_1_counts c) AS reference;
DELETE FROM public.annotation__agency__user WHERE url_id = 2;
DELETE FROM public.link_batches__urls WHERE url_id = 50;
DELETE FROM public.urls WHERE id = 50;
SELECT annotate_internal.fold_now() >= 0 AS folded;
DROP VIEW batch_1_counts;

-- next_annotation picks the head of the user's queue; skip moves along it.
SELECT annotate.next_annotation(10)->'next_annotation'->'url_info'->'url_id' AS for_user_10,
       annotate.next_annotation(99, skip => 1)->'next_annotation'->'url_info'->'url_id' AS skip_1,
       annotate.next_annotation(99, url_id => 3)->'next_annotation'->'url_info'->'url_id' AS url_3;

-- The anonymous variant adds its session id.
SELECT annotate.next_anonymous_annotation('00000000-0000-0000-0000-000000000003')->'session_id' AS session_id,
       annotate.next_anonymous_annotation('00000000-0000-0000-0000-000000000003')->'next_annotation'->'url_info' AS url_info;

-- annotation_for_url ignores eligibility, and is NULL for a URL that does not exist.
INSERT INTO public.flag_url_validated (url_id, type) VALUES (2, 'data source');
SELECT annotate.annotation_for_url(2)->'url_info' AS validated_url, annotate.annotation_for_url(404) IS NULL AS missing;
SELECT annotate.annotation_for_url(NULL);

-- The top-level keys, exactly.
SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(annotate.next_annotation(99)->'next_annotation') k;
