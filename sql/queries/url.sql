-- $1 url_id: the parts of the URL as the app composes it.
SELECT u.scheme::text, u.url, u.trailing_slash
FROM public.urls u
WHERE u.id OPERATOR(pg_catalog.=) $1
