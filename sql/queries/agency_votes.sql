-- $1 url_id: every agency suggested for the URL by a user, an anonymous visitor or a robot
-- (through the URL's auto subtasks), by agency id.
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
SELECT v.agency_id::int8, ag.name::text, pg_catalog.sum(v.user_rows)::int8, pg_catalog.sum(v.anon_rows)::int8,
       pg_catalog.max(v.confidence)::int8
FROM votes v
JOIN public.agencies ag ON ag.id OPERATOR(pg_catalog.=) v.agency_id
GROUP BY v.agency_id, ag.name
ORDER BY v.agency_id
