-- $1 url_id: url-type votes in the order they were seen: user votes, then anonymous ones,
-- each by time. (label, anonymous) Labels of the app's types are read with format(), never a
-- cast: a cast to text may be a function of the type's owner (README, Security).
SELECT v.label, v.anonymous
FROM (
    SELECT CASE WHEN a.type IS NULL THEN NULL ELSE pg_catalog.format('%s', a.type) END AS label, false AS anonymous, 0 AS part, a.created_at, a.user_id::text AS voter
    FROM public.annotation__url_type__user a
    WHERE a.url_id OPERATOR(pg_catalog.=) $1
    UNION ALL
    SELECT CASE WHEN a.url_type IS NULL THEN NULL ELSE pg_catalog.format('%s', a.url_type) END, true, 1, a.created_at, a.session_id::text
    FROM public.annotation__url_type__anon a
    WHERE a.url_id OPERATOR(pg_catalog.=) $1
) v
ORDER BY v.part, v.created_at NULLS LAST, v.voter, v.label
