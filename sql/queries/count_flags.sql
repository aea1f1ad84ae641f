SELECT pg_catalog.count(*) FROM annotate.url_annotation_flags
