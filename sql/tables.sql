-- The extension's own tables that do not depend on the app's: they exist from CREATE
-- EXTENSION on, even while a dump is being restored.

-- One row per refresh() (and one for the build at CREATE EXTENSION), read by status().
CREATE TABLE annotate.refresh_log (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    finished_at   timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    seconds       double precision NOT NULL,
    concurrent    boolean NOT NULL
);

-- The live queue (sql/queue.sql): one row per URL with what eligibility and order need.
CREATE TABLE annotate.queue (
    url_id        integer PRIMARY KEY,
    batch_id      integer,
    followed_any  boolean NOT NULL DEFAULT false,
    is_manual     boolean NOT NULL DEFAULT false,
    user_votes    integer NOT NULL DEFAULT 0,
    anon_votes    integer NOT NULL DEFAULT 0,
    auto_votes    integer NOT NULL DEFAULT 0,
    validated     boolean NOT NULL DEFAULT false,
    suspended     boolean NOT NULL DEFAULT false
) WITH (fillfactor = 90);
