-- Relational building blocks shared by the statements in sql/queries/, the fold and verify().
--
-- is_done() (with is_done_user() and is_done_session()), pending_deltas(), pending_urls() and
-- pending_batches() are written to be inlined into the statement that calls them (a
-- set-returning SQL function in FROM is expanded in place when it has no SET clause), so they
-- are the functions of the extension without a pinned search_path: they only ever run inside a
-- statement of a function that pins it, every reference in them is schema-qualified, operators
-- included, and PUBLIC cannot execute them (sql/finalize.sql).

-- One row (true) when the caller, user `caller_user` or anonymous session `caller_session` (the
-- other is NULL), has annotated `url` in any of its four annotation tables (SPEC 3.1 rule 3,
-- SPEC 3.3). Each test is an index probe on (url_id, user_id) or (session_id, url_id), and
-- only the caller's kind is probed (a test of a NULL argument comes first and skips the others).
CREATE FUNCTION annotate_internal.is_done(url integer, caller_user integer, caller_session uuid)
RETURNS SETOF boolean
LANGUAGE sql STABLE
AS $$
    SELECT true
    WHERE (caller_user IS NOT NULL
           AND (EXISTS (SELECT 1 FROM public.annotation__url_type__user a
                        WHERE a.url_id OPERATOR(pg_catalog.=) url AND a.user_id OPERATOR(pg_catalog.=) caller_user)
                OR EXISTS (SELECT 1 FROM public.annotation__agency__user a
                           WHERE a.url_id OPERATOR(pg_catalog.=) url AND a.user_id OPERATOR(pg_catalog.=) caller_user)
                OR EXISTS (SELECT 1 FROM public.annotation__location__user a
                           WHERE a.url_id OPERATOR(pg_catalog.=) url AND a.user_id OPERATOR(pg_catalog.=) caller_user)
                OR EXISTS (SELECT 1 FROM public.annotation__record_type__user a
                           WHERE a.url_id OPERATOR(pg_catalog.=) url AND a.user_id OPERATOR(pg_catalog.=) caller_user)))
       OR (caller_session IS NOT NULL
           AND (EXISTS (SELECT 1 FROM public.annotation__url_type__anon a
                        WHERE a.session_id OPERATOR(pg_catalog.=) caller_session AND a.url_id OPERATOR(pg_catalog.=) url)
                OR EXISTS (SELECT 1 FROM public.annotation__agency__anon a
                           WHERE a.session_id OPERATOR(pg_catalog.=) caller_session AND a.url_id OPERATOR(pg_catalog.=) url)
                OR EXISTS (SELECT 1 FROM public.annotation__location__anon a
                           WHERE a.session_id OPERATOR(pg_catalog.=) caller_session AND a.url_id OPERATOR(pg_catalog.=) url)
                OR EXISTS (SELECT 1 FROM public.annotation__record_type__anon a
                           WHERE a.session_id OPERATOR(pg_catalog.=) caller_session AND a.url_id OPERATOR(pg_catalog.=) url)))
$$;

-- is_done() for one kind of caller: the four probes of user `caller_user` (is_done_user), or
-- of anonymous session `caller_session` (is_done_session). For the statements run by one kind
-- only (src/statements.rs, TWINS): a generic plan keeps all eight probes of is_done(), and the
-- executor sets up every one of them on every execution (and again for a recheck of a row a
-- racing caller leased meanwhile), whether it runs them or not. Each takes the other kind's id
-- too, which must be NULL: called with it set, it finds every URL done (a statement routed to
-- the wrong kind hands out nothing rather than a URL its caller annotated).
CREATE FUNCTION annotate_internal.is_done_user(url integer, caller_user integer, caller_session uuid)
RETURNS SETOF boolean
LANGUAGE sql STABLE
AS $$
    SELECT true
    WHERE caller_session IS NOT NULL
       OR EXISTS (SELECT 1 FROM public.annotation__url_type__user a
                  WHERE a.url_id OPERATOR(pg_catalog.=) url AND a.user_id OPERATOR(pg_catalog.=) caller_user)
       OR EXISTS (SELECT 1 FROM public.annotation__agency__user a
                  WHERE a.url_id OPERATOR(pg_catalog.=) url AND a.user_id OPERATOR(pg_catalog.=) caller_user)
       OR EXISTS (SELECT 1 FROM public.annotation__location__user a
                  WHERE a.url_id OPERATOR(pg_catalog.=) url AND a.user_id OPERATOR(pg_catalog.=) caller_user)
       OR EXISTS (SELECT 1 FROM public.annotation__record_type__user a
                  WHERE a.url_id OPERATOR(pg_catalog.=) url AND a.user_id OPERATOR(pg_catalog.=) caller_user)
$$;

CREATE FUNCTION annotate_internal.is_done_session(url integer, caller_user integer, caller_session uuid)
RETURNS SETOF boolean
LANGUAGE sql STABLE
AS $$
    SELECT true
    WHERE caller_user IS NOT NULL
       OR EXISTS (SELECT 1 FROM public.annotation__url_type__anon a
                  WHERE a.session_id OPERATOR(pg_catalog.=) caller_session AND a.url_id OPERATOR(pg_catalog.=) url)
       OR EXISTS (SELECT 1 FROM public.annotation__agency__anon a
                  WHERE a.session_id OPERATOR(pg_catalog.=) caller_session AND a.url_id OPERATOR(pg_catalog.=) url)
       OR EXISTS (SELECT 1 FROM public.annotation__location__anon a
                  WHERE a.session_id OPERATOR(pg_catalog.=) caller_session AND a.url_id OPERATOR(pg_catalog.=) url)
       OR EXISTS (SELECT 1 FROM public.annotation__record_type__anon a
                  WHERE a.session_id OPERATOR(pg_catalog.=) caller_session AND a.url_id OPERATOR(pg_catalog.=) url)
$$;

-- The writes not yet folded (queue_delta rows of transactions from fold_state.folded_below
-- on), one row per URL: a row appended for several URLs (more_urls) is read as one per URL.
CREATE FUNCTION annotate_internal.pending_deltas()
RETURNS TABLE (xid xid8, url_id integer, batch_id integer, d_batch smallint, d_exists smallint,
               d_manual smallint, d_user smallint, d_anon smallint, d_auto smallint, d_agency smallint,
               d_validated smallint, d_suspended smallint, done_user integer, done_session uuid)
LANGUAGE sql STABLE
AS $$
    SELECT x.xid, u.url_id, x.batch_id, x.d_batch, x.d_exists, x.d_manual, x.d_user, x.d_anon, x.d_auto,
           x.d_agency, x.d_validated, x.d_suspended, x.done_user, x.done_session
    FROM annotate_internal.queue_delta x
    CROSS JOIN LATERAL pg_catalog.unnest(pg_catalog.array_prepend(x.url_id, x.more_urls)) AS u(url_id)
    WHERE x.xid OPERATOR(pg_catalog.>=) (SELECT f.folded_below FROM annotate_internal.fold_state f)
$$;

-- array_agg() as pending_urls() uses it, with the size of its state told to the planner: for
-- array_agg's it assumes 8 kB a group, so that a hashed aggregate of the backlog by URL plans for
-- a few hundred URLs in work_mem and spills the rest to disk (at 10,000 pending URLs, a
-- selection's read of them took 30% longer). The same two pg_catalog functions array_agg()
-- runs; nothing in it is looked up by name at run time, so it needs no pinned search_path.
CREATE AGGREGATE annotate_internal.collect(anynonarray) (
    SFUNC = pg_catalog.array_agg_transfn,
    STYPE = internal,
    SSPACE = 64,
    FINALFUNC = pg_catalog.array_agg_finalfn,
    FINALFUNC_EXTRA
);

-- Every URL with writes not yet folded (queue_delta rows of transactions from
-- fold_state.folded_below on) and its state now: the folded row plus those writes. existed/old_batch_id describe the folded
-- row (for batch counts); present is false once the URL is deleted. A lease counts as ended
-- once its holder appears in done_users or done_sessions, or when the URL was deleted after
-- the lease was taken (deleted_by: the last transaction that deleted it). unchanged: the folded
-- row would stay as it is and no lease can end (a fold deletes the writes and leaves the row).
CREATE FUNCTION annotate_internal.pending_urls()
RETURNS TABLE (url_id integer, existed boolean, present boolean, old_batch_id integer, batch_id integer,
               old_annotated boolean, annotated boolean,
               is_manual boolean, user_votes integer, anon_votes integer, auto_votes integer,
               agency_rows integer, validated boolean, suspended boolean,
               leased boolean, lease_user integer, lease_session uuid, lease_until timestamptz,
               lease_ended boolean, deleted_by xid8, done_users integer[], done_sessions uuid[],
               unchanged boolean)
LANGUAGE sql STABLE
AS $$
    WITH d AS (
        SELECT x.url_id,
               pg_catalog.sum(x.d_exists)::integer AS d_exists,
               pg_catalog.sum(x.d_manual)::integer AS d_manual,
               pg_catalog.sum(x.d_user)::integer AS d_user,
               pg_catalog.sum(x.d_anon)::integer AS d_anon,
               pg_catalog.sum(x.d_auto)::integer AS d_auto,
               pg_catalog.sum(x.d_agency)::integer AS d_agency,
               pg_catalog.sum(x.d_validated)::integer AS d_validated,
               pg_catalog.sum(x.d_suspended)::integer AS d_suspended,
               pg_catalog.max(x.xid) FILTER (WHERE x.d_exists OPERATOR(pg_catalog.<) 0) AS deleted_by,
               annotate_internal.collect(x.done_user) FILTER (WHERE x.done_user IS NOT NULL) AS done_users,
               annotate_internal.collect(x.done_session) FILTER (WHERE x.done_session IS NOT NULL) AS done_sessions,
               -- batch links made (+1) and removed (-1): netted per batch below, URL by URL
               -- (a join of two sets the size of the backlog would be a nested loop over both
               -- under the request path's planner settings)
               annotate_internal.collect(x.batch_id) FILTER (WHERE x.d_batch OPERATOR(pg_catalog.<>) 0) AS link_batches,
               annotate_internal.collect(x.d_batch) FILTER (WHERE x.d_batch OPERATOR(pg_catalog.<>) 0) AS link_changes
        FROM annotate_internal.pending_deltas() x
        GROUP BY x.url_id),
    m AS (      -- per URL: a batch it joined (net; a URL is linked to one batch at most), whether
                -- it left its folded batch (net)
        SELECT d.*,
               CASE WHEN d.link_batches IS NOT NULL THEN
                   (SELECT pg_catalog.max(n.batch_id)
                    FROM (SELECT u.batch_id FROM ROWS FROM (pg_catalog.unnest(d.link_batches), pg_catalog.unnest(d.link_changes)) AS u(batch_id, n)
                          GROUP BY u.batch_id HAVING pg_catalog.sum(u.n) OPERATOR(pg_catalog.>) 0) n) END AS joined,
               CASE WHEN d.link_batches IS NOT NULL THEN
                   (SELECT pg_catalog.array_agg(n.batch_id)
                    FROM (SELECT u.batch_id FROM ROWS FROM (pg_catalog.unnest(d.link_batches), pg_catalog.unnest(d.link_changes)) AS u(batch_id, n)
                          GROUP BY u.batch_id HAVING pg_catalog.sum(u.n) OPERATOR(pg_catalog.<) 0) n) END AS left_batches
        FROM d),
    s AS (
        SELECT d.url_id,
               q.url_id IS NOT NULL AS existed,
               (CASE WHEN q.url_id IS NULL THEN 0 ELSE 1 END OPERATOR(pg_catalog.+) d.d_exists)
                   OPERATOR(pg_catalog.>) 0 AS present,
               q.batch_id AS old_batch_id,
               CASE WHEN d.joined IS NOT NULL THEN d.joined
                    WHEN q.batch_id OPERATOR(pg_catalog.=) ANY (d.left_batches) THEN NULL
                    ELSE q.batch_id END AS batch_id,
               COALESCE(q.agency_rows, 0) OPERATOR(pg_catalog.>) 0 AS old_annotated,
               (CASE WHEN COALESCE(q.is_manual, false) THEN 1 ELSE 0 END OPERATOR(pg_catalog.+) d.d_manual)
                   OPERATOR(pg_catalog.>) 0 AS is_manual,
               COALESCE(q.user_votes, 0) OPERATOR(pg_catalog.+) d.d_user AS user_votes,
               COALESCE(q.anon_votes, 0) OPERATOR(pg_catalog.+) d.d_anon AS anon_votes,
               COALESCE(q.auto_votes, 0) OPERATOR(pg_catalog.+) d.d_auto AS auto_votes,
               COALESCE(q.agency_rows, 0) OPERATOR(pg_catalog.+) d.d_agency AS agency_rows,
               (CASE WHEN COALESCE(q.validated, false) THEN 1 ELSE 0 END OPERATOR(pg_catalog.+) d.d_validated)
                   OPERATOR(pg_catalog.>) 0 AS validated,
               (CASE WHEN COALESCE(q.suspended, false) THEN 1 ELSE 0 END OPERATOR(pg_catalog.+) d.d_suspended)
                   OPERATOR(pg_catalog.>) 0 AS suspended,
               COALESCE(q.leased, false) AS leased, q.lease_user, q.lease_session, q.lease_until,
               COALESCE(d.deleted_by OPERATOR(pg_catalog.>) q.lease_xid, false)
                   OR COALESCE(q.lease_user OPERATOR(pg_catalog.=) ANY (d.done_users)
                               OR q.lease_session OPERATOR(pg_catalog.=) ANY (d.done_sessions), false) AS lease_ended,
               d.deleted_by,
               d.done_users, d.done_sessions,
               q.is_manual AS was_manual, q.user_votes AS was_user_votes, q.anon_votes AS was_anon_votes,
               q.auto_votes AS was_auto_votes, q.agency_rows AS was_agency_rows, q.validated AS was_validated,
               q.suspended AS was_suspended
        FROM m d
        LEFT JOIN annotate_internal.queue q ON q.url_id OPERATOR(pg_catalog.=) d.url_id)
    SELECT s.url_id, s.existed, s.present, s.old_batch_id, s.batch_id,
           s.old_annotated, s.agency_rows OPERATOR(pg_catalog.>) 0,
           s.is_manual, s.user_votes, s.anon_votes, s.auto_votes, s.agency_rows, s.validated, s.suspended,
           s.leased, s.lease_user, s.lease_session, s.lease_until, s.lease_ended, s.deleted_by, s.done_users, s.done_sessions,
           -- the folded row stays as it is, and no lease can end (a fold leaves it alone)
           s.existed AND s.present AND s.batch_id IS NOT DISTINCT FROM s.old_batch_id
               AND s.is_manual OPERATOR(pg_catalog.=) s.was_manual
               AND s.user_votes OPERATOR(pg_catalog.=) s.was_user_votes
               AND s.anon_votes OPERATOR(pg_catalog.=) s.was_anon_votes
               AND s.auto_votes OPERATOR(pg_catalog.=) s.was_auto_votes
               AND s.agency_rows OPERATOR(pg_catalog.=) s.was_agency_rows
               AND s.validated OPERATOR(pg_catalog.=) s.was_validated
               AND s.suspended OPERATOR(pg_catalog.=) s.was_suspended
               AND s.deleted_by IS NULL AND s.done_users IS NULL AND s.done_sessions IS NULL
    FROM s
$$;

-- Every batch with follow changes not yet folded (batch_event rows from
-- fold_state.folded_below on), and whether anyone follows one of its locations now.
CREATE FUNCTION annotate_internal.pending_batches()
RETURNS TABLE (batch_id integer, followed boolean)
LANGUAGE sql STABLE
AS $$
    WITH e AS (
        SELECT e.batch_id, e.location_id FROM annotate_internal.batch_event e
        WHERE e.xid OPERATOR(pg_catalog.>=) (SELECT f.folded_below FROM annotate_internal.fold_state f)),
    b AS (
        SELECT e.batch_id FROM e WHERE e.batch_id IS NOT NULL
        UNION
        SELECT bl.batch_id::integer FROM e
        JOIN public.link_batches__locations bl ON bl.location_id OPERATOR(pg_catalog.=) e.location_id)
    SELECT b.batch_id,
           EXISTS (SELECT 1 FROM public.link_batches__locations bl
                   JOIN public.link__locations__user_follows fo
                     ON fo.location_id OPERATOR(pg_catalog.=) bl.location_id
                   WHERE bl.batch_id OPERATOR(pg_catalog.=) b.batch_id)
    FROM b
$$;

-- What every queue row must be, computed from the app's tables in one set-based pass: the
-- initial build of attach(), and the reference of verify() and reconcile().
CREATE FUNCTION annotate_internal.fresh_queue()
RETURNS TABLE (url_id integer, batch_id integer, followed_any boolean, is_manual boolean,
               user_votes integer, anon_votes integer, auto_votes integer, agency_rows integer,
               validated boolean, suspended boolean)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT u.id::integer,
           lb.batch_id::integer,
           COALESCE(fb.followed, false),
           -- The source's label through its type's output function, not a cast: the owner of
           -- the app's enum may CREATE CAST (url_source AS text) with a function of its own,
           -- which a cast here would run with the extension owner's rights.
           pg_catalog.format('%s', u.source) OPERATOR(pg_catalog.=) 'manual',
           COALESCE(vu.n, 0)::integer, COALESCE(va.n, 0)::integer, COALESCE(vr.n, 0)::integer,
           COALESCE(ag.n, 0)::integer,
           v.url_id IS NOT NULL,
           s.url_id IS NOT NULL
    FROM public.urls u
    LEFT JOIN public.link_batches__urls lb ON lb.url_id OPERATOR(pg_catalog.=) u.id
    LEFT JOIN (SELECT DISTINCT bl.batch_id, true AS followed
               FROM public.link_batches__locations bl
               JOIN public.link__locations__user_follows fo
                 ON fo.location_id OPERATOR(pg_catalog.=) bl.location_id) fb
           ON fb.batch_id OPERATOR(pg_catalog.=) lb.batch_id
    LEFT JOIN (SELECT a.url_id, pg_catalog.count(*) AS n FROM public.annotation__url_type__user a
               GROUP BY a.url_id) vu ON vu.url_id OPERATOR(pg_catalog.=) u.id
    LEFT JOIN (SELECT a.url_id, pg_catalog.count(*) AS n FROM public.annotation__url_type__anon a
               GROUP BY a.url_id) va ON va.url_id OPERATOR(pg_catalog.=) u.id
    LEFT JOIN (SELECT a.url_id, pg_catalog.count(*) AS n FROM public.annotation__url_type__auto a
               GROUP BY a.url_id) vr ON vr.url_id OPERATOR(pg_catalog.=) u.id
    LEFT JOIN (SELECT a.url_id, pg_catalog.count(*) AS n FROM public.annotation__agency__user a
               GROUP BY a.url_id) ag ON ag.url_id OPERATOR(pg_catalog.=) u.id
    LEFT JOIN public.flag_url_validated v ON v.url_id OPERATOR(pg_catalog.=) u.id
    LEFT JOIN public.flag_url_suspended s ON s.url_id OPERATOR(pg_catalog.=) u.id
$$;

-- What every row of annotate_internal.batches must be: each batch that has URLs or locations,
-- whether anyone follows one of its locations, and the counts of batch_info (SPEC 4).
CREATE FUNCTION annotate_internal.fresh_batches()
RETURNS TABLE (batch_id integer, followed boolean, total_urls bigint, annotated_urls bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT b.batch_id::integer,
           EXISTS (SELECT 1 FROM public.link_batches__locations bl
                   JOIN public.link__locations__user_follows fo
                     ON fo.location_id OPERATOR(pg_catalog.=) bl.location_id
                   WHERE bl.batch_id OPERATOR(pg_catalog.=) b.batch_id),
           COALESCE(c.total, 0), COALESCE(c.annotated, 0)
    FROM (SELECT lb.batch_id FROM public.link_batches__urls lb
          UNION SELECT bl.batch_id FROM public.link_batches__locations bl) b
    LEFT JOIN (SELECT lb.batch_id, pg_catalog.count(*) AS total,
                      pg_catalog.count(*) FILTER (WHERE EXISTS (
                          SELECT 1 FROM public.annotation__agency__user a
                          WHERE a.url_id OPERATOR(pg_catalog.=) lb.url_id)) AS annotated
               FROM public.link_batches__urls lb
               GROUP BY lb.batch_id) c ON c.batch_id OPERATOR(pg_catalog.=) b.batch_id
$$;

-- Raises 25006 naming `caller` when this server is a standby or the transaction is read-only:
-- for the maintenance functions in SQL that write (attach, detach, reconcile). The Rust entry
-- points that write use access::require_primary().
CREATE FUNCTION annotate_internal.require_primary(caller text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.pg_is_in_recovery() THEN
        RAISE EXCEPTION '%: this server is a standby', caller
            USING ERRCODE = 'read_only_sql_transaction', HINT = 'Run it on the primary.';
    END IF;
    IF pg_catalog.current_setting('transaction_read_only') OPERATOR(pg_catalog.=) 'on' THEN
        RAISE EXCEPTION '%: cannot run in a read-only transaction', caller
            USING ERRCODE = 'read_only_sql_transaction';
    END IF;
END
$$;
