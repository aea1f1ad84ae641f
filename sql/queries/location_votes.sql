-- $1 url_id: every location suggested for the URL by a user, an anonymous visitor or a robot
-- (through the URL's auto subtasks), by location id.
-- (id, display_name, user_rows, anon_rows, max_confidence rounded into 0..100 or NULL)
WITH votes AS (
    SELECT a.location_id, 1 AS user_rows, 0 AS anon_rows, NULL::float8 AS confidence
    FROM public.annotation__location__user a
    WHERE a.url_id OPERATOR(pg_catalog.=) $1
    UNION ALL
    SELECT a.location_id, 0, 1, NULL
    FROM public.annotation__location__anon a
    WHERE a.url_id OPERATOR(pg_catalog.=) $1
    UNION ALL
    SELECT s.location_id, 0, 0, s.confidence
    FROM public.annotation__location__auto__subtasks t
    JOIN public.annotation__location__auto__suggestions s ON s.subtask_id OPERATOR(pg_catalog.=) t.id
    WHERE t.url_id OPERATOR(pg_catalog.=) $1
)
SELECT v.location_id::int8, le.full_display_name::text, pg_catalog.sum(v.user_rows)::int8,
       pg_catalog.sum(v.anon_rows)::int8,
       LEAST(100, GREATEST(0, pg_catalog.round(pg_catalog.max(v.confidence))))::int8
FROM votes v
JOIN public.locations_expanded le ON le.id OPERATOR(pg_catalog.=) v.location_id
GROUP BY v.location_id, le.full_display_name
ORDER BY v.location_id
