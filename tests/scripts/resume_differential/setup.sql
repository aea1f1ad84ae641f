-- Setup for the randomized differential test of resume points (tests/scripts/resume_differential.sh,
-- in a fresh database made from annotate_fixture). Callers:
--   users 1, 2        follow nothing
--   user 3            follows locality L1 (batch 1)
--   user 4            follows the county (batches 2 and 3)
--   user 5            follows nothing, few annotations (usually keeps walking from the start)
--   sessions s1, s2   anonymous
-- Others (users 10..40, sessions s3..s8) vote and follow to move URLs around.
SET client_min_messages = warning;
SELECT setseed(0.4242);
INSERT INTO public.us_states (state_iso, state_name) VALUES ('PA', 'Pennsylvania');
INSERT INTO public.counties (fips, name, state_id) VALUES ('42003', 'Allegheny', 1);
INSERT INTO public.localities (name, county_id) SELECT 'L' || i, 1 FROM generate_series(1, 4) i;
INSERT INTO public.agencies (name, jurisdiction_type) SELECT 'Agency ' || i, 'local' FROM generate_series(1, 3) i;
INSERT INTO public.batches (id, strategy, status) SELECT i, 'manual', 'ready to label' FROM generate_series(1, 7) i;
SELECT setval(pg_get_serial_sequence('public.batches', 'id'), 7);
INSERT INTO public.anonymous_sessions (id) SELECT md5('s' || i)::uuid FROM generate_series(1, 8) i;

CREATE TABLE rd_loc (name text PRIMARY KEY, id bigint);
INSERT INTO rd_loc SELECT lo.name, l.id FROM public.locations l JOIN public.localities lo ON lo.id = l.locality_id;
INSERT INTO rd_loc SELECT 'county', id FROM public.locations WHERE type = 'County';
INSERT INTO rd_loc SELECT 'state', id FROM public.locations WHERE type = 'State';

-- 400 URLs, 15% manual; 85% in one of batches 1-6 (batch 7 starts empty).
INSERT INTO public.urls (id, url, source)
SELECT i, 'rd.example/' || i, CASE WHEN random() < 0.15 THEN 'manual' ELSE 'collector' END::public.url_source
FROM generate_series(1, 400) i;
SELECT setval(pg_get_serial_sequence('public.urls', 'id'), 400);
INSERT INTO public.link_batches__urls (batch_id, url_id)
SELECT 1 + floor(random() * 6)::int, id FROM public.urls WHERE random() < 0.85;
-- L1 -> batch 1 (user 3), county -> batches 2, 3 (user 4), L3 -> batch 4 (followed by user 50)
INSERT INTO public.link_batches__locations (batch_id, location_id)
SELECT b, (SELECT id FROM rd_loc WHERE name = n) FROM (VALUES (1, 'L1'), (2, 'county'), (3, 'county'), (4, 'L3'), (5, 'L4')) v(b, n);
INSERT INTO public.link__locations__user_follows (location_id, user_id)
SELECT (SELECT id FROM rd_loc WHERE name = n), u FROM (VALUES ('L1', 3), ('county', 4), ('L3', 50)) v(n, u);

-- Votes by other users on the first 250 URLs (more for lower ids), some anonymous and robot votes.
INSERT INTO public.annotation__url_type__user (url_id, user_id, type)
SELECT u.id, 10 + k, 'data source' FROM public.urls u, generate_series(0, 3) k
WHERE u.id <= 250 AND k <= (250 - u.id) / 70 AND random() < 0.9;
INSERT INTO public.annotation__url_type__anon (url_id, url_type, session_id)
SELECT u.id, 'meta url', md5('s' || (3 + floor(random() * 6)::int))::uuid FROM public.urls u WHERE random() < 0.25
ON CONFLICT DO NOTHING;
INSERT INTO public.annotation__url_type__auto (url_id, relevant) SELECT id, random() < 0.5 FROM public.urls WHERE random() < 0.4;
INSERT INTO public.flag_url_validated (url_id, type) SELECT id, 'data source' FROM public.urls WHERE random() < 0.05;
INSERT INTO public.flag_url_suspended (url_id) SELECT id FROM public.urls WHERE random() < 0.03;

CREATE EXTENSION annotate_ext;
SELECT annotate_internal.fold_now() >= 0 AS folded;

-- Each caller annotates the head of its own order (spread over the four tables of its kind),
-- so that its walks pass over many of its own URLs.
CREATE TEMP TABLE plan AS
SELECT u AS user_id, x.url_id, x.n FROM (VALUES (1, 120), (2, 70), (3, 40), (4, 70), (5, 8)) v(u, k),
     LATERAL annotate.next_url_for_annotation(u, max_urls => k) WITH ORDINALITY x(url_id, url, a, b, c, d, e, f, n);
-- The followers also annotated much of the head of the global order outside their batches.
INSERT INTO plan
SELECT u, g.url_id, 1000 + row_number() OVER (PARTITION BY u ORDER BY g.n)
FROM (VALUES (3, ARRAY[1], 80), (4, ARRAY[2, 3], 60)) v(u, mine, k),
     LATERAL (SELECT x.url_id, x.n FROM annotate.next_url_for_annotation(99, max_urls => 300)
                  WITH ORDINALITY x(url_id, url, a, b, c, d, e, f, n)
              JOIN public.link_batches__urls l ON l.url_id = x.url_id
              WHERE NOT l.batch_id = ANY (mine) ORDER BY x.n LIMIT k) g;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type)
SELECT url_id, user_id, 'data source' FROM plan WHERE n % 4 = 0;
INSERT INTO public.annotation__record_type__user (url_id, user_id, record_type)
SELECT url_id, user_id, 'Stops' FROM plan WHERE n % 4 = 1;
INSERT INTO public.annotation__agency__user (agency_id, url_id, user_id)
SELECT 1 + (n % 3)::int, url_id, user_id FROM plan WHERE n % 4 = 2;
INSERT INTO public.annotation__location__user (url_id, user_id, location_id)
SELECT url_id, user_id, (SELECT id FROM rd_loc WHERE name = 'L2') FROM plan WHERE n % 4 = 3;
CREATE TEMP TABLE aplan AS
SELECT s, x.url_id, x.n FROM (VALUES (md5('s1')::uuid, 110), (md5('s2')::uuid, 60)) v(s, k),
     LATERAL annotate.next_url_for_anonymous_annotation(s, max_urls => k) WITH ORDINALITY x(url_id, url, a, b, c, d, e, f, n);
INSERT INTO public.annotation__url_type__anon (url_id, url_type, session_id) SELECT url_id, 'data source', s FROM aplan WHERE n % 4 = 0;
INSERT INTO public.annotation__record_type__anon (url_id, record_type, session_id) SELECT url_id, 'Stops', s FROM aplan WHERE n % 4 = 1;
INSERT INTO public.annotation__agency__anon (url_id, agency_id, session_id) SELECT url_id, 1, s FROM aplan WHERE n % 4 = 2;
INSERT INTO public.annotation__location__anon (url_id, location_id, session_id)
SELECT url_id, (SELECT id FROM rd_loc WHERE name = 'L2'), s FROM aplan WHERE n % 4 = 3;
SELECT annotate_internal.fold_now() >= 0 AS folded;
ANALYZE;

-- The callers and the shapes compared.
CREATE TABLE rd_callers (name text PRIMARY KEY, user_id int, session uuid, batch int);
INSERT INTO rd_callers VALUES
    ('u1', 1, NULL, NULL), ('u2', 2, NULL, NULL), ('u3', 3, NULL, NULL), ('u4', 4, NULL, NULL),
    ('u5', 5, NULL, NULL), ('s1', NULL, md5('s1')::uuid, NULL), ('s2', NULL, md5('s2')::uuid, NULL),
    ('u1/b2', 1, NULL, 2), ('u3/b1', 3, NULL, 1), ('u4/b3', 4, NULL, 3), ('u2/b7', 2, NULL, 7);

-- One answer, with resume points kept after every walk (0) or never used (-1); the setting
-- is made for this call alone, inside the function.
CREATE FUNCTION rd_ans(u int, s uuid, b int, m int, sk int, resume boolean) RETURNS int[] LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('annotate.resume_after', CASE WHEN resume THEN '0' ELSE '-1' END, true);
    IF s IS NOT NULL THEN
        RETURN ARRAY(SELECT x.url_id FROM annotate.next_url_for_anonymous_annotation(s, max_urls => m, skip => sk)
                     WITH ORDINALITY x(url_id, url, a, b, c, d, e, f, n) ORDER BY x.n);
    END IF;
    RETURN ARRAY(SELECT x.url_id FROM annotate.next_url_for_annotation(u, b, max_urls => m, skip => sk)
                 WITH ORDINALITY x(url_id, url, a, b, c, d, e, f, n) ORDER BY x.n);
END $$;

CREATE TABLE rd_cmp (round int, caller text, m int, sk int, first int[], second int[], reference int[], phase text);
CREATE TABLE rd_writes (round int, seq int, kind text, sql text, rows int);
CREATE TABLE rd_verify (round int, problems bigint);
