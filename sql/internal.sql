-- The extension's own state, in schema annotate_internal: not part of the API, not usable by
-- PUBLIC (sql/finalize.sql), reached only through the functions of schema annotate. Nothing
-- here refers to the app's tables, so it installs before them (during a restore, say).
--
-- The extension's locks (src/locks.rs: user locks, which no SQL function takes; pg_locks shows
-- them as locktype 'userlock', classid hashtext('annotate_ext'), objid n, objsubid 2):
--   1  shared by a fold, exclusive by attach and detach (no fold while the queue is rebuilt)
--   2  one fold at a time (src/fold.rs), and none while reconcile() computes corrections
--   3  one folder per database, held by the folder for its life (session lock)
--   4  one refresh() at a time

-- The request path reads text (URLs, names, titles) into Rust strings, which are UTF-8: in a
-- database of another encoding the first URL with a character beyond ASCII failed every
-- caller it was served to.
DO $$
BEGIN
    IF pg_catalog.getdatabaseencoding() OPERATOR(pg_catalog.<>) 'UTF8' THEN
        RAISE EXCEPTION 'annotate_ext needs a database encoded in UTF8, and this one is %', pg_catalog.getdatabaseencoding()
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Create a database with ENCODING ''UTF8'' (from template0) and restore the application''s data into it.';
    END IF;
END
$$;

-- Every table below is a heap whatever default_table_access_method says: the commit-time
-- append to queue_delta writes heap tuples itself (src/held.rs).
CREATE SCHEMA IF NOT EXISTS annotate_internal;

-- Whether the extension is attached to the app's tables (annotate.attach()), and whether the
-- queue awaits a reconcile(): reconcile_owed is the transaction that rebuilt it from a snapshot
-- older than its locks (build_queue() under REPEATABLE READ or SERIALIZABLE, sql/attach.sql),
-- which the folder reconciles once that transaction has committed.
CREATE TABLE annotate_internal.state (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    attached        boolean NOT NULL DEFAULT false,
    attached_at     timestamptz,
    reconcile_owed  xid8
) USING heap;

-- Reconciles owed by transactions that could not say so in state without a row lock there (a
-- table rewrite, sql/watch.sql: its migration holds the rewritten table, and waiting for the
-- state row then could deadlock with an app transaction, or fail under REPEATABLE READ). One
-- row per such transaction, appended only; the folder makes the reconcile once it has
-- committed, and reconcile() deletes the rows of transactions that ended before it began.
CREATE TABLE annotate_internal.reconcile_due (
    xid  xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id()
) USING heap;
INSERT INTO annotate_internal.state DEFAULT VALUES;

-- The live queue, folded: one row per URL with what eligibility and order need (SPEC 3), as of
-- the last fold. Writes made since are in queue_delta and batch_event; readers add them on top
-- (sql/queries/pending.sql), so answers are always as fresh as the tables.
CREATE TABLE annotate_internal.queue (
    url_id         integer PRIMARY KEY,
    batch_id       integer,
    followed_any   boolean NOT NULL DEFAULT false,   -- someone follows a location of the batch
    is_manual      boolean NOT NULL DEFAULT false,
    user_votes     integer NOT NULL DEFAULT 0,       -- annotation__url_type__user rows
    anon_votes     integer NOT NULL DEFAULT 0,       -- annotation__url_type__anon rows
    auto_votes     integer NOT NULL DEFAULT 0,       -- annotation__url_type__auto rows
    agency_rows    integer NOT NULL DEFAULT 0,       -- annotation__agency__user rows (batch_info)
    validated      boolean NOT NULL DEFAULT false,
    suspended      boolean NOT NULL DEFAULT false,
    -- A lease (claim_for): leased rows sort into their own range of the order indexes, so a
    -- claim never walks past other callers' leases.
    leased         boolean NOT NULL DEFAULT false,
    lease_user     integer,
    lease_session  uuid,
    lease_until    timestamptz,
    lease_xid      xid8,                             -- the transaction that took it
    CHECK (leased = (lease_until IS NOT NULL)),
    CHECK (NOT leased OR (lease_user IS NULL) <> (lease_session IS NULL))
) USING heap
-- Every fold of a vote and every lease taken or ended leaves a dead index entry where the URL
-- was, at the head of the order, where every walk starts: vacuumed after 1% of the rows changed
-- (PostgreSQL's default, 20%, is 200,000 dead entries at 1M URLs; 35,000 made a walk at 100k
-- URLs about a third slower), not 20%.
WITH (fillfactor = 85, autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000);

-- SPEC 3.2 keys 2-5 over eligible URLs, leased ones apart. Key 1 is the caller's own.
CREATE INDEX queue_order ON annotate_internal.queue
    (leased, followed_any DESC, is_manual DESC, user_votes DESC, anon_votes DESC, auto_votes DESC, url_id)
    INCLUDE (batch_id)
    WHERE NOT validated AND NOT suspended;
-- The same order inside one batch (followed_any is a property of the batch).
CREATE INDEX queue_batch_order ON annotate_internal.queue
    (batch_id, leased, is_manual DESC, user_votes DESC, anon_votes DESC, auto_votes DESC, url_id)
    WHERE NOT validated AND NOT suspended AND batch_id IS NOT NULL;
-- Leases by expiry (claims free expired ones first) and by holder (own leases come first).
-- The lease ends index is for the statements that look for and end the leases that ran out
-- (a test of lease_until against now()) alone: its predicate names lease_until, which no other statement
-- tests in a form that proves it, so that the planner cannot read every live lease by a whole
-- scan of it for them (it did when statistics made the index look near-empty).
CREATE INDEX queue_lease_expiry ON annotate_internal.queue (lease_until) WHERE leased AND lease_until IS NOT NULL;
CREATE INDEX queue_lease_user ON annotate_internal.queue (lease_user) WHERE leased AND lease_user IS NOT NULL;
CREATE INDEX queue_lease_session ON annotate_internal.queue (lease_session) WHERE leased AND lease_session IS NOT NULL;

-- Per batch: whether anyone follows one of its locations, and the counts of batch_info.
CREATE TABLE annotate_internal.batches (
    batch_id        integer PRIMARY KEY,
    followed        boolean NOT NULL DEFAULT false,
    total_urls      bigint NOT NULL DEFAULT 0,
    annotated_urls  bigint NOT NULL DEFAULT 0
) USING heap;

-- What the app's writes changed, appended by the capture triggers (src/triggers.rs) and never
-- updated in place: writers take no lock that the app's own writes would not take. xid is the
-- writing transaction; every row with xid below fold_state.folded_below has been folded. A row
-- may stand for the same change of several URLs (url_id, then more_urls: a statement's rows
-- with the same change, a bulk vote or suspension, appended as one); read through
-- annotate_internal.pending_deltas(), one row per URL.
CREATE TABLE annotate_internal.queue_delta (
    xid           xid8 NOT NULL,
    url_id        integer NOT NULL,
    batch_id      integer,                        -- the batch d_batch refers to
    d_batch       smallint NOT NULL DEFAULT 0,    -- +1 joined batch_id, -1 left it
    d_exists      smallint NOT NULL DEFAULT 0,
    d_manual      smallint NOT NULL DEFAULT 0,
    d_user        smallint NOT NULL DEFAULT 0,
    d_anon        smallint NOT NULL DEFAULT 0,
    d_auto        smallint NOT NULL DEFAULT 0,
    d_agency      smallint NOT NULL DEFAULT 0,
    d_validated   smallint NOT NULL DEFAULT 0,
    d_suspended   smallint NOT NULL DEFAULT 0,
    done_user     integer,                        -- annotated by this user (ends its lease)
    done_session  uuid,                           -- annotated by this session (ends its lease)
    more_urls     integer[]                       -- further URLs with the same change, or NULL
) USING heap WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
CREATE INDEX queue_delta_xid ON annotate_internal.queue_delta (xid);

-- Follow changes: a location (link__locations__user_follows) or a batch
-- (link_batches__locations) whose followed state must be recomputed.
CREATE TABLE annotate_internal.batch_event (
    xid          xid8 NOT NULL,
    batch_id     integer,
    location_id  integer,
    CHECK ((batch_id IS NULL) <> (location_id IS NULL))
) USING heap WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
CREATE INDEX batch_event_xid ON annotate_internal.batch_event (xid);

-- Folding (src/fold.rs): deltas of transactions below folded_below are in queue and batches.
CREATE TABLE annotate_internal.fold_state (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    folded_below  xid8 NOT NULL DEFAULT '0',
    folded_at     timestamptz,
    folds         bigint NOT NULL DEFAULT 0,
    rows_folded   bigint NOT NULL DEFAULT 0,
    moved_from    xid8 NOT NULL DEFAULT '0'       -- queue_moved holds every row from here on
) USING heap;
INSERT INTO annotate_internal.fold_state DEFAULT VALUES;
ANALYZE annotate_internal.state, annotate_internal.fold_state;

-- What folds changed (src/resume.rs): one row per URL a fold rewrote or whose writes it found
-- cancelled out, in the fold's transaction; a row with no URL when one change reached many
-- rows at once (a batch's follow state, a TRUNCATE of an annotation table). A caller's resume
-- point is good while nothing before it changed, and what changed since is read here. Pruned
-- by fold_end.sql to the newest few thousand rows: whole from fold_state.moved_from on.
CREATE TABLE annotate_internal.queue_moved (
    xid     xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    url_id  integer
) USING heap WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
CREATE INDEX queue_moved_xid ON annotate_internal.queue_moved (xid) INCLUDE (url_id);

-- Every refresh() run: succeeded, failed or skipped (another was running). A failed run's own
-- transaction is rolled back, so its row is written by a background worker in a transaction of
-- its own (src/ops.rs). Pruned by refresh() past annotate.refresh_history_retention.
CREATE TABLE annotate_internal.refresh_log (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at        timestamptz NOT NULL,
    finished_at       timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    status            text NOT NULL CHECK (status IN ('succeeded', 'failed', 'skipped')),
    concurrent        boolean NOT NULL,
    seconds           double precision NOT NULL,
    rows              bigint NOT NULL DEFAULT 0,
    steps             jsonb NOT NULL DEFAULT '[]',
    failed_step       text,
    sqlstate          text,
    message           text,
    run_by            name NOT NULL,
    application_name  text NOT NULL DEFAULT ''
) USING heap;
CREATE INDEX refresh_log_finished_at ON annotate_internal.refresh_log (finished_at);

-- Running leases kept while the queue is rebuilt or the extension detached (sql/attach.sql:
-- detach() keeps them here, build_queue() keeps the queue's and puts them all back): a rebuild
-- or a detach()/attach() cycle dropped them, and their URLs went to other callers.
CREATE TABLE annotate_internal.kept_leases (
    url_id         integer PRIMARY KEY,
    lease_user     integer,
    lease_session  uuid,
    lease_until    timestamptz NOT NULL,
    lease_xid      xid8
) USING heap;

-- The last verify() and reconcile() outcomes, for status().
CREATE TABLE annotate_internal.health (
    singleton        boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    verified_at      timestamptz,
    verify_problems  bigint,
    reconciled_at    timestamptz,
    reconcile_fixed  bigint
) USING heap;
INSERT INTO annotate_internal.health DEFAULT VALUES;
