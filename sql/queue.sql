-- The live queue: one row per URL holding what eligibility and order need, kept exact by
-- statement-level triggers on every app table that can change a result, so that live
-- selection is an ordered index walk instead of a sort over every URL.

-- The differences, one line per URL; empty when healthy.
CREATE FUNCTION annotate.verify()
RETURNS TABLE (url_id integer, problem text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    SELECT COALESCE((d.fresh).url_id, (d.queued).url_id),
           CASE
               WHEN (d.queued).url_id IS NULL THEN 'missing from the queue'
               WHEN (d.fresh).url_id IS NULL THEN 'in the queue but not in public.urls'
               ELSE concat_ws('; ',
                   CASE WHEN (d.queued).batch_id IS DISTINCT FROM (d.fresh).batch_id
                        THEN format('batch_id is %s, should be %s', (d.queued).batch_id, (d.fresh).batch_id) END,
                   CASE WHEN (d.queued).followed_any <> (d.fresh).followed_any
                        THEN format('followed_any is %s, should be %s', (d.queued).followed_any, (d.fresh).followed_any) END,
                   CASE WHEN (d.queued).is_manual <> (d.fresh).is_manual
                        THEN format('is_manual is %s, should be %s', (d.queued).is_manual, (d.fresh).is_manual) END,
                   CASE WHEN (d.queued).user_votes <> (d.fresh).user_votes
                        THEN format('user_votes is %s, should be %s', (d.queued).user_votes, (d.fresh).user_votes) END,
                   CASE WHEN (d.queued).anon_votes <> (d.fresh).anon_votes
                        THEN format('anon_votes is %s, should be %s', (d.queued).anon_votes, (d.fresh).anon_votes) END,
                   CASE WHEN (d.queued).auto_votes <> (d.fresh).auto_votes
                        THEN format('auto_votes is %s, should be %s', (d.queued).auto_votes, (d.fresh).auto_votes) END,
                   CASE WHEN (d.queued).validated <> (d.fresh).validated
                        THEN format('validated is %s, should be %s', (d.queued).validated, (d.fresh).validated) END,
                   CASE WHEN (d.queued).suspended <> (d.fresh).suspended
                        THEN format('suspended is %s, should be %s', (d.queued).suspended, (d.fresh).suspended) END)
           END
    FROM annotate.queue_diff d
    ORDER BY 1;
END
$$;

-- Makes the queue equal to a fresh computation; returns the number of rows corrected.
CREATE FUNCTION annotate.reconcile_queue()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    corrected bigint;
BEGIN
    WITH wrong AS (
        SELECT (d.fresh).url_id AS fresh_id, (d.queued).url_id AS queued_id, d.fresh AS fresh_row
        FROM annotate.queue_diff d
    ),
    gone AS (
        DELETE FROM annotate.queue q USING wrong w
        WHERE w.fresh_id IS NULL AND q.url_id = w.queued_id
        RETURNING 1
    ),
    fixed AS (
        INSERT INTO annotate.queue
        SELECT (w.fresh_row).* FROM wrong w WHERE w.fresh_id IS NOT NULL
        ON CONFLICT (url_id) DO UPDATE
        SET batch_id = EXCLUDED.batch_id, followed_any = EXCLUDED.followed_any,
            is_manual = EXCLUDED.is_manual, user_votes = EXCLUDED.user_votes,
            anon_votes = EXCLUDED.anon_votes, auto_votes = EXCLUDED.auto_votes,
            validated = EXCLUDED.validated, suspended = EXCLUDED.suspended
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM fixed) INTO corrected;
    RETURN corrected;
END
$$;

-- Whether anyone follows a location linked to a batch.
CREATE FUNCTION annotate.batch_followed(batch integer) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1
                   FROM public.link_batches__locations bl
                   JOIN public.link__locations__user_follows fo ON fo.location_id = bl.location_id
                   WHERE bl.batch_id = batch)
$$;

-- Fresh queue rows for a few URLs, by index lookups (queue_fresh is for whole-table passes).
CREATE FUNCTION annotate.queue_rows(ids integer[])
RETURNS SETOF annotate.queue
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT u.id,
           lb.batch_id,
           COALESCE(annotate.batch_followed(lb.batch_id), false),
           u.source = 'manual'::public.url_source,
           (SELECT count(*) FROM public.annotation__url_type__user a WHERE a.url_id = u.id)::int,
           (SELECT count(*) FROM public.annotation__url_type__anon a WHERE a.url_id = u.id)::int,
           (SELECT count(*) FROM public.annotation__url_type__auto a WHERE a.url_id = u.id)::int,
           EXISTS (SELECT 1 FROM public.flag_url_validated v WHERE v.url_id = u.id),
           EXISTS (SELECT 1 FROM public.flag_url_suspended s WHERE s.url_id = u.id)
    FROM public.urls u
    LEFT JOIN public.link_batches__urls lb ON lb.url_id = u.id
    WHERE u.id = ANY (ids)
$$;

-- ---------------------------------------------------------------------------------------------
-- Triggers. Each runs once per statement over its transition table. Vote counts move by deltas
-- (UPDATE ... SET n = n + d), so concurrent writers to one URL cannot lose each other's
-- updates: the row lock serializes them and each adds its own delta to the latest value.
-- SECURITY DEFINER so that app writers need no rights on the queue; search_path is pinned.

-- url_type votes (user, anon, auto): TG_ARGV[0] names the counter.
CREATE FUNCTION annotate.on_vote_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    kind text := TG_ARGV[0];
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE annotate.queue q
        SET user_votes = q.user_votes + CASE WHEN kind = 'user' THEN d.n ELSE 0 END,
            anon_votes = q.anon_votes + CASE WHEN kind = 'anon' THEN d.n ELSE 0 END,
            auto_votes = q.auto_votes + CASE WHEN kind = 'auto' THEN d.n ELSE 0 END
        FROM (SELECT r.url_id, count(*)::int AS n FROM new_rows r GROUP BY r.url_id) d
        WHERE q.url_id = d.url_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE annotate.queue q
        SET user_votes = q.user_votes - CASE WHEN kind = 'user' THEN d.n ELSE 0 END,
            anon_votes = q.anon_votes - CASE WHEN kind = 'anon' THEN d.n ELSE 0 END,
            auto_votes = q.auto_votes - CASE WHEN kind = 'auto' THEN d.n ELSE 0 END
        FROM (SELECT r.url_id, count(*)::int AS n FROM old_rows r GROUP BY r.url_id) d
        WHERE q.url_id = d.url_id;
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE annotate.queue q
        SET user_votes = q.user_votes + CASE WHEN kind = 'user' THEN d.n ELSE 0 END,
            anon_votes = q.anon_votes + CASE WHEN kind = 'anon' THEN d.n ELSE 0 END,
            auto_votes = q.auto_votes + CASE WHEN kind = 'auto' THEN d.n ELSE 0 END
        FROM (SELECT c.url_id, sum(c.n)::int AS n
              FROM (SELECT r.url_id, 1 AS n FROM new_rows r
                    UNION ALL
                    SELECT r.url_id, -1 FROM old_rows r) c
              GROUP BY c.url_id
              HAVING sum(c.n) <> 0) d
        WHERE q.url_id = d.url_id;
    END IF;
    RETURN NULL;
END
$$;

-- urls: a row per URL; source decides is_manual.
CREATE FUNCTION annotate.on_url_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- A new URL has no batch, votes or flags yet: those rows reference it and come later.
        INSERT INTO annotate.queue (url_id, is_manual)
        SELECT r.id, r.source = 'manual'::public.url_source FROM new_rows r
        ON CONFLICT (url_id) DO NOTHING;
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM annotate.queue q WHERE q.url_id IN (SELECT r.id FROM old_rows r);
    ELSIF TG_OP = 'UPDATE' THEN
        IF EXISTS (SELECT 1 FROM old_rows o LEFT JOIN new_rows n ON n.id = o.id WHERE n.id IS NULL) THEN
            -- An id changed (rare): rebuild the rows of the old and new ids.
            DELETE FROM annotate.queue q
            WHERE q.url_id IN (SELECT o.id FROM old_rows o)
              AND q.url_id NOT IN (SELECT n.id FROM new_rows n);
            INSERT INTO annotate.queue
            SELECT * FROM annotate.queue_rows(ARRAY(SELECT n.id FROM new_rows n))
            ON CONFLICT (url_id) DO NOTHING;
        END IF;
        UPDATE annotate.queue q
        SET is_manual = (n.source = 'manual'::public.url_source)
        FROM new_rows n
        WHERE q.url_id = n.id AND q.is_manual IS DISTINCT FROM (n.source = 'manual'::public.url_source);
    END IF;
    RETURN NULL;
END
$$;

-- link_batches__urls: a URL's batch, and with it followed_any.
CREATE FUNCTION annotate.on_batch_link_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE annotate.queue q SET batch_id = NULL, followed_any = false
        FROM old_rows o
        WHERE q.url_id = o.url_id AND q.batch_id IS NOT DISTINCT FROM o.batch_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE annotate.queue q SET batch_id = n.batch_id, followed_any = b.followed
        FROM new_rows n
        JOIN (SELECT d.batch_id, annotate.batch_followed(d.batch_id) AS followed
              FROM (SELECT DISTINCT r.batch_id FROM new_rows r) d) b ON b.batch_id = n.batch_id
        WHERE q.url_id = n.url_id;
    END IF;
    RETURN NULL;
END
$$;

-- link_batches__locations and link__locations__user_follows: followed_any of the batches
-- touched, recomputed.
CREATE FUNCTION annotate.refollow(batches integer[]) RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE annotate.queue q SET followed_any = b.followed
    FROM (SELECT DISTINCT t.batch_id, annotate.batch_followed(t.batch_id) AS followed
          FROM unnest(batches) AS t(batch_id)) b
    WHERE q.batch_id = b.batch_id AND q.followed_any <> b.followed
$$;

CREATE FUNCTION annotate.on_batch_location_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM annotate.refollow(ARRAY(SELECT r.batch_id FROM new_rows r));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM annotate.refollow(ARRAY(SELECT r.batch_id FROM old_rows r));
    ELSE
        PERFORM annotate.refollow(ARRAY(SELECT r.batch_id FROM new_rows r UNION SELECT r.batch_id FROM old_rows r));
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION annotate.on_follow_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    locations integer[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        locations := ARRAY(SELECT r.location_id FROM new_rows r);
    ELSIF TG_OP = 'DELETE' THEN
        locations := ARRAY(SELECT r.location_id FROM old_rows r);
    ELSE
        locations := ARRAY(SELECT r.location_id FROM new_rows r UNION SELECT r.location_id FROM old_rows r);
    END IF;
    PERFORM annotate.refollow(ARRAY(SELECT DISTINCT bl.batch_id FROM public.link_batches__locations bl
                                    WHERE bl.location_id = ANY (locations)));
    RETURN NULL;
END
$$;

-- flag_url_validated / flag_url_suspended (TG_ARGV[0] names which): a row means the flag is set.
CREATE FUNCTION annotate.on_flag_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    flag text := TG_ARGV[0];
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE annotate.queue q
        SET validated = CASE WHEN flag = 'validated' THEN false ELSE q.validated END,
            suspended = CASE WHEN flag = 'suspended' THEN false ELSE q.suspended END
        WHERE q.url_id IN (SELECT o.url_id FROM old_rows o);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE annotate.queue q
        SET validated = CASE WHEN flag = 'validated' THEN true ELSE q.validated END,
            suspended = CASE WHEN flag = 'suspended' THEN true ELSE q.suspended END
        WHERE q.url_id IN (SELECT n.url_id FROM new_rows n);
    END IF;
    RETURN NULL;
END
$$;

-- TRUNCATE of any watched table: rebuild what differs.
CREATE FUNCTION annotate.on_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM annotate.reconcile_queue();
    RETURN NULL;
END
$$;

