-- $1 url_id: scraped HTML fields by content type.
SELECT h.content_type::text, h.content
FROM public.url_html_content h
WHERE h.url_id OPERATOR(pg_catalog.=) $1
