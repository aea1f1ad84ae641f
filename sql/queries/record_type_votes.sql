-- $1 url_id: record-type votes in the order they were seen: user votes, then anonymous ones,
-- each by time. (label, anonymous)
SELECT v.label, v.anonymous
FROM (
    SELECT CASE WHEN a.record_type IS NULL THEN NULL ELSE pg_catalog.format('%s', a.record_type) END AS label, false AS anonymous, 0 AS part, a.created_at, a.user_id::text AS voter
    FROM public.annotation__record_type__user a
    WHERE a.url_id OPERATOR(pg_catalog.=) $1
    UNION ALL
    SELECT CASE WHEN a.record_type IS NULL THEN NULL ELSE pg_catalog.format('%s', a.record_type) END, true, 1, a.created_at, a.session_id::text
    FROM public.annotation__record_type__anon a
    WHERE a.url_id OPERATOR(pg_catalog.=) $1
) v
ORDER BY v.part, v.created_at NULLS LAST, v.voter, v.label
