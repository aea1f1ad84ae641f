-- For the folder, before each round: whether the extension is still installed (it exits after
-- DROP EXTENSION), and a short lock_timeout for the round (a follow change that moves a whole
-- batch waits for leases being taken on its rows, but not for long).
SELECT pg_catalog.to_regclass('annotate_internal.state') IS NOT NULL,
       pg_catalog.set_config('lock_timeout', '200ms', true)
