-- Write workloads for benches/run: each kind of write the app makes, timed one transaction at a
-- time and committed as the app commits, its rows removed afterwards (not timed). benches/run
-- times each kind with the extension's triggers enabled and disabled, alternately, in the same
-- database: the difference is what the extension adds to the app's writes.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS bench_writes;
CREATE UNLOGGED TABLE IF NOT EXISTS bench_writes.samples (what text, us float8);
-- The anonymous sessions the votes come from (workload S has none).
INSERT INTO public.anonymous_sessions (id)
SELECT md5('session' || i)::uuid FROM generate_series(1, 1000) i ON CONFLICT DO NOTHING;

-- n writes of `kind`, each its own transaction; the microseconds of each land in samples.
--   post     one POST: the four user annotation tables, four statements
--   anon     an anonymous url-type vote
--   robot    a robot url-type vote (annotation__url_type__auto)
--   flag     a validation flag
--   follow   a user following a location
--   new_url  a new URL and its batch link
CREATE PROCEDURE bench_writes.run(kind text, n int) LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    i int;
    v_url int;
    v_loc bigint;
    v_user int;
    v_max int;
    v_batch int;
    free int[];   -- URLs the kind can write to without meeting an existing row
BEGIN
    IF kind = 'robot' THEN
        SELECT array_agg(u.id) INTO free FROM (SELECT u.id FROM public.urls u WHERE NOT EXISTS
            (SELECT 1 FROM public.annotation__url_type__auto a WHERE a.url_id = u.id) ORDER BY u.id LIMIT n) u;
    ELSIF kind = 'flag' THEN
        SELECT array_agg(u.id) INTO free FROM (SELECT u.id FROM public.urls u WHERE NOT EXISTS
            (SELECT 1 FROM public.flag_url_validated f WHERE f.url_id = u.id) ORDER BY u.id LIMIT n) u;
    END IF;
    SELECT min(id) INTO v_loc FROM public.locations;
    SELECT max(id), min(id) INTO v_max, v_url FROM public.urls;
    SELECT min(id) INTO v_batch FROM public.batches;
    COMMIT;
    FOR i IN 1 .. n LOOP
        v_user := 100000 + i;
        v_url := COALESCE(free[i], 1 + (i * 7919) % v_max);
        t0 := clock_timestamp();
        CASE kind
        WHEN 'post' THEN
            INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (v_url, v_user, 'data source');
            INSERT INTO public.annotation__record_type__user (url_id, user_id, record_type) VALUES (v_url, v_user, 'Stops');
            INSERT INTO public.annotation__agency__user (agency_id, url_id, user_id) VALUES (1, v_url, v_user);
            INSERT INTO public.annotation__location__user (url_id, user_id, location_id) VALUES (v_url, v_user, v_loc);
        WHEN 'anon' THEN
            INSERT INTO public.annotation__url_type__anon (url_id, url_type, session_id)
            VALUES (v_url, 'data source', md5('session' || (1 + i % 1000))::uuid);
        WHEN 'robot' THEN
            INSERT INTO public.annotation__url_type__auto (url_id, relevant, confidence, model_name)
            VALUES (v_url, true, 0.5, 'bench-' || i);
        WHEN 'flag' THEN
            INSERT INTO public.flag_url_validated (url_id, type) VALUES (v_url, 'data source');
        WHEN 'follow' THEN
            INSERT INTO public.link__locations__user_follows (location_id, user_id) VALUES (v_loc, v_user);
        WHEN 'new_url' THEN
            INSERT INTO public.urls (url, source) VALUES ('bench.example/' || i, 'collector') RETURNING id INTO v_url;
            INSERT INTO public.link_batches__urls (batch_id, url_id) VALUES (v_batch, v_url);
        END CASE;
        COMMIT;
        INSERT INTO bench_writes.samples VALUES (kind, extract(epoch FROM clock_timestamp() - t0) * 1e6);
    END LOOP;
    -- Undo (not timed).
    CASE kind
    WHEN 'post' THEN
        DELETE FROM public.annotation__url_type__user WHERE user_id > 100000;
        DELETE FROM public.annotation__record_type__user WHERE user_id > 100000;
        DELETE FROM public.annotation__agency__user WHERE user_id > 100000;
        DELETE FROM public.annotation__location__user WHERE user_id > 100000;
    WHEN 'anon' THEN
        DELETE FROM public.annotation__url_type__anon a
        WHERE a.created_at > now() - interval '1 hour' AND a.session_id IN (SELECT md5('session' || s)::uuid FROM generate_series(1, 1000) s)
          AND (a.url_id, a.session_id) NOT IN (SELECT url_id, session_id FROM bench_writes.anon_before);
    WHEN 'robot' THEN
        DELETE FROM public.annotation__url_type__auto WHERE model_name LIKE 'bench-%';
    WHEN 'flag' THEN
        DELETE FROM public.flag_url_validated f WHERE f.url_id NOT IN (SELECT url_id FROM bench_writes.flags_before);
    WHEN 'follow' THEN
        DELETE FROM public.link__locations__user_follows WHERE user_id > 100000;
    WHEN 'new_url' THEN
        DELETE FROM public.urls WHERE url LIKE 'bench.example/%';
    END CASE;
    COMMIT;
END $$;

-- What existed before, so that undoing removes only the benchmark's rows.
CREATE TABLE IF NOT EXISTS bench_writes.anon_before AS
    SELECT url_id, session_id FROM public.annotation__url_type__anon;
CREATE TABLE IF NOT EXISTS bench_writes.flags_before AS SELECT url_id FROM public.flag_url_validated;

-- A 5,000-row bulk insert of robot url-type votes in one statement (microseconds), rolled back
-- afterwards.
CREATE FUNCTION bench_writes.bulk() RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    took float8;
BEGIN
    BEGIN
        t0 := clock_timestamp();
        INSERT INTO public.annotation__url_type__auto (url_id, relevant, confidence, model_name)
        SELECT u.id, true, 0.5, 'bench-bulk' FROM public.urls u
        WHERE NOT EXISTS (SELECT 1 FROM public.annotation__url_type__auto a WHERE a.url_id = u.id)
        ORDER BY u.id LIMIT 5000;
        took := extract(epoch FROM clock_timestamp() - t0) * 1e6;
        RAISE EXCEPTION 'undo' USING ERRCODE = 'P0001';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    RETURN took;
END $$;

-- A TRUNCATE, timed and rolled back (a subtransaction undone), in milliseconds.
CREATE FUNCTION bench_writes.truncate_ms(stmt text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    took float8;
BEGIN
    BEGIN
        t0 := clock_timestamp();
        EXECUTE stmt;
        took := extract(epoch FROM clock_timestamp() - t0) * 1e3;
        RAISE EXCEPTION 'undo' USING ERRCODE = 'P0001';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    RETURN took;
END $$;

-- Where a vote's extra time goes: the same anonymous votes with, instead of the extension's
-- triggers, a statement trigger over the inserted rows that does nothing (the cost of the
-- trigger call and of PostgreSQL collecting the transition table), and one that appends a row
-- per inserted row to a table shaped and indexed as the extension's pending writes (the append
-- itself, through SQL).
CREATE FUNCTION bench_writes.nothing() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TABLE bench_writes.delta_like (LIKE annotate_internal.queue_delta INCLUDING DEFAULTS);
CREATE INDEX delta_like_xid ON bench_writes.delta_like (xid);
CREATE FUNCTION bench_writes.append_one() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO bench_writes.delta_like (xid, url_id, d_anon, done_session)
    SELECT pg_current_xact_id(), n.url_id, 1, n.session_id FROM inserted n;
    RETURN NULL;
END $$;
CREATE TRIGGER bench_nothing AFTER INSERT ON public.annotation__url_type__anon
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION bench_writes.nothing();
CREATE TRIGGER bench_append AFTER INSERT ON public.annotation__url_type__anon
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION bench_writes.append_one();
ALTER TABLE public.annotation__url_type__anon DISABLE TRIGGER bench_nothing, DISABLE TRIGGER bench_append;
