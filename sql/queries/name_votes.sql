-- $1 url_id: the URL's name suggestions with their endorsements, each counted once.
-- (id, suggestion, user_endorsements, anon_endorsements, from_html_title)
SELECT s.id::int8,
       CASE WHEN s.suggestion IS NULL THEN NULL ELSE pg_catalog.format('%s', s.suggestion) END,
       (SELECT pg_catalog.count(*) FROM public.annotation__name__user__endorsements e WHERE e.suggestion_id OPERATOR(pg_catalog.=) s.id),
       (SELECT pg_catalog.count(*) FROM public.annotation__name__anon__endorsements e WHERE e.suggestion_id OPERATOR(pg_catalog.=) s.id),
       pg_catalog.format('%s', s.source) OPERATOR(pg_catalog.=) 'HTML Metadata Title'
FROM public.annotation__name__suggestions s
WHERE s.url_id OPERATOR(pg_catalog.=) $1
