-- $1 url_id: every location suggested for the URL by a user, an anonymous visitor or a robot
-- (through the URL's auto subtasks), counted per location, then named by a lookup of each
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
SELECT c.id, n.display_name, c.user_rows, c.anon_rows, c.max_confidence
FROM (SELECT v.location_id::int8 AS id, pg_catalog.sum(v.user_rows)::int8 AS user_rows,
             pg_catalog.sum(v.anon_rows)::int8 AS anon_rows,
             LEAST(100, GREATEST(0, pg_catalog.round(pg_catalog.max(v.confidence))))::int8 AS max_confidence
      FROM votes v
      GROUP BY v.location_id) c
-- One lookup per entity (never a walk of the whole table for its order).
JOIN LATERAL (SELECT CASE WHEN ag.full_display_name IS NULL THEN NULL ELSE pg_catalog.format('%s', ag.full_display_name) END AS display_name FROM public.locations_expanded ag
              WHERE ag.id OPERATOR(pg_catalog.=) c.id) n ON true
