-- For the folder as it starts: whether the extension is installed in its database (it then
-- takes the folder's lock, src/locks.rs, for as long as it runs: one folder per database).
SELECT pg_catalog.to_regclass('annotate_internal.state') IS NOT NULL
