-- $1 url_id: how many users said the URL's location could not be found.
SELECT pg_catalog.count(*) FROM public.link_user_suggestion_location_not_found n WHERE n.url_id OPERATOR(pg_catalog.=) $1
