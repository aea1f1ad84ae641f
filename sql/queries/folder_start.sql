-- For the folder as it starts: whether the extension is installed in its database and it is
-- the only folder there (a session advisory lock, held until it exits).
SELECT pg_catalog.to_regclass('annotate_internal.state') IS NOT NULL
       AND pg_catalog.pg_try_advisory_lock(pg_catalog.hashtext('annotate_ext'), 3)
