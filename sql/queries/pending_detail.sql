-- The URLs $3 with writes not yet folded that reached a caller's answer (src/selection.rs reads
-- this much of them only then): whether the caller, user $1 or session $2 (the other NULL),
-- annotated each, and the parts of the URL as the app composes it.
SELECT x.url_id, EXISTS (SELECT 1 FROM annotate_internal.is_done(x.url_id, $1::integer, $2::uuid)) AS done,
       u.scheme::pg_catalog.text, u.url::pg_catalog.text, u.trailing_slash
FROM pg_catalog.unnest($3::integer[]) AS x(url_id)
LEFT JOIN public.urls u ON u.id OPERATOR(pg_catalog.=) x.url_id
