-- $1 url_id: scraped HTML fields by content type.
SELECT CASE WHEN h.content_type IS NULL THEN NULL ELSE pg_catalog.format('%s', h.content_type) END, h.content
FROM public.url_html_content h
WHERE h.url_id OPERATOR(pg_catalog.=) $1
