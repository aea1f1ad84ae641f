-- For the folder, before each round: whether the extension is still installed (it exits after
-- DROP EXTENSION), a short lock_timeout for the round (a follow change that moves a whole
-- batch waits for leases being taken on its rows, but not for long), and room to aggregate a
-- round's pending writes by URL in memory (under a write load a round folds tens of thousands;
-- at the stock 4MB their sort spilled to disk, and the folder's share of the CPU is the app's
-- writers' loss).
SELECT pg_catalog.to_regclass('annotate_internal.state') IS NOT NULL,
       pg_catalog.set_config('lock_timeout', '200ms', true),
       pg_catalog.set_config('work_mem', '64MB', true)
