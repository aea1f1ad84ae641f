-- A captured app table of kind $1 was truncated: annotate_internal.truncated() appends the
-- changes that bring the queue to what the empty table implies.
SELECT annotate_internal.truncated($1::pg_catalog.text)
