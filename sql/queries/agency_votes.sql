-- $1 url_id: every agency suggested for the URL by a user, an anonymous visitor or a robot
-- (through the URL's auto subtasks), counted per agency, then named by a lookup of each
-- (id, display_name, user_rows, anon_rows, max_confidence 0..100 or NULL)
WITH votes AS (
    SELECT a.agency_id, 1 AS user_rows, 0 AS anon_rows, NULL::int AS confidence
    FROM public.annotation__agency__user a
    WHERE a.url_id OPERATOR(pg_catalog.=) $1 AND a.agency_id IS NOT NULL
    UNION ALL
    SELECT a.agency_id, 0, 1, NULL
    FROM public.annotation__agency__anon a
    WHERE a.url_id OPERATOR(pg_catalog.=) $1
    UNION ALL
    SELECT s.agency_id, 0, 0, s.confidence
    FROM public.annotation__agency__auto__subtasks t
    JOIN public.annotation__agency__auto__suggestions s ON s.subtask_id OPERATOR(pg_catalog.=) t.id
    WHERE t.url_id OPERATOR(pg_catalog.=) $1 AND s.agency_id IS NOT NULL
)
SELECT c.id, n.display_name, c.user_rows, c.anon_rows, c.max_confidence
FROM (SELECT v.agency_id::int8 AS id, pg_catalog.sum(v.user_rows)::int8 AS user_rows,
             pg_catalog.sum(v.anon_rows)::int8 AS anon_rows,
             pg_catalog.max(v.confidence)::int8 AS max_confidence
      FROM votes v
      GROUP BY v.agency_id) c
-- One lookup per entity (never a walk of the whole table for its order).
JOIN LATERAL (SELECT CASE WHEN ag.name IS NULL THEN NULL ELSE pg_catalog.format('%s', ag.name) END AS display_name FROM public.agencies ag
              WHERE ag.id OPERATOR(pg_catalog.=) c.id) n ON true
