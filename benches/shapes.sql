-- Callers of every shape the benchmark measures, added to a seeded database after CREATE
-- EXTENSION (through the app's tables, so through the extension's write path). Deterministic.
--   followers   users 5001, 5002, 5004, 5005, 5040: each follows a location of its own linked
--               to exactly 1, 2, 4, 5 and 40 batches (as many as exist at S), no annotations
--   annotators  users 6100, 8000 (2k), 16000 (10k), 46000 (40k, at L): each follows nothing and
--               annotated the first N URLs of its order (the global order): all at the head
--   both        user 7002 follows 2 batches and annotated the first 2,000 URLs of its order
--               (hundreds of them in its followed batches)
--   new user    user 9999: nothing at all
-- bench.shape_users says who is what; bench.batch_sizes names the largest and a small batch.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE TABLE bench.shape_users (shape text PRIMARY KEY, user_id int NOT NULL);

-- Followers: one new locality (so one location) per follower, linked to k batches spread
-- over the batch list (the largest batch, 1, is never one of them: its filter is its own shape).
DO $$
DECLARE
    k int;
    n_batches int := (SELECT count(*) FROM public.batches);
    loc bigint;
    county bigint := (SELECT min(id) FROM public.counties);
BEGIN
    FOREACH k IN ARRAY ARRAY[1, 2, 4, 5, 40] LOOP
        INSERT INTO public.localities (name, county_id) VALUES ('Shape locality ' || k, county);
        SELECT l.id INTO loc FROM public.locations l JOIN public.localities lo ON lo.id = l.locality_id
        WHERE lo.name = 'Shape locality ' || k;
        INSERT INTO public.link_batches__locations (batch_id, location_id)
        SELECT b.id, loc
        FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM public.batches) b
        WHERE n_batches = 1 OR (b.n > 1 AND (b.n - 2) % GREATEST((n_batches - 1) / k, 1) = 0)
        ORDER BY b.id LIMIT k;
        INSERT INTO public.link__locations__user_follows (location_id, user_id) VALUES (loc, 5000 + k);
        INSERT INTO bench.shape_users VALUES ('follows ' || k || ' batch' || CASE WHEN k > 1 THEN 'es' ELSE '' END,
                                              5000 + k);
    END LOOP;
END $$;

-- The global order as the queue holds it (the fold has caught up: refresh() first).
SELECT count(*) AS folded FROM annotate.refresh();
CREATE TEMP TABLE head AS
SELECT q.url_id, row_number() OVER (ORDER BY q.followed_any DESC, q.is_manual DESC, q.user_votes DESC,
                                             q.anon_votes DESC, q.auto_votes DESC, q.url_id) AS n
FROM annotate_internal.queue q
WHERE NOT q.validated AND NOT q.suspended;

-- Annotators: N url-type votes on the first N URLs, as many as there are at this scale.
DO $$
DECLARE
    many int;
    eligible int := (SELECT count(*) FROM head);
BEGIN
    FOREACH many IN ARRAY ARRAY[100, 2000, 10000, 40000] LOOP
        CONTINUE WHEN many > eligible / 2;
        INSERT INTO public.annotation__url_type__user (url_id, user_id, type)
        SELECT h.url_id, 6000 + many, 'data source' FROM head h WHERE h.n <= many;
        INSERT INTO bench.shape_users VALUES (many || ' annotations at the head', 6000 + many);
    END LOOP;
END $$;

-- Both: follows the 2 batches of follower 5002's location, annotated the head of its order.
INSERT INTO public.link__locations__user_follows (location_id, user_id)
SELECT location_id, 7002 FROM public.link__locations__user_follows WHERE user_id = 5002;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type)
SELECT x.url_id, 7002, 'data source'
FROM (SELECT q.url_id
      FROM annotate_internal.queue q
      LEFT JOIN public.link_batches__locations bl ON bl.batch_id = q.batch_id
           AND bl.location_id IN (SELECT location_id FROM public.link__locations__user_follows WHERE user_id = 7002)
      WHERE NOT q.validated AND NOT q.suspended
      GROUP BY q.url_id, q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes
      ORDER BY bool_or(bl.batch_id IS NOT NULL) DESC, q.followed_any DESC, q.is_manual DESC, q.user_votes DESC,
               q.anon_votes DESC, q.auto_votes DESC, q.url_id
      LIMIT LEAST(2000, (SELECT count(*) / 2 FROM head))) x;
INSERT INTO bench.shape_users VALUES ('follows 2 batches, 2000 annotations', 7002), ('new user', 9999);

-- The largest batch and a small one.
CREATE TABLE bench.batch_sizes AS
SELECT lb.batch_id, count(*) AS urls FROM public.link_batches__urls lb GROUP BY lb.batch_id;
SELECT count(*) AS folded FROM annotate.refresh();
VACUUM ANALYZE;
