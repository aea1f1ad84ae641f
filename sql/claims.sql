-- Claims: a URL handed out with claim_for is leased to its caller (a user or an anonymous
-- session) until expires_at. A lease is live while it has not expired and its claimant has
-- not annotated the URL; other callers skip URLs under a live lease. Ended leases need no
-- cleanup to stop counting: the next claim of the URL overwrites them, and refresh() deletes
-- them.
CREATE TABLE annotate.claims (
    url_id      integer PRIMARY KEY,
    user_id     integer,
    session_id  uuid,
    expires_at  timestamptz NOT NULL,
    CHECK ((user_id IS NULL) <> (session_id IS NULL))
);
CREATE INDEX claims_user ON annotate.claims (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX claims_session ON annotate.claims (session_id) WHERE session_id IS NOT NULL;

-- Whether the claimant (user or session) has annotated the URL, which ends its lease.
CREATE FUNCTION annotate.claimant_done(url integer, claimant_user integer, claimant_session uuid)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM public.annotation__url_type__user a    WHERE a.url_id = url AND a.user_id = claimant_user)
        OR EXISTS (SELECT 1 FROM public.annotation__agency__user a      WHERE a.url_id = url AND a.user_id = claimant_user)
        OR EXISTS (SELECT 1 FROM public.annotation__location__user a    WHERE a.url_id = url AND a.user_id = claimant_user)
        OR EXISTS (SELECT 1 FROM public.annotation__record_type__user a WHERE a.url_id = url AND a.user_id = claimant_user)
        OR EXISTS (SELECT 1 FROM public.annotation__url_type__anon a    WHERE a.url_id = url AND a.session_id = claimant_session)
        OR EXISTS (SELECT 1 FROM public.annotation__agency__anon a      WHERE a.url_id = url AND a.session_id = claimant_session)
        OR EXISTS (SELECT 1 FROM public.annotation__location__anon a    WHERE a.url_id = url AND a.session_id = claimant_session)
        OR EXISTS (SELECT 1 FROM public.annotation__record_type__anon a WHERE a.url_id = url AND a.session_id = claimant_session)
$$;

-- Whether someone other than the caller holds a live lease on the URL.
CREATE FUNCTION annotate.leased_to_other(url integer, caller_user integer, caller_session uuid)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM annotate.claims c
                   WHERE c.url_id = url AND c.expires_at > now()
                     AND NOT (c.user_id IS NOT DISTINCT FROM caller_user
                              AND c.session_id IS NOT DISTINCT FROM caller_session)
                     AND NOT annotate.claimant_done(c.url_id, c.user_id, c.session_id))
$$;

-- Leases `url` to the caller until now() + lease, unless someone else holds a live lease on
-- it. Never waits: a URL another transaction is claiming right now (its advisory lock is held)
-- is simply not available. True when the caller holds the lease afterwards.
CREATE FUNCTION annotate.try_claim(url integer, caller_user integer, caller_session uuid, lease interval)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('annotate_ext.claims'), url) THEN
        RETURN false;
    END IF;
    INSERT INTO annotate.claims AS c (url_id, user_id, session_id, expires_at)
    VALUES (url, caller_user, caller_session, now() + lease)
    ON CONFLICT (url_id) DO UPDATE
    SET user_id = EXCLUDED.user_id, session_id = EXCLUDED.session_id, expires_at = EXCLUDED.expires_at
    WHERE c.expires_at <= now()
       OR (c.user_id IS NOT DISTINCT FROM EXCLUDED.user_id AND c.session_id IS NOT DISTINCT FROM EXCLUDED.session_id)
       OR annotate.claimant_done(c.url_id, c.user_id, c.session_id);
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    -- The caller chose the URL from an older snapshot. Check it again now that the lease is
    -- ours: the write that ended the previous lease may also have taken the URL out of the
    -- queue (validated, say), and this snapshot is at least as new as that write.
    IF NOT EXISTS (SELECT 1 FROM annotate.queue q WHERE q.url_id = url AND NOT q.validated AND NOT q.suspended)
       OR annotate.claimant_done(url, caller_user, caller_session) THEN
        DELETE FROM annotate.claims c WHERE c.url_id = url;
        RETURN false;
    END IF;
    RETURN true;
END
$$;

-- Drops the lease on a URL early. True when a live lease was dropped.
CREATE FUNCTION annotate.release_claim(url_id integer)
RETURNS boolean
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM annotate.claims c WHERE c.url_id = release_claim.url_id RETURNING c.*
    )
    SELECT EXISTS (SELECT 1 FROM gone g
                   WHERE g.expires_at > now() AND NOT annotate.claimant_done(g.url_id, g.user_id, g.session_id))
$$;

-- Deletes ended leases; returns how many. refresh() calls it.
CREATE FUNCTION annotate.prune_claims()
RETURNS bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM annotate.claims c
        WHERE c.expires_at <= now() OR annotate.claimant_done(c.url_id, c.user_id, c.session_id)
        RETURNING 1
    )
    SELECT count(*) FROM gone
$$;
