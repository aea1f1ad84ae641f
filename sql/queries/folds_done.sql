-- How many of the URLs $1 have a queue row yet, as a new snapshot sees it (a caller waiting
-- for the fold that gives URLs created since the last one their rows).
SELECT pg_catalog.count(*) FROM annotate_internal.queue q WHERE q.url_id OPERATOR(pg_catalog.=) ANY ($1::integer[])
