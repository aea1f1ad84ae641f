-- Benchmark helpers, loaded into a seeded app database by benches/run. Everything lives in
-- schema bench; the baselines are plain SQL written from SPEC sections 3 and 4.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;

-- The app's original plain views (anon counts joined on their own ids), from the same
-- definitions the extension materializes.
DO $$
BEGIN
    EXECUTE 'CREATE VIEW bench.url_annotation_count_view AS '
            || pg_get_viewdef('annotate.url_annotation_count_view'::regclass);
    EXECUTE 'CREATE VIEW bench.url_annotation_flags AS '
            || pg_get_viewdef('annotate.url_annotation_flags'::regclass);
END $$;

-- The app's selection ($1 user, $2 batch or NULL), sorting every eligible URL on each call:
-- bench.app_selection over the plain views with inner joins (the app's query), and
-- bench.pr_selection over the materialized views with LEFT JOINs (the upstream PR's).
DO $make$
DECLARE
    body constant text := $q$
    SELECT u.id
    FROM public.urls u
    %1$s JOIN %2$s.url_annotation_count_view c ON c.url_id = u.id
    %1$s JOIN %2$s.url_annotation_flags f ON f.url_id = u.id
    LEFT JOIN public.link_batches__urls lb ON lb.url_id = u.id
    WHERE NOT EXISTS (SELECT 1 FROM public.flag_url_suspended s WHERE s.url_id = u.id)
      AND NOT EXISTS (SELECT 1 FROM public.flag_url_validated v WHERE v.url_id = u.id)
      AND NOT EXISTS (SELECT 1 FROM public.annotation__url_type__user a WHERE a.url_id = u.id AND a.user_id = p_user)
      AND NOT EXISTS (SELECT 1 FROM public.annotation__agency__user a WHERE a.url_id = u.id AND a.user_id = p_user)
      AND NOT EXISTS (SELECT 1 FROM public.annotation__location__user a WHERE a.url_id = u.id AND a.user_id = p_user)
      AND NOT EXISTS (SELECT 1 FROM public.annotation__record_type__user a WHERE a.url_id = u.id AND a.user_id = p_user)
      AND (p_batch IS NULL OR lb.batch_id = p_batch)
    ORDER BY EXISTS (SELECT 1 FROM public.link_batches__locations bl JOIN public.link__locations__user_follows fo
                     ON fo.location_id = bl.location_id WHERE bl.batch_id = lb.batch_id AND fo.user_id = p_user) DESC,
             EXISTS (SELECT 1 FROM public.link_batches__locations bl JOIN public.link__locations__user_follows fo
                     ON fo.location_id = bl.location_id WHERE bl.batch_id = lb.batch_id) DESC,
             u.source = 'manual' DESC,
             c.user_url_type_count DESC, c.anon_url_type_count DESC, c.auto_url_type_count DESC, u.id
    LIMIT 1
    $q$;
BEGIN
    EXECUTE 'CREATE FUNCTION bench.app_selection(p_user int, p_batch int) RETURNS SETOF int '
            'LANGUAGE sql STABLE AS ' || quote_literal(format(body, '', 'bench'));
    EXECUTE 'CREATE FUNCTION bench.pr_selection(p_user int, p_batch int) RETURNS SETOF int '
            'LANGUAGE sql STABLE AS ' || quote_literal(format(body, 'LEFT', 'annotate'));
END
$make$;

-- The app's whole GET: the selection, then its follow-up queries for that URL (five, and two
-- more with a batch), each a separate statement as the app sends them.
CREATE FUNCTION bench.app_response(p_user int, p_batch int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    v_url int;
    n int;
BEGIN
    SELECT bench.app_selection(p_user, p_batch) INTO v_url;
    IF v_url IS NULL THEN RETURN 0; END IF;
    PERFORM u.scheme, u.url, h.content_type, h.content
    FROM public.urls u LEFT JOIN public.url_html_content h ON h.url_id = u.id WHERE u.id = v_url;
    PERFORM s.agency_id, a.name, count(*)
    FROM (SELECT agency_id FROM public.annotation__agency__user WHERE url_id = v_url
          UNION ALL SELECT agency_id FROM public.annotation__agency__anon WHERE url_id = v_url
          UNION ALL SELECT g.agency_id FROM public.annotation__agency__auto__subtasks t
                    JOIN public.annotation__agency__auto__suggestions g ON g.subtask_id = t.id WHERE t.url_id = v_url) s
    JOIN public.agencies a ON a.id = s.agency_id GROUP BY s.agency_id, a.name;
    PERFORM s.location_id, le.full_display_name, count(*)
    FROM (SELECT location_id FROM public.annotation__location__user WHERE url_id = v_url
          UNION ALL SELECT location_id FROM public.annotation__location__anon WHERE url_id = v_url
          UNION ALL SELECT g.location_id FROM public.annotation__location__auto__subtasks t
                    JOIN public.annotation__location__auto__suggestions g ON g.subtask_id = t.id WHERE t.url_id = v_url) s
    JOIN public.locations_expanded le ON le.id = s.location_id GROUP BY s.location_id, le.full_display_name;
    PERFORM s.id, s.suggestion, count(e.user_id), count(ae.session_id)
    FROM public.annotation__name__suggestions s
    LEFT JOIN public.annotation__name__user__endorsements e ON e.suggestion_id = s.id
    LEFT JOIN public.annotation__name__anon__endorsements ae ON ae.suggestion_id = s.id
    WHERE s.url_id = v_url GROUP BY s.id, s.suggestion;
    PERFORM 'url_type', a.type::text, count(*) FROM public.annotation__url_type__user a WHERE a.url_id = v_url GROUP BY a.type
    UNION ALL
    SELECT 'record_type', a.record_type::text, count(*) FROM public.annotation__record_type__user a
    WHERE a.url_id = v_url GROUP BY a.record_type;
    IF p_batch IS NOT NULL THEN
        SELECT count(*) INTO n FROM public.link_batches__urls lb WHERE lb.batch_id = p_batch;
        SELECT count(DISTINCT lb.url_id) INTO n FROM public.link_batches__urls lb
        JOIN public.annotation__agency__user a ON a.url_id = lb.url_id WHERE lb.batch_id = p_batch;
    END IF;
    RETURN v_url;
END $$;

-- Server-side latency of `sql` over n calls with rotating arguments ($1 user from `users`,
-- $2 batch from `batches`), as (p50, p95, p99) in microseconds.
CREATE FUNCTION bench.latency(sql text, n int, users int[], batches int[])
RETURNS TABLE (p50_us float8, p95_us float8, p99_us float8, calls int) LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    samples float8[] := '{}';
    i int;
    u int;
    b int;
BEGIN
    EXECUTE sql USING users[1], batches[1];    -- warm up: prepare plans, fill caches
    FOR i IN 1 .. n LOOP
        u := users[1 + (i * 7919) % cardinality(users)];
        b := batches[1 + (i * 104729) % cardinality(batches)];
        t0 := clock_timestamp();
        EXECUTE sql USING u, b;
        samples := samples || (extract(epoch FROM clock_timestamp() - t0) * 1e6)::float8;
    END LOOP;
    RETURN QUERY
    SELECT percentile_cont(0.50) WITHIN GROUP (ORDER BY x), percentile_cont(0.95) WITHIN GROUP (ORDER BY x),
           percentile_cont(0.99) WITHIN GROUP (ORDER BY x), n
    FROM unnest(samples) x;
END $$;

