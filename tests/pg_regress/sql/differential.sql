-- Differential test: a reference query written from SPEC section 3 alone, over plain SQL,
-- must give the same ordered URL list as annotate.next_url_for_annotation(max_urls => 50)
-- for 200 random (user, batch) pairs on random data that exercises every key.
DROP DATABASE IF EXISTS annotate_t_differential;
CREATE DATABASE annotate_t_differential TEMPLATE annotate_fixture;
\c annotate_t_differential
CREATE EXTENSION annotate_ext;
SELECT setseed(0.17);

-- Random data: 600 URLs in 16 batches (some in none), 12 localities, 30 users, 20 sessions.
-- Each locality is linked to a few batches, so that some users follow more batches than
-- selection walks one by one (src/selection.rs, MANY_FOLLOWED) and others fewer.
INSERT INTO public.us_states (state_iso, state_name) VALUES ('PA', 'Pennsylvania');
INSERT INTO public.counties (fips, name, state_id) VALUES ('42003', 'Allegheny', 1);
INSERT INTO public.localities (name, county_id) SELECT 'Town ' || i, 1 FROM generate_series(1, 12) i;
INSERT INTO public.agencies (name, jurisdiction_type) SELECT 'Agency ' || i, 'local' FROM generate_series(1, 5) i;
INSERT INTO public.batches (strategy, status) SELECT 'manual', 'ready to label' FROM generate_series(1, 16);
INSERT INTO public.anonymous_sessions (id) SELECT md5('s' || i)::uuid FROM generate_series(1, 20) i;
INSERT INTO public.urls (url, source)
SELECT 'r.example/' || i, CASE WHEN random() < 0.15 THEN 'manual' ELSE 'collector' END::public.url_source
FROM generate_series(1, 600) i;
INSERT INTO public.link_batches__urls (batch_id, url_id)
SELECT 1 + (random() * 15)::int, id FROM public.urls WHERE random() < 0.9;
INSERT INTO public.link_batches__locations (batch_id, location_id)
SELECT DISTINCT 1 + (random() * 15)::int, l.id FROM public.locations l, generate_series(1, 8)
WHERE l.type = 'Locality' AND random() < 0.5;
INSERT INTO public.link__locations__user_follows (location_id, user_id)
SELECT DISTINCT l.id, 1 + (random() * 29)::int FROM public.locations l, generate_series(1, 4)
WHERE l.type IN ('Locality', 'County') AND random() < 0.3;
-- Users 1-4 follow most localities: far more batches than MANY_FOLLOWED.
INSERT INTO public.link__locations__user_follows (location_id, user_id)
SELECT l.id, u FROM public.locations l, generate_series(1, 4) u
WHERE l.type = 'Locality' AND random() < 0.6
ON CONFLICT DO NOTHING;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type)
SELECT DISTINCT u.id, 1 + (random() * 29)::int, 'data source' FROM public.urls u, generate_series(1, 3) WHERE random() < 0.2
ON CONFLICT DO NOTHING;
INSERT INTO public.annotation__record_type__user (url_id, user_id, record_type)
SELECT DISTINCT u.id, 1 + (random() * 29)::int, 'Stops' FROM public.urls u WHERE random() < 0.1
ON CONFLICT DO NOTHING;
INSERT INTO public.annotation__agency__user (agency_id, url_id, user_id)
SELECT DISTINCT 1 + (random() * 4)::int, u.id, 1 + (random() * 29)::int FROM public.urls u WHERE random() < 0.1
ON CONFLICT DO NOTHING;
INSERT INTO public.annotation__location__user (url_id, user_id, location_id)
SELECT DISTINCT u.id, 1 + (random() * 29)::int, 1 FROM public.urls u WHERE random() < 0.1
ON CONFLICT DO NOTHING;
INSERT INTO public.annotation__url_type__anon (url_id, url_type, session_id)
SELECT DISTINCT u.id, 'meta url'::public.url_type, md5('s' || (1 + (random() * 19)::int))::uuid
FROM public.urls u, generate_series(1, 2) WHERE random() < 0.2
ON CONFLICT DO NOTHING;
INSERT INTO public.annotation__url_type__auto (url_id, relevant)
SELECT id, random() < 0.5 FROM public.urls WHERE random() < 0.5;
INSERT INTO public.flag_url_validated (url_id, type) SELECT id, 'data source' FROM public.urls WHERE random() < 0.15;
INSERT INTO public.flag_url_suspended (url_id) SELECT id FROM public.urls WHERE random() < 0.05;

-- The reference, from SPEC 3.1 and 3.2 only.
CREATE FUNCTION pg_temp.reference(p_user int, p_batch int, p_limit int DEFAULT 50) RETURNS int[] LANGUAGE sql AS $$
    WITH followed AS (
        SELECT bl.batch_id, bool_or(f.user_id = p_user) AS by_user
        FROM public.link_batches__locations bl
        JOIN public.link__locations__user_follows f ON f.location_id = bl.location_id
        GROUP BY bl.batch_id),
    votes AS (
        SELECT u.id,
               (SELECT count(*) FROM public.annotation__url_type__user a WHERE a.url_id = u.id) AS usr,
               (SELECT count(*) FROM public.annotation__url_type__anon a WHERE a.url_id = u.id) AS anon,
               (SELECT count(*) FROM public.annotation__url_type__auto a WHERE a.url_id = u.id) AS auto
        FROM public.urls u),
    ranked AS (
        SELECT u.id, COALESCE(fo.by_user, false) AS fu, fo.batch_id IS NOT NULL AS fa,
               u.source = 'manual' AS manual, v.usr, v.anon, v.auto
        FROM public.urls u
        JOIN votes v ON v.id = u.id
        LEFT JOIN public.link_batches__urls lb ON lb.url_id = u.id
        LEFT JOIN followed fo ON fo.batch_id = lb.batch_id
        WHERE u.id NOT IN (SELECT url_id FROM public.flag_url_suspended)
          AND u.id NOT IN (SELECT url_id FROM public.flag_url_validated)
          AND u.id NOT IN (SELECT url_id FROM public.annotation__url_type__user WHERE user_id = p_user
                           UNION SELECT url_id FROM public.annotation__agency__user WHERE user_id = p_user
                           UNION SELECT url_id FROM public.annotation__location__user WHERE user_id = p_user
                           UNION SELECT url_id FROM public.annotation__record_type__user WHERE user_id = p_user)
          AND (p_batch IS NULL OR lb.batch_id = p_batch))
    SELECT COALESCE(array_agg(id ORDER BY rn), '{}') FROM (
        SELECT id, row_number() OVER (ORDER BY fu DESC, fa DESC, manual DESC, usr DESC, anon DESC, auto DESC, id) AS rn
        FROM ranked) r WHERE rn <= p_limit
$$;

-- What the data covers, so the test cannot pass on an empty queue.
SELECT count(*) > 0 AS has_follows, (SELECT count(*) > 0 FROM public.link_batches__locations) AS has_batch_links,
       (SELECT count(DISTINCT source) = 2 FROM public.urls) AS has_manual,
       (SELECT count(*) > 0 FROM public.annotation__url_type__anon) AS has_anon_votes
FROM public.link__locations__user_follows;
SELECT count(*) FILTER (WHERE x.n > 8) > 0 AS some_follow_many_batches,
       count(*) FILTER (WHERE x.n BETWEEN 1 AND 8) > 0 AS some_follow_a_few
FROM (SELECT fo.user_id, count(DISTINCT bl.batch_id) AS n
      FROM public.link__locations__user_follows fo
      JOIN public.link_batches__locations bl ON bl.location_id = fo.location_id
      GROUP BY fo.user_id) x;

-- Every walk of the global order leaves a resume point (src/resume.rs), so that the calls below
-- for users who follow nothing start from their points, through the random writes too.
SET annotate.resume_after = 0;

CREATE TEMP TABLE pairs AS
SELECT i, 1 + (random() * 34)::int AS user_id,          -- users 31..35 have no rows at all
       CASE WHEN random() < 0.4 THEN NULL ELSE 1 + (random() * 16)::int END AS batch_id  -- 17 is unknown
FROM generate_series(1, 200) i;

SELECT count(*) AS pairs,
       count(*) FILTER (WHERE got = want) AS identical,
       count(*) FILTER (WHERE cardinality(want) = 50) AS full_pages,
       count(*) FILTER (WHERE cardinality(want) = 0) AS empty_answers
FROM (SELECT p.*, pg_temp.reference(p.user_id, p.batch_id) AS want,
             (SELECT COALESCE(array_agg(x.url_id ORDER BY x.n), '{}')
              FROM annotate.next_url_for_annotation(p.user_id, p.batch_id, max_urls => 50)
                   WITH ORDINALITY x(url_id, url, fu, fa, m, u, a, r, n)) AS got
      FROM pairs p) d;

-- Any difference, shown in full.
SELECT p.user_id, p.batch_id FROM pairs p
WHERE pg_temp.reference(p.user_id, p.batch_id)
      IS DISTINCT FROM (SELECT COALESCE(array_agg(x.url_id ORDER BY x.n), '{}')
              FROM annotate.next_url_for_annotation(p.user_id, p.batch_id, max_urls => 50)
                   WITH ORDINALITY x(url_id, url, fu, fa, m, u, a, r, n));

-- The same agreement while the data changes: 16 rounds of random writes of every kind the
-- queue watches (inserts, updates, deletes), each round its own transaction; after each,
-- verify() must be empty and 25 random (user, batch) pairs must agree with the reference.
CREATE TEMP TABLE rounds (round int, problems bigint, pairs int, identical int);
-- With follows false, no follow changes: a change of a batch's follow state voids every
-- resume point, and without one the calls start from their points.
CREATE PROCEDURE pg_temp.churn(n_rounds int, first int DEFAULT 1, follows boolean DEFAULT true) LANGUAGE plpgsql AS $$
DECLARE
    r int;
    top int;
    n_pairs int;
    n_identical int;
BEGIN
    FOR r IN first .. first + n_rounds - 1 LOOP
        -- Every user leaves a point before the round's writes (a transaction that wrote would not).
        PERFORM count(*) FROM generate_series(1, 35) u, annotate.next_url_for_annotation(u, max_urls => 50);
        COMMIT;
        SELECT max(id) INTO top FROM public.urls;
        INSERT INTO public.urls (id, url, source)
        SELECT top + i, 'r.example/new/' || (top + i),
               CASE WHEN random() < 0.3 THEN 'manual' ELSE 'collector' END::public.url_source
        FROM generate_series(1, 15) i;
        INSERT INTO public.link_batches__urls (batch_id, url_id)
        SELECT 1 + (random() * 15)::int, id FROM public.urls WHERE id > top AND random() < 0.8;
        UPDATE public.urls SET source = CASE WHEN source = 'manual' THEN 'collector' ELSE 'manual' END::public.url_source
        WHERE id IN (SELECT id FROM public.urls ORDER BY random() LIMIT 5);
        DELETE FROM public.urls WHERE id IN (SELECT id FROM public.urls ORDER BY random() LIMIT 4);
        UPDATE public.link_batches__urls SET batch_id = 1 + (random() * 15)::int
        WHERE url_id IN (SELECT url_id FROM public.link_batches__urls ORDER BY random() LIMIT 10);
        DELETE FROM public.link_batches__urls WHERE url_id IN (SELECT url_id FROM public.link_batches__urls ORDER BY random() LIMIT 3);
        INSERT INTO public.annotation__url_type__user (url_id, user_id, type)
        SELECT u.id, 1 + (random() * 29)::int, 'meta url' FROM public.urls u WHERE random() < 0.05
        ON CONFLICT DO NOTHING;
        DELETE FROM public.annotation__url_type__user WHERE (url_id, user_id) IN
            (SELECT url_id, user_id FROM public.annotation__url_type__user ORDER BY random() LIMIT 8);
        UPDATE public.annotation__url_type__user v SET url_id = t.id      -- a vote moves to the newest URL
        FROM (SELECT max(id) AS id FROM public.urls) t
        WHERE (v.url_id, v.user_id) IN (SELECT url_id, user_id FROM public.annotation__url_type__user ORDER BY random() LIMIT 1)
          AND NOT EXISTS (SELECT 1 FROM public.annotation__url_type__user x WHERE x.user_id = v.user_id AND x.url_id = t.id);
        INSERT INTO public.annotation__url_type__anon (url_id, url_type, session_id)
        SELECT u.id, 'data source', md5('s' || (1 + (random() * 19)::int))::uuid FROM public.urls u WHERE random() < 0.04
        ON CONFLICT DO NOTHING;
        DELETE FROM public.annotation__url_type__anon WHERE ctid IN (SELECT ctid FROM public.annotation__url_type__anon ORDER BY random() LIMIT 6);
        INSERT INTO public.annotation__url_type__auto (url_id, relevant)
        SELECT u.id, true FROM public.urls u WHERE random() < 0.05 ON CONFLICT DO NOTHING;
        DELETE FROM public.annotation__url_type__auto WHERE url_id IN (SELECT url_id FROM public.annotation__url_type__auto ORDER BY random() LIMIT 6);
        INSERT INTO public.annotation__agency__user (agency_id, url_id, user_id)
        SELECT 1, u.id, 1 + (random() * 29)::int FROM public.urls u WHERE random() < 0.03 ON CONFLICT DO NOTHING;
        DELETE FROM public.annotation__record_type__user WHERE (url_id, user_id) IN
            (SELECT url_id, user_id FROM public.annotation__record_type__user ORDER BY random() LIMIT 3);
        INSERT INTO public.flag_url_validated (url_id, type)
        SELECT id, 'data source' FROM public.urls WHERE random() < 0.02 ON CONFLICT DO NOTHING;
        DELETE FROM public.flag_url_validated WHERE url_id IN (SELECT url_id FROM public.flag_url_validated ORDER BY random() LIMIT 4);
        INSERT INTO public.flag_url_suspended (url_id)
        SELECT id FROM public.urls WHERE random() < 0.01 ON CONFLICT DO NOTHING;
        DELETE FROM public.flag_url_suspended WHERE url_id IN (SELECT url_id FROM public.flag_url_suspended ORDER BY random() LIMIT 2);
        IF follows THEN
            INSERT INTO public.link_batches__locations (batch_id, location_id)
            SELECT 1 + (random() * 15)::int, l.id FROM public.locations l WHERE l.type = 'Locality' AND random() < 0.1
            ON CONFLICT DO NOTHING;
            DELETE FROM public.link_batches__locations WHERE ctid IN (SELECT ctid FROM public.link_batches__locations ORDER BY random() LIMIT 2);
            INSERT INTO public.link__locations__user_follows (location_id, user_id)
            SELECT l.id, 1 + (random() * 29)::int FROM public.locations l WHERE random() < 0.1 ON CONFLICT DO NOTHING;
            DELETE FROM public.link__locations__user_follows WHERE ctid IN
                (SELECT ctid FROM public.link__locations__user_follows ORDER BY random() LIMIT 3);
        END IF;
        COMMIT;

        -- Compared in a transaction that writes nothing first (one that wrote uses no point).
        SELECT count(*), count(*) FILTER (WHERE got = want) INTO n_pairs, n_identical
        FROM (SELECT pg_temp.reference(p.user_id, p.batch_id) AS want,
                     (SELECT COALESCE(array_agg(x.url_id ORDER BY x.n), '{}')
                      FROM annotate.next_url_for_annotation(p.user_id, p.batch_id, max_urls => 50)
                           WITH ORDINALITY x(url_id, url, fu, fa, m, u, a, r, n)) AS got
              FROM (SELECT 1 + (random() * 34)::int AS user_id,
                           CASE WHEN random() < 0.4 THEN NULL ELSE 1 + (random() * 15)::int END AS batch_id
                    FROM generate_series(1, 25)) p) d;
        INSERT INTO rounds SELECT r, (SELECT count(*) FROM annotate.verify()), n_pairs, n_identical;
        COMMIT;
    END LOOP;
END
$$;
CALL pg_temp.churn(8);
CALL pg_temp.churn(8, first => 9, follows => false);
SELECT * FROM rounds ORDER BY round;
SELECT count(*) AS urls_now, (SELECT count(*) FROM annotate_internal.queue_now()) AS queued FROM public.urls;

-- A prolific annotator whose done URLs fill the head of the order: the walks' bounded probe
-- window overflows and they fall back to hashing the done set; the answer must not change.
INSERT INTO public.annotation__url_type__user (url_id, user_id, type)
SELECT url_id, 99, 'data source' FROM annotate.next_url_for_annotation(99, max_urls => 150);
INSERT INTO public.annotation__agency__user (agency_id, url_id, user_id)
SELECT 1, url_id, 99 FROM annotate.next_url_for_annotation(99, max_urls => 100);
SELECT b AS batch_id,
       pg_temp.reference(99, b) = (SELECT COALESCE(array_agg(x.url_id ORDER BY x.n), '{}')
                                   FROM annotate.next_url_for_annotation(99, b, max_urls => 50)
                                        WITH ORDINALITY x(url_id, url, fu, fa, m, u, a, r, n)) AS identical,
       cardinality(pg_temp.reference(99, b)) AS urls
FROM (VALUES (NULL::int), (1), (2), (3)) v(b);

-- Claims against the same reference: 150 calls in turn, each leasing (claim_for) 1-4 URLs for
-- a random user, some with a batch filter, users who follow nothing and new users among them
-- (they walk and lease in one statement; the others walk, merge, then lease). Each call must
-- get the caller's running leases first, then the reference order without the URLs that other
-- callers hold; the test keeps its own record of who holds what.
SELECT annotate_internal.fold_now() >= 0 AS folded;
CREATE TEMP TABLE held (url_id int PRIMARY KEY, user_id int NOT NULL);
CREATE TEMP TABLE claim_calls (i int, user_id int, batch_id int, n int, want int[], got int[]);
DO $$
DECLARE
    c record;
    want int[];
    got int[];
BEGIN
    FOR c IN SELECT i, 1 + (random() * 34)::int AS user_id,
                    CASE WHEN random() < 0.7 THEN NULL ELSE 1 + (random() * 15)::int END AS batch_id,
                    1 + (random() * 3)::int AS n
             FROM generate_series(1, 150) i ORDER BY i LOOP
        SELECT COALESCE(array_agg(x.id ORDER BY h.user_id IS NULL, x.ord), '{}') INTO want
        FROM unnest(pg_temp.reference(c.user_id, c.batch_id, 1000000)) WITH ORDINALITY x(id, ord)
        LEFT JOIN held h ON h.url_id = x.id
        WHERE h.user_id IS NULL OR h.user_id = c.user_id;
        want := want[1:c.n];
        SELECT COALESCE(array_agg(x.url_id ORDER BY x.k), '{}') INTO got
        FROM annotate.next_url_for_annotation(c.user_id, c.batch_id, max_urls => c.n, claim_for => '1 hour')
             WITH ORDINALITY x(url_id, url, fu, fa, m, u, a, r, k);
        INSERT INTO held SELECT g, c.user_id FROM unnest(got) g
        ON CONFLICT (url_id) DO UPDATE SET user_id = excluded.user_id;
        INSERT INTO claim_calls VALUES (c.i, c.user_id, c.batch_id, c.n, want, got);
    END LOOP;
END
$$;
SELECT count(*) AS calls, count(*) FILTER (WHERE got = want) AS identical,
       count(*) FILTER (WHERE cardinality(got) > 0) AS leased_some,
       count(*) FILTER (WHERE batch_id IS NULL AND NOT EXISTS (
           SELECT 1 FROM public.link__locations__user_follows f WHERE f.user_id = c.user_id)) AS follow_nothing,
       (SELECT count(*) FROM held) AS held,
       (SELECT count(*) FROM annotate_internal.queue WHERE leased) AS leased_rows,
       (SELECT count(*) FROM held h JOIN annotate_internal.queue q ON q.url_id = h.url_id
        WHERE q.leased AND q.lease_user = h.user_id) AS held_as_recorded
FROM claim_calls c;
SELECT i, user_id, batch_id, n, want, got FROM claim_calls WHERE got IS DISTINCT FROM want ORDER BY i;
