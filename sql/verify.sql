-- Checking the queue against the app's tables, and repairing it.

-- Every URL's queue state as a reader sees it now: the folded row, or for a URL with pending
-- writes, the folded row plus those writes; followed_any recomputed for batches with pending
-- follow changes. present is false for a URL deleted since the last fold (its counts are what
-- is left to take away). A whole-table pass, for verify(), reconcile() and TRUNCATE.
CREATE FUNCTION annotate_internal.queue_now()
RETURNS TABLE (url_id integer, present boolean, batch_id integer, followed_any boolean, is_manual boolean,
               user_votes integer, anon_votes integer, auto_votes integer, agency_rows integer,
               validated boolean, suspended boolean)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH p AS (SELECT pu.* FROM annotate_internal.pending_urls() pu),
    moved AS (SELECT pb.batch_id, pb.followed FROM annotate_internal.pending_batches() pb),
    r AS (
        SELECT q.url_id, true AS present, q.batch_id, q.followed_any, q.is_manual, q.user_votes, q.anon_votes,
               q.auto_votes, q.agency_rows, q.validated, q.suspended
        FROM annotate_internal.queue q
        WHERE NOT EXISTS (SELECT 1 FROM p WHERE p.url_id OPERATOR(pg_catalog.=) q.url_id)
        UNION ALL
        SELECT p.url_id, p.present, p.batch_id, COALESCE(b.followed, false), p.is_manual, p.user_votes,
               p.anon_votes, p.auto_votes, p.agency_rows, p.validated, p.suspended
        FROM p LEFT JOIN annotate_internal.batches b ON b.batch_id OPERATOR(pg_catalog.=) p.batch_id)
    SELECT r.url_id, r.present, r.batch_id, COALESCE(m.followed, r.followed_any),
           r.is_manual, r.user_votes, r.anon_votes, r.auto_votes, r.agency_rows, r.validated, r.suspended
    FROM r LEFT JOIN moved m ON m.batch_id OPERATOR(pg_catalog.=) r.batch_id
$$;

-- Every batch's state as a reader sees it now: the folded counts plus the pending URL writes,
-- followed recomputed where follow changes are pending.
CREATE FUNCTION annotate_internal.batches_now()
RETURNS TABLE (batch_id integer, followed boolean, total_urls bigint, annotated_urls bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH p AS (SELECT pu.* FROM annotate_internal.pending_urls() pu),
    adj AS (
        SELECT t.batch_id, pg_catalog.sum(t.total)::bigint AS total, pg_catalog.sum(t.annotated)::bigint AS annotated
        FROM (SELECT p.old_batch_id AS batch_id, -1 AS total,
                     CASE WHEN p.old_annotated THEN -1 ELSE 0 END AS annotated
              FROM p WHERE p.existed AND p.old_batch_id IS NOT NULL
              UNION ALL
              SELECT p.batch_id, 1, CASE WHEN p.annotated THEN 1 ELSE 0 END
              FROM p WHERE p.present AND p.batch_id IS NOT NULL) t
        GROUP BY t.batch_id),
    moved AS (SELECT pb.batch_id, pb.followed FROM annotate_internal.pending_batches() pb),
    ids AS (SELECT b.batch_id FROM annotate_internal.batches b
            UNION SELECT a.batch_id FROM adj a UNION SELECT m.batch_id FROM moved m)
    SELECT i.batch_id, COALESCE(m.followed, b.followed, false),
           COALESCE(b.total_urls, 0) OPERATOR(pg_catalog.+) COALESCE(a.total, 0),
           COALESCE(b.annotated_urls, 0) OPERATOR(pg_catalog.+) COALESCE(a.annotated, 0)
    FROM ids i
    LEFT JOIN annotate_internal.batches b ON b.batch_id OPERATOR(pg_catalog.=) i.batch_id
    LEFT JOIN adj a ON a.batch_id OPERATOR(pg_catalog.=) i.batch_id
    LEFT JOIN moved m ON m.batch_id OPERATOR(pg_catalog.=) i.batch_id
$$;

-- Differences between what a reader sees and a fresh computation from the app's tables, one
-- line each: a URL's row (url_id set), a batch's counts, or an object of the attachment
-- (url_id NULL). Empty when healthy. Reads every URL: run it occasionally, not per request.
CREATE FUNCTION annotate_internal.verify_rows()
RETURNS TABLE (url_id integer, problem text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT (SELECT s.attached FROM annotate_internal.state s) THEN
        RETURN QUERY SELECT NULL::integer,
            'annotate_ext is not attached to the application''s tables: run SELECT annotate.attach()'::text;
        RETURN;
    END IF;
    RETURN QUERY
    SELECT NULL::integer, pg_catalog.format('%s %s%s: %s', o.kind, o.name,
               CASE WHEN o.table_name IS NULL THEN '' ELSE ' on public.' OPERATOR(pg_catalog.||) o.table_name END,
               o.problem)
    FROM annotate_internal.object_problems() o;
    RETURN QUERY
    SELECT COALESCE(f.url_id, n.url_id),
           CASE
               WHEN n.url_id IS NULL THEN 'missing from the queue'
               WHEN f.url_id IS NULL THEN 'in the queue but not in public.urls'
               ELSE pg_catalog.concat_ws('; ',
                   CASE WHEN n.batch_id IS DISTINCT FROM f.batch_id
                        THEN pg_catalog.format('batch_id is %s, should be %s', n.batch_id, f.batch_id) END,
                   CASE WHEN n.followed_any OPERATOR(pg_catalog.<>) f.followed_any
                        THEN pg_catalog.format('followed_any is %s, should be %s', n.followed_any, f.followed_any) END,
                   CASE WHEN n.is_manual OPERATOR(pg_catalog.<>) f.is_manual
                        THEN pg_catalog.format('is_manual is %s, should be %s', n.is_manual, f.is_manual) END,
                   CASE WHEN n.user_votes OPERATOR(pg_catalog.<>) f.user_votes
                        THEN pg_catalog.format('user_votes is %s, should be %s', n.user_votes, f.user_votes) END,
                   CASE WHEN n.anon_votes OPERATOR(pg_catalog.<>) f.anon_votes
                        THEN pg_catalog.format('anon_votes is %s, should be %s', n.anon_votes, f.anon_votes) END,
                   CASE WHEN n.auto_votes OPERATOR(pg_catalog.<>) f.auto_votes
                        THEN pg_catalog.format('auto_votes is %s, should be %s', n.auto_votes, f.auto_votes) END,
                   CASE WHEN n.agency_rows OPERATOR(pg_catalog.<>) f.agency_rows
                        THEN pg_catalog.format('agency_rows is %s, should be %s', n.agency_rows, f.agency_rows) END,
                   CASE WHEN n.validated OPERATOR(pg_catalog.<>) f.validated
                        THEN pg_catalog.format('validated is %s, should be %s', n.validated, f.validated) END,
                   CASE WHEN n.suspended OPERATOR(pg_catalog.<>) f.suspended
                        THEN pg_catalog.format('suspended is %s, should be %s', n.suspended, f.suspended) END)
           END
    FROM (SELECT * FROM annotate_internal.queue_now() x WHERE x.present) n
    FULL JOIN annotate_internal.fresh_queue() f ON f.url_id OPERATOR(pg_catalog.=) n.url_id
    WHERE n.url_id IS NULL OR f.url_id IS NULL
       OR (n.batch_id, n.followed_any, n.is_manual, n.user_votes, n.anon_votes, n.auto_votes, n.agency_rows,
           n.validated, n.suspended)
          IS DISTINCT FROM
          (f.batch_id, f.followed_any, f.is_manual, f.user_votes, f.anon_votes, f.auto_votes, f.agency_rows,
           f.validated, f.suspended)
    ORDER BY 1;
    RETURN QUERY
    SELECT NULL::integer,
           pg_catalog.format('batch %s: followed %s, total_urls %s, annotated_urls %s; should be %s, %s, %s',
                             COALESCE(n.batch_id, f.batch_id), n.followed, n.total_urls, n.annotated_urls,
                             COALESCE(f.followed, false), COALESCE(f.total_urls, 0), COALESCE(f.annotated_urls, 0))
    FROM annotate_internal.batches_now() n
    FULL JOIN annotate_internal.fresh_batches() f ON f.batch_id OPERATOR(pg_catalog.=) n.batch_id
    WHERE (COALESCE(n.followed, false), COALESCE(n.total_urls, 0), COALESCE(n.annotated_urls, 0))
          IS DISTINCT FROM (COALESCE(f.followed, false), COALESCE(f.total_urls, 0), COALESCE(f.annotated_urls, 0));
END
$$;

-- verify(): the rows above, and the outcome kept for status() where the transaction can write
-- (not on a standby; never waiting for another verify() to finish).
CREATE FUNCTION annotate.verify()
RETURNS TABLE (url_id integer, problem text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    BEGIN
        PERFORM annotate_internal.lock_read_tables();   -- a rewrite under way reads as empty
        PERFORM annotate_internal.refuse_planner_hazards('annotate.verify');
        RETURN QUERY SELECT * FROM annotate_internal.verify_rows();
    EXCEPTION WHEN query_canceled OR lock_not_available THEN
        -- A statement_timeout, a lock_timeout (an app table locked by a migration) or a cancel
        -- in the middle of the comparison: said in one line, not with the comparison's whole
        -- statement as CONTEXT.
        RAISE EXCEPTION 'annotate.verify: %', SQLERRM
            USING ERRCODE = SQLSTATE,
                  HINT = 'verify() compares every URL with the app''s tables: run it with a longer statement_timeout (SET LOCAL statement_timeout = ''10min'') or none.';
    END;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF NOT pg_catalog.pg_is_in_recovery()
       AND pg_catalog.current_setting('transaction_read_only') OPERATOR(pg_catalog.=) 'off' THEN
        -- Under REPEATABLE READ or SERIALIZABLE the row may have changed since the snapshot (a
        -- verify() or reconcile() in another session recorded its run), which fails its lock
        -- with 40001: this run's record is then left out, and verify() answers all the same.
        BEGIN
            PERFORM 1 FROM annotate_internal.health h FOR UPDATE SKIP LOCKED;
            IF FOUND THEN
                UPDATE annotate_internal.health SET verified_at = pg_catalog.clock_timestamp(), verify_problems = n;
            END IF;
        EXCEPTION WHEN serialization_failure THEN
            NULL;
        END;
    END IF;
END
$$;

-- Takes ACCESS SHARE on every app table the extension reads, in name order, in a statement of
-- its own: the statements after it then take their snapshots once no rewrite of those tables
-- (ALTER TABLE ... TYPE, TRUNCATE) can commit before they read. Without it, a statement whose
-- snapshot was taken before such a rewrite committed, and which then waited for the rewrite's
-- lock, read the rewritten table as empty (a rewrite is not MVCC-safe): a reconcile() owed by
-- one migration step, made by the folder while the next step rewrote another table, set every
-- URL's batch to none until the next reconcile (found by regress/migrations). Tables only (a
-- materialized view cannot be locked). Under REPEATABLE READ or SERIALIZABLE the snapshot was
-- taken before: a table rewritten or truncated since (its file in this snapshot's pg_class is
-- not the one it has now) would read as empty, and this fails with 40001 instead.
CREATE FUNCTION annotate_internal.lock_read_tables()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text;
    moved text;
BEGIN
    FOR t IN SELECT DISTINCT r.table_name FROM annotate_internal.requirements() r
             JOIN pg_catalog.pg_class c ON c.relname OPERATOR(pg_catalog.=) r.table_name
                                       AND c.relnamespace OPERATOR(pg_catalog.=) pg_catalog.to_regnamespace('public')
             WHERE c.relkind OPERATOR(pg_catalog.=) 'r'
             ORDER BY 1 LOOP
        EXECUTE pg_catalog.format('LOCK TABLE public.%I IN ACCESS SHARE MODE', t);
    END LOOP;
    IF pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.<>) 'read committed' THEN
        SELECT pg_catalog.string_agg(pg_catalog.format('public.%I', c.relname), ', ') INTO moved
        FROM pg_catalog.pg_class c
        WHERE c.relnamespace OPERATOR(pg_catalog.=) pg_catalog.to_regnamespace('public')
          AND c.relkind OPERATOR(pg_catalog.=) 'r'
          AND c.relname OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT r.table_name::pg_catalog.name FROM annotate_internal.requirements() r))
          AND c.relfilenode OPERATOR(pg_catalog.<>) pg_catalog.pg_relation_filenode(c.oid);
        IF moved IS NOT NULL THEN
            RAISE EXCEPTION 'annotate_ext: % rewritten or truncated since this transaction''s snapshot, which reads it as empty', moved
                USING ERRCODE = 'serialization_failure',
                      HINT = 'Run it again in a new transaction (READ COMMITTED sees the table as it is).';
        END IF;
    END IF;
END
$$;

-- Makes the queue equal to a fresh computation from the app's tables; the number of URLs and
-- batches corrected. URL rows are corrected the way the app's writes move them, by appending
-- deltas (so it waits for no reader or writer); batch counts left wrong after that are set.
CREATE FUNCTION annotate_internal.reconcile()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    urls_fixed bigint;
    batches_fixed bigint;
    me xid8;
    owed xid8;
    due_seen pg_catalog.pg_snapshot;
BEGIN
    PERFORM annotate_internal.require_primary('annotate.reconcile');
    me := pg_catalog.pg_current_xact_id();
    PERFORM annotate_internal.lock_read_tables();
    PERFORM annotate_internal.refuse_planner_hazards('annotate.reconcile');
    -- A rebuild that owes a reconcile (build_queue()) and committed before the statements below
    -- take their snapshots: they see what it could not. So do the rewrites of reconcile_due
    -- committed before this snapshot.
    SELECT s.reconcile_owed INTO owed FROM annotate_internal.state s;
    due_seen := pg_catalog.pg_current_snapshot();
    -- No fold while the corrections are computed (src/fold.rs takes the same lock).
    PERFORM annotate_internal.take_lock(2, false);
    WITH diff AS (
        SELECT COALESCE(f.url_id, n.url_id) AS url_id, n.url_id IS NOT NULL AS queued, f.url_id IS NOT NULL AS fresh,
               n.batch_id AS n_batch, f.batch_id AS f_batch,
               COALESCE(f.is_manual::integer, 0) OPERATOR(pg_catalog.-) COALESCE(n.is_manual::integer, 0) AS d_manual,
               COALESCE(f.user_votes, 0) OPERATOR(pg_catalog.-) COALESCE(n.user_votes, 0) AS d_user,
               COALESCE(f.anon_votes, 0) OPERATOR(pg_catalog.-) COALESCE(n.anon_votes, 0) AS d_anon,
               COALESCE(f.auto_votes, 0) OPERATOR(pg_catalog.-) COALESCE(n.auto_votes, 0) AS d_auto,
               COALESCE(f.agency_rows, 0) OPERATOR(pg_catalog.-) COALESCE(n.agency_rows, 0) AS d_agency,
               COALESCE(f.validated::integer, 0) OPERATOR(pg_catalog.-) COALESCE(n.validated::integer, 0) AS d_validated,
               COALESCE(f.suspended::integer, 0) OPERATOR(pg_catalog.-) COALESCE(n.suspended::integer, 0) AS d_suspended,
               n.followed_any IS DISTINCT FROM f.followed_any AS follow_wrong
        FROM (SELECT * FROM annotate_internal.queue_now() x WHERE x.present) n
        FULL JOIN annotate_internal.fresh_queue() f ON f.url_id OPERATOR(pg_catalog.=) n.url_id
        WHERE n.url_id IS NULL OR f.url_id IS NULL
           OR (n.batch_id, n.followed_any, n.is_manual, n.user_votes, n.anon_votes, n.auto_votes, n.agency_rows,
               n.validated, n.suspended)
              IS DISTINCT FROM
              (f.batch_id, f.followed_any, f.is_manual, f.user_votes, f.anon_votes, f.auto_votes, f.agency_rows,
               f.validated, f.suspended)),
    deltas AS (
        INSERT INTO annotate_internal.queue_delta (xid, url_id, batch_id, d_batch, d_exists, d_manual, d_user,
                                                   d_anon, d_auto, d_agency, d_validated, d_suspended)
        SELECT me, d.url_id, NULL, 0,
               CASE WHEN d.fresh AND NOT d.queued THEN 1 WHEN d.queued AND NOT d.fresh THEN -1 ELSE 0 END,
               d.d_manual, d.d_user, d.d_anon, d.d_auto, d.d_agency, d.d_validated, d.d_suspended
        FROM diff d
        UNION ALL
        SELECT me, d.url_id, d.n_batch, -1, 0, 0, 0, 0, 0, 0, 0, 0
        FROM diff d WHERE d.n_batch IS DISTINCT FROM d.f_batch AND d.n_batch IS NOT NULL
        UNION ALL
        SELECT me, d.url_id, d.f_batch, 1, 0, 0, 0, 0, 0, 0, 0, 0
        FROM diff d WHERE d.n_batch IS DISTINCT FROM d.f_batch AND d.f_batch IS NOT NULL
        RETURNING url_id),
    events AS (
        INSERT INTO annotate_internal.batch_event (xid, batch_id)
        SELECT DISTINCT me, d.f_batch FROM diff d WHERE d.follow_wrong AND d.f_batch IS NOT NULL
        RETURNING batch_id)
    SELECT pg_catalog.count(DISTINCT d.url_id) INTO urls_fixed FROM deltas d;

    -- Batch counts follow from the URL rows; what is still wrong is set directly.
    WITH wrong AS (
        SELECT f.batch_id, f.total_urls OPERATOR(pg_catalog.-) COALESCE(n.total_urls, 0) AS d_total,
               f.annotated_urls OPERATOR(pg_catalog.-) COALESCE(n.annotated_urls, 0) AS d_annotated
        FROM annotate_internal.fresh_batches() f
        LEFT JOIN annotate_internal.batches_now() n ON n.batch_id OPERATOR(pg_catalog.=) f.batch_id
        WHERE (f.total_urls, f.annotated_urls) IS DISTINCT FROM (n.total_urls, n.annotated_urls)),
    fixed AS (
        INSERT INTO annotate_internal.batches AS b (batch_id, total_urls, annotated_urls)
        SELECT w.batch_id, w.d_total, w.d_annotated FROM wrong w
        ON CONFLICT (batch_id) DO UPDATE
        SET total_urls = b.total_urls OPERATOR(pg_catalog.+) EXCLUDED.total_urls,
            annotated_urls = b.annotated_urls OPERATOR(pg_catalog.+) EXCLUDED.annotated_urls
        RETURNING 1)
    SELECT pg_catalog.count(*) INTO batches_fixed FROM fixed;
    -- Writes that skipped the triggers may have taken back annotations no count reflects:
    -- every resume point kept before this is void (src/resume.rs).
    INSERT INTO annotate_internal.queue_moved (xid, url_id) VALUES (me, NULL);
    -- Bookkeeping: under REPEATABLE READ or SERIALIZABLE these rows may have changed since the
    -- transaction's snapshot (a verify() in another session records its run in health), which
    -- fails their update with 40001. The repair above stands all the same: this run's record
    -- is then left out (status() shows the one before), and an owed reconcile stays owed (the
    -- folder makes it again).
    BEGIN
        DELETE FROM annotate_internal.reconcile_due d WHERE pg_catalog.pg_visible_in_snapshot(d.xid, due_seen);
        IF owed IS NOT NULL THEN
            UPDATE annotate_internal.state SET reconcile_owed = NULL WHERE reconcile_owed OPERATOR(pg_catalog.=) owed;
        END IF;
        UPDATE annotate_internal.health
        SET reconciled_at = pg_catalog.clock_timestamp(), reconcile_fixed = urls_fixed OPERATOR(pg_catalog.+) batches_fixed;
    EXCEPTION WHEN serialization_failure THEN
        NULL;
    END;
    RETURN urls_fixed OPERATOR(pg_catalog.+) batches_fixed;
END
$$;

-- For the folder, in each round (src/fold.rs): the reconcile() a rebuild owes, once the
-- transaction that made it has committed (build_queue(), sql/attach.sql); the number of URLs and
-- batches it corrected, or NULL when none is owed.
CREATE FUNCTION annotate_internal.reconcile_owed()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (SELECT s.reconcile_owed FROM annotate_internal.state s) IS NULL
       AND NOT EXISTS (SELECT 1 FROM annotate_internal.reconcile_due d) THEN
        RETURN NULL;
    END IF;
    -- Owed for writes a capture trigger that did not fire missed (sql/watch.sql): not while one
    -- still does not, or the writes after this reconcile would be missed in turn.
    IF annotate_internal.capture_off() THEN
        RETURN NULL;
    END IF;
    RETURN annotate_internal.reconcile();
END
$$;

-- Makes the queue equal to a fresh computation from the app's tables (see reconcile() above);
-- the number of URLs and batches corrected. For operators: after writes that skipped the
-- triggers (a capture trigger disabled), or whenever verify() reports differences.
CREATE FUNCTION annotate.reconcile()
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN annotate_internal.reconcile();
EXCEPTION WHEN serialization_failure THEN
    -- Under REPEATABLE READ or SERIALIZABLE: a batch's counts, which it corrects in place,
    -- changed after the transaction's snapshot (a fold), or an app table was rewritten or
    -- truncated since (lock_read_tables()). Said as such, SQLSTATE kept (clients retry on it).
    RAISE EXCEPTION 'annotate.reconcile: what it reads changed after this transaction''s snapshot (pending writes folded into the queue, or an app table rewritten)'
        USING ERRCODE = 'serialization_failure', DETAIL = SQLERRM,
              HINT = 'Run reconcile() in a READ COMMITTED transaction (SET TRANSACTION ISOLATION LEVEL READ COMMITTED), or retry the transaction.';
END
$$;
