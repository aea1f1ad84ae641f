-- The snapshot the calling statement's walks read (read-only statements share it), as text: a
-- resume point's, when the walk it records found nothing (src/resume.rs).
SELECT pg_catalog.pg_current_snapshot()::pg_catalog.text
