-- Write workloads for benches/run, loaded before the extension exists so that the same
-- writes can be timed without it and with it.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS bench_writes;

-- One POST's inserts for (user, url): the four user annotation tables, as separate statements
-- in one transaction of their own, committed, as the app's request does. The timings (µs)
-- land in bench_writes.samples; the rows are removed afterwards (not timed).
CREATE UNLOGGED TABLE bench_writes.samples (what text, us float8);

CREATE PROCEDURE bench_writes.post_inserts(n int) LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    took float8;
    i int;
    v_url int;
    v_loc int;
    v_user int;
BEGIN
    SELECT min(id) INTO v_loc FROM public.locations;
    COMMIT;
    FOR i IN 1 .. n LOOP
        v_user := 100000 + i;
        SELECT id INTO v_url FROM public.urls ORDER BY id OFFSET (i * 7919) % 5000 LIMIT 1;
        t0 := clock_timestamp();
        INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (v_url, v_user, 'data source');
        INSERT INTO public.annotation__record_type__user (url_id, user_id, record_type) VALUES (v_url, v_user, 'Stops');
        INSERT INTO public.annotation__agency__user (agency_id, url_id, user_id) VALUES (1, v_url, v_user);
        INSERT INTO public.annotation__location__user (url_id, user_id, location_id) VALUES (v_url, v_user, v_loc);
        COMMIT;
        took := extract(epoch FROM clock_timestamp() - t0) * 1e6;
        INSERT INTO bench_writes.samples VALUES ('post', took);
    END LOOP;
    DELETE FROM public.annotation__url_type__user WHERE user_id > 100000;
    DELETE FROM public.annotation__record_type__user WHERE user_id > 100000;
    DELETE FROM public.annotation__agency__user WHERE user_id > 100000;
    DELETE FROM public.annotation__location__user WHERE user_id > 100000;
    COMMIT;
END $$;

-- A 5,000-row bulk insert of agency auto subtasks in one statement (microseconds), rolled
-- back afterwards (deleting them would cascade through a column the app leaves unindexed).
CREATE FUNCTION bench_writes.bulk_subtasks() RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    took float8;
    v_task int;
BEGIN
    SELECT min(id) INTO v_task FROM public.tasks;
    BEGIN
        t0 := clock_timestamp();
        INSERT INTO public.annotation__agency__auto__subtasks (task_id, url_id, type, agencies_found)
        SELECT v_task, u.id, 'muckrock_match', false FROM public.urls u ORDER BY u.id LIMIT 5000;
        took := extract(epoch FROM clock_timestamp() - t0) * 1e6;
        RAISE EXCEPTION 'undo' USING ERRCODE = 'P0001';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    RETURN took;
END $$;
