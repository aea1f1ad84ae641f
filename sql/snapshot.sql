-- Snapshot mode (SPEC 3.4, annotate.selection = snapshot): the upstream PR's selection, with
-- vote counts from annotate.url_annotation_count_view as of the last refresh (a URL missing
-- from it counts 0) and every filter and follow read live. It sorts every eligible URL by
-- design, so unlike the live walks it is planned for the values of each call, under the
-- planner's stock settings whatever the server's are (the SET clauses below).
CREATE FUNCTION annotate_internal.snapshot_candidates(p_user integer, p_session uuid, p_batch integer,
                                                      p_url integer, p_limit bigint, p_skip bigint)
RETURNS TABLE (url_id integer, scheme text, url text, trailing_slash boolean, followed_by_any_user boolean,
               is_manual boolean, user_url_type_count bigint, anon_url_type_count bigint,
               auto_url_type_count bigint, followed_by_user boolean, batch_id integer)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
SET plan_cache_mode = force_custom_plan
SET enable_seqscan = on SET enable_indexscan = on SET enable_indexonlyscan = on SET enable_bitmapscan = on
SET enable_sort = on SET enable_incremental_sort = on SET enable_hashagg = on SET enable_hashjoin = on
SET enable_mergejoin = on SET enable_nestloop = on SET enable_material = on SET enable_memoize = on
SET random_page_cost = 4 SET seq_page_cost = 1 SET cpu_tuple_cost = 0.01 SET cpu_index_tuple_cost = 0.005
SET cpu_operator_cost = 0.0025 SET work_mem = '64MB' SET hash_mem_multiplier = 16
SET from_collapse_limit = 8 SET join_collapse_limit = 8
AS $$
BEGIN
    RETURN QUERY
    -- Follows are per batch: computed once for every followed batch, not once per URL.
    WITH followed AS (
        SELECT bl.batch_id, pg_catalog.bool_or(fo.user_id OPERATOR(pg_catalog.=) p_user) AS by_user
        FROM public.link_batches__locations bl
        JOIN public.link__locations__user_follows fo ON fo.location_id OPERATOR(pg_catalog.=) bl.location_id
        GROUP BY bl.batch_id)
    SELECT u.id::integer,
           u.scheme::pg_catalog.text,
           u.url::pg_catalog.text,
           u.trailing_slash,
           f.followed_by_any_user,
           pg_catalog.format('%s', u.source) OPERATOR(pg_catalog.=) 'manual',   -- not a cast (fresh_queue())
           c.user_url_type_count,
           c.anon_url_type_count,
           c.auto_url_type_count,
           f.followed_by_user,
           lb.batch_id::integer
    FROM public.urls u
    LEFT JOIN public.link_batches__urls lb ON lb.url_id OPERATOR(pg_catalog.=) u.id
    LEFT JOIN followed fb ON fb.batch_id OPERATOR(pg_catalog.=) lb.batch_id
    CROSS JOIN LATERAL (
        SELECT COALESCE(fb.by_user, false) AS followed_by_user,
               fb.batch_id IS NOT NULL AS followed_by_any_user
    ) f
    LEFT JOIN annotate.url_annotation_count_view v ON v.url_id OPERATOR(pg_catalog.=) u.id
    CROSS JOIN LATERAL (
        SELECT COALESCE(v.user_url_type_count, 0) AS user_url_type_count,
               COALESCE(v.anon_url_type_count, 0) AS anon_url_type_count,
               COALESCE(v.auto_url_type_count, 0) AS auto_url_type_count
    ) c
    WHERE (p_batch IS NULL OR lb.batch_id OPERATOR(pg_catalog.=) p_batch)
      AND (p_url IS NULL OR u.id OPERATOR(pg_catalog.=) p_url)
      -- Flagged URLs: with a batch or URL filter (a custom plan: p_batch and p_url are
      -- constants in it), probed per URL as anti-joins; without one, hashed with the caller's
      -- annotations below (these anti-joins are then against nothing), as an empty flag table
      -- the planner expects one row of is rescanned once per URL.
      AND NOT EXISTS (SELECT 1 FROM public.flag_url_suspended s
                      WHERE s.url_id OPERATOR(pg_catalog.=) u.id AND (p_batch IS NOT NULL OR p_url IS NOT NULL))
      AND NOT EXISTS (SELECT 1 FROM public.flag_url_validated s
                      WHERE s.url_id OPERATOR(pg_catalog.=) u.id AND (p_batch IS NOT NULL OR p_url IS NOT NULL))
      -- The caller's annotations (and, without a filter, the flagged URLs), hashed once (a
      -- per-URL probe of each table would be run a million times at 1M URLs); url_id is NOT
      -- NULL in each, so NOT IN means "not among them". Written NOT (= ANY), as NOT IN parses:
      -- the planner hashes only an = ANY subplan (a <> ALL one is rescanned for every URL), and
      -- only one it expects to fit in work_mem times hash_mem_multiplier (both set above: some
      -- 20 million rows).
      AND NOT (u.id OPERATOR(pg_catalog.=) ANY (
          SELECT s.url_id FROM public.flag_url_suspended s WHERE p_batch IS NULL AND p_url IS NULL
          UNION ALL SELECT s.url_id FROM public.flag_url_validated s WHERE p_batch IS NULL AND p_url IS NULL
          UNION ALL SELECT a.url_id FROM public.annotation__url_type__user a WHERE a.user_id OPERATOR(pg_catalog.=) p_user
          UNION ALL SELECT a.url_id FROM public.annotation__agency__user a WHERE a.user_id OPERATOR(pg_catalog.=) p_user
          UNION ALL SELECT a.url_id FROM public.annotation__location__user a WHERE a.user_id OPERATOR(pg_catalog.=) p_user
          UNION ALL SELECT a.url_id FROM public.annotation__record_type__user a WHERE a.user_id OPERATOR(pg_catalog.=) p_user
          UNION ALL SELECT a.url_id FROM public.annotation__url_type__anon a WHERE a.session_id OPERATOR(pg_catalog.=) p_session
          UNION ALL SELECT a.url_id FROM public.annotation__agency__anon a WHERE a.session_id OPERATOR(pg_catalog.=) p_session
          UNION ALL SELECT a.url_id FROM public.annotation__location__anon a WHERE a.session_id OPERATOR(pg_catalog.=) p_session
          UNION ALL SELECT a.url_id FROM public.annotation__record_type__anon a WHERE a.session_id OPERATOR(pg_catalog.=) p_session))
    ORDER BY f.followed_by_user DESC,
             f.followed_by_any_user DESC,
             6 DESC,
             c.user_url_type_count DESC,
             c.anon_url_type_count DESC,
             c.auto_url_type_count DESC,
             u.id
    LIMIT p_limit OFFSET p_skip;
END
$$;
