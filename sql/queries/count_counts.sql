SELECT pg_catalog.count(*) FROM annotate.url_annotation_count_view
