-- Which URL comes next (SPEC section 3): one example per eligibility rule and per ordering key.
DROP DATABASE IF EXISTS annotate_t_selection;
CREATE DATABASE annotate_t_selection TEMPLATE annotate_fixture;
\c annotate_t_selection
CREATE EXTENSION annotate_ext;
-- refresh() reports each step as a NOTICE with its seconds, which vary from run to run.
SET client_min_messages = warning;

-- Two batches; batch 1 is linked to a locality that user 5 follows.
INSERT INTO public.us_states (state_iso, state_name) VALUES ('PA', 'Pennsylvania');
INSERT INTO public.counties (fips, name, state_id) VALUES ('42003', 'Allegheny', 1);
INSERT INTO public.localities (name, county_id) VALUES ('Pittsburgh', 1);
INSERT INTO public.batches (id, strategy, status) VALUES (1, 'manual', 'ready to label'), (2, 'ckan', 'ready to label');
INSERT INTO public.anonymous_sessions (id) VALUES ('00000000-0000-0000-0000-0000000000a1'),
                                                  ('00000000-0000-0000-0000-0000000000a2');
INSERT INTO public.urls (id, url, source, scheme) SELECT i, 'example.com/' || i, 'collector', 'https'
FROM generate_series(1, 6) i;
INSERT INTO public.link_batches__urls (batch_id, url_id) VALUES (2, 1), (2, 2), (2, 3), (1, 4), (1, 5);

-- With nothing to tell them apart, URLs come by id; URL 6 is in no batch.
SELECT url_id, url FROM annotate.next_url_for_annotation(user_id => 1, max_urls => 10);

-- Order key 3: manual URLs first.
UPDATE public.urls SET source = 'manual' WHERE id = 3;
SELECT url_id, is_manual FROM annotate.next_url_for_annotation(1, max_urls => 3);

-- Order key 4: more user url-type votes first, then anonymous, then robot votes.
INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (6, true);
INSERT INTO public.annotation__url_type__anon (url_id, url_type, session_id)
VALUES (5, 'data source', '00000000-0000-0000-0000-0000000000a1');
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (2, 9, 'meta url');
SELECT url_id, is_manual, user_url_type_count AS u, anon_url_type_count AS a, auto_url_type_count AS r
FROM annotate.next_url_for_annotation(1, max_urls => 10);

-- Order keys 1 and 2: a batch linked to a followed location comes first, for everyone
-- (followed_by_any_user) and before that for the follower (followed_by_user).
INSERT INTO public.link_batches__locations (batch_id, location_id)
SELECT 1, id FROM public.locations WHERE type = 'Locality';
INSERT INTO public.link__locations__user_follows (location_id, user_id)
SELECT id, 5 FROM public.locations WHERE type = 'Locality';
SELECT url_id, followed_by_user, followed_by_any_user FROM annotate.next_url_for_annotation(1, max_urls => 3);
SELECT url_id, followed_by_user, followed_by_any_user FROM annotate.next_url_for_annotation(5, max_urls => 3);

-- Eligibility 1 and 2: suspended and validated URLs leave the queue.
INSERT INTO public.flag_url_suspended (url_id) VALUES (4);
INSERT INTO public.flag_url_validated (url_id, type) VALUES (5, 'data source');
SELECT array_agg(url_id) AS queue FROM annotate.next_url_for_annotation(1, max_urls => 10);

-- Eligibility 3: a URL the user annotated in any of the four user tables is skipped for that
-- user only; a name endorsement or a "not found" does not count.
INSERT INTO public.annotation__record_type__user (url_id, user_id, record_type) VALUES (1, 1, 'Stops');
INSERT INTO public.agencies (id, name, jurisdiction_type) VALUES (1, 'Police', 'local');
INSERT INTO public.annotation__agency__user (agency_id, url_id, user_id) VALUES (1, 2, 1);
INSERT INTO public.annotation__location__user (url_id, user_id, location_id) VALUES (3, 1, 1);
INSERT INTO public.annotation__name__suggestions (id, url_id, suggestion) VALUES (1, 6, 'A name');
INSERT INTO public.annotation__name__user__endorsements (user_id, suggestion_id) VALUES (1, 1);
INSERT INTO public.link_user_suggestion_agency_not_found (user_id, url_id) VALUES (1, 6);
SELECT array_agg(url_id) AS queue_user_1 FROM annotate.next_url_for_annotation(1, max_urls => 10);
SELECT array_agg(url_id) AS queue_user_2 FROM annotate.next_url_for_annotation(2, max_urls => 10);
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (6, 1, 'data source');
SELECT array_agg(url_id) AS queue_user_1 FROM annotate.next_url_for_annotation(1, max_urls => 10);

-- Eligibility 4 and 5: batch and url filters; other rules still apply; unknown ids give nothing.
SELECT array_agg(url_id) AS batch_2 FROM annotate.next_url_for_annotation(2, batch_id => 2, max_urls => 10);
SELECT url_id FROM annotate.next_url_for_annotation(2, url_id => 3);
SELECT url_id FROM annotate.next_url_for_annotation(2, url_id => 4);      -- suspended
SELECT url_id FROM annotate.next_url_for_annotation(2, batch_id => 2, url_id => 6);  -- not in batch 2
SELECT count(*) FROM annotate.next_url_for_annotation(2, batch_id => 999);
SELECT count(*) FROM annotate.next_url_for_annotation(2, url_id => 999);

-- Paging: skip and max_urls walk the same order.
SELECT array_agg(url_id) AS all_for_2 FROM annotate.next_url_for_annotation(2, max_urls => 10);
SELECT array_agg(url_id) AS page_2 FROM annotate.next_url_for_annotation(2, max_urls => 2, skip => 2);

-- Anonymous sessions (SPEC 3.3): no follow key for the caller; their own anon rows exclude.
SELECT url_id, followed_by_user, followed_by_any_user, anon_url_type_count
FROM annotate.next_url_for_anonymous_annotation('00000000-0000-0000-0000-0000000000a2', max_urls => 10);
INSERT INTO public.annotation__agency__anon (url_id, agency_id, session_id)
VALUES (2, 1, '00000000-0000-0000-0000-0000000000a2');
SELECT array_agg(url_id) AS queue_a2 FROM annotate.next_url_for_anonymous_annotation('00000000-0000-0000-0000-0000000000a2', max_urls => 10);
SELECT array_agg(url_id) AS queue_a1 FROM annotate.next_url_for_anonymous_annotation('00000000-0000-0000-0000-0000000000a1', max_urls => 10);

-- Snapshot mode (SPEC 3.4): counts as of the last refresh, filters live, a missing count is 0.
SELECT count(*) AS refresh_steps FROM annotate.refresh();
SET annotate.selection = snapshot;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (3, 8, 'data source'), (3, 9, 'data source');
INSERT INTO public.urls (id, url, source) VALUES (7, 'example.com/new', 'collector');
SELECT url_id, user_url_type_count AS u FROM annotate.next_url_for_annotation(2, max_urls => 10);
-- A URL filter reads only that URL's flags: the flagged ones still come back empty.
SELECT url_id FROM annotate.next_url_for_annotation(2, url_id => 3);
SELECT url_id FROM annotate.next_url_for_annotation(2, url_id => 4);      -- suspended
SELECT url_id FROM annotate.next_url_for_annotation(2, url_id => 5);      -- validated
-- So does a batch filter: batch 1 holds URL 4 (suspended) and 5 (validated) only.
SELECT array_agg(url_id) AS snapshot_batch_1 FROM annotate.next_url_for_annotation(2, batch_id => 1, max_urls => 10);
SELECT array_agg(url_id) AS snapshot_batch_2 FROM annotate.next_url_for_annotation(2, batch_id => 2, max_urls => 10);
SET annotate.selection = live;
SELECT url_id, user_url_type_count AS u FROM annotate.next_url_for_annotation(2, max_urls => 10);
SET annotate.selection = snapshot;
SELECT count(*) AS refresh_steps FROM annotate.refresh();
SELECT url_id, user_url_type_count AS u FROM annotate.next_url_for_annotation(2, max_urls => 10);
SELECT annotate.status()->>'selection' AS mode;
RESET annotate.selection;

-- Writes not yet folded: their state is read for every one, but whether the caller annotated a
-- URL, and its text, only for those that reach the answer. In one transaction (its writes stay
-- pending until it commits and they are folded) user 3 annotates the first two URLs of its
-- answer and four users vote for its last: the answer leaves the two out, lets the next in,
-- lifts the last, and names each URL, as the same call does once the writes are folded.
CREATE TEMP TABLE before AS
SELECT t.url_id, t.ord FROM annotate.next_url_for_annotation(3, max_urls => 10) WITH ORDINALITY
    AS t(url_id, url, fu, fa, im, u, a, r, ord);
BEGIN;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type)
SELECT b.url_id, 3, 'data source' FROM before b WHERE b.ord <= 2;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type)
SELECT (SELECT b.url_id FROM before b ORDER BY b.ord DESC LIMIT 1), u, 'meta url' FROM generate_series(11, 14) u;
CREATE TEMP TABLE pending_answer AS
SELECT t.url_id, t.url, t.ord FROM annotate.next_url_for_annotation(3, max_urls => 3) WITH ORDINALITY
    AS t(url_id, url, fu, fa, im, u, a, r, ord);
SELECT count(*) > 0 AS writes_pending FROM annotate_internal.queue_delta;
COMMIT;
SELECT annotate_internal.fold_now() >= 0 AS folded;
CREATE TEMP TABLE folded_answer AS
SELECT t.url_id, t.url, t.ord FROM annotate.next_url_for_annotation(3, max_urls => 3) WITH ORDINALITY
    AS t(url_id, url, fu, fa, im, u, a, r, ord);
SELECT (SELECT array_agg(p.url_id ORDER BY p.ord) FROM pending_answer p)
           = (SELECT array_agg(f.url_id ORDER BY f.ord) FROM folded_answer f) AS same_urls,
       (SELECT array_agg(p.url ORDER BY p.ord) FROM pending_answer p)
           = (SELECT array_agg(f.url ORDER BY f.ord) FROM folded_answer f) AS same_text,
       NOT EXISTS (SELECT 1 FROM pending_answer p JOIN before b USING (url_id) WHERE b.ord <= 2) AS annotated_left_out,
       (SELECT count(*) FROM before) > 3
           AND EXISTS (SELECT 1 FROM pending_answer p
                       WHERE p.url_id = (SELECT b.url_id FROM before b ORDER BY b.ord DESC LIMIT 1)) AS last_lifted,
       (SELECT bool_and(p.url LIKE '%example.com/%') FROM pending_answer p) AS named;
DELETE FROM public.annotation__url_type__user WHERE user_id = 3 OR user_id BETWEEN 11 AND 14;
SELECT annotate_internal.fold_now() >= 0 AS folded;

-- Follow changes not yet folded. One that leaves a batch followed (a second follower of the
-- locality user 5 follows) moves nothing: the answer of user 3, who follows nothing, walks the
-- batch's rows where the index has them. One that ends the batch's following (its link to the
-- locality removed) moves its URLs down. Each answer, taken in the open transaction, is the
-- one the same call gives once the change is folded. (URL 8 is batch 1's one eligible URL.)
INSERT INTO public.urls (id, url, source, scheme) VALUES (8, 'example.com/8', 'collector', 'https');
INSERT INTO public.link_batches__urls (batch_id, url_id) VALUES (1, 8);
SELECT annotate_internal.fold_now() >= 0 AS folded;
CREATE TEMP TABLE followed_before AS
SELECT t.url_id, t.ord FROM annotate.next_url_for_annotation(3, max_urls => 10) WITH ORDINALITY
    AS t(url_id, url, fu, fa, im, u, a, r, ord);
BEGIN;
INSERT INTO public.link__locations__user_follows (location_id, user_id)
SELECT id, 2 FROM public.locations WHERE type = 'Locality';
CREATE TEMP TABLE second_follower AS
SELECT t.url_id, t.fa, t.ord FROM annotate.next_url_for_annotation(3, max_urls => 10) WITH ORDINALITY
    AS t(url_id, url, fu, fa, im, u, a, r, ord);
SELECT count(*) > 0 AS follow_pending FROM annotate_internal.batch_event;
COMMIT;
SELECT annotate_internal.fold_now() >= 0 AS folded;
BEGIN;
DELETE FROM public.link_batches__locations WHERE batch_id = 1;
CREATE TEMP TABLE unfollowed AS
SELECT t.url_id, t.fa, t.ord FROM annotate.next_url_for_annotation(3, max_urls => 10) WITH ORDINALITY
    AS t(url_id, url, fu, fa, im, u, a, r, ord);
SELECT count(*) > 0 AS follow_pending FROM annotate_internal.batch_event;
COMMIT;
SELECT annotate_internal.fold_now() >= 0 AS folded;
CREATE TEMP TABLE unfollowed_folded AS
SELECT t.url_id, t.fa, t.ord FROM annotate.next_url_for_annotation(3, max_urls => 10) WITH ORDINALITY
    AS t(url_id, url, fu, fa, im, u, a, r, ord);
SELECT (SELECT array_agg(s.url_id ORDER BY s.ord) FROM second_follower s)
           = (SELECT array_agg(b.url_id ORDER BY b.ord) FROM followed_before b) AS second_follower_same,
       (SELECT bool_or(s.fa) FROM second_follower s) AS batch_still_followed,
       (SELECT array_agg(u.url_id ORDER BY u.ord) FROM unfollowed u)
           = (SELECT array_agg(f.url_id ORDER BY f.ord) FROM unfollowed_folded f) AS unfollowed_same,
       (SELECT array_agg(u.url_id ORDER BY u.ord) FROM unfollowed u)
           <> (SELECT array_agg(b.url_id ORDER BY b.ord) FROM followed_before b) AS unfollow_moved,
       NOT (SELECT bool_or(u.fa) FROM unfollowed u) AS none_followed;
INSERT INTO public.link_batches__locations (batch_id, location_id)
SELECT 1, id FROM public.locations WHERE type = 'Locality';
DELETE FROM public.link__locations__user_follows WHERE user_id = 2;
DELETE FROM public.link_batches__urls WHERE url_id = 8;
DELETE FROM public.urls WHERE id = 8;
SELECT annotate_internal.fold_now() >= 0 AS folded;

-- Bad input: a clear error naming the argument.
SELECT * FROM annotate.next_url_for_annotation(NULL);
SELECT * FROM annotate.next_url_for_annotation(1, max_urls => 0);
SELECT * FROM annotate.next_url_for_annotation(1, skip => -1);
SELECT * FROM annotate.next_url_for_anonymous_annotation(NULL);
SELECT * FROM annotate.next_url_for_anonymous_annotation('00000000-0000-0000-0000-0000000000a1', max_urls => -5);
SELECT annotate.next_annotation(NULL);
SELECT annotate.next_annotation(1, skip => -1);
SELECT annotate.next_anonymous_annotation(NULL);
SELECT * FROM annotate.next_url_for_annotation(1, claim_for => '-5 minutes');
SET annotate.selection = sometimes;
